import { ServiceKitError } from "./errors.js";

/** How one environment variable is read: parsed from its raw text, or defaulted when unset. */
export interface Variable<T> {
  readonly description: string;
  /** Used when the variable is unset or empty; a variable without one is required. */
  readonly default?: T;
  /** Secrets are never echoed back in error messages. */
  readonly secret?: boolean;
  /** Returns the value, or throws an Error whose message says what was expected. */
  parse(raw: string): T;
}

type Common<T> = { description: string; default?: T; secret?: boolean };

export type ConfigSpec = Readonly<Record<string, Variable<unknown>>>;
export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends Variable<infer T> ? T : never;
};

/** Variable readers for a service's config spec. */
export const env = {
  string(options: Common<string> & { pattern?: RegExp }): Variable<string> {
    return {
      ...options,
      parse(raw) {
        if (options.pattern && !options.pattern.test(raw)) throw new Error(`must match ${options.pattern}`);
        return raw;
      },
    };
  },

  integer(options: Common<number> & { min?: number; max?: number }): Variable<number> {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    return {
      ...options,
      parse(raw) {
        const value = Number(raw);
        if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max)
          throw new Error(`must be an integer between ${min} and ${max}`);
        return value;
      },
    };
  },

  port(options: Common<number>): Variable<number> {
    return env.integer({ ...options, min: 1, max: 65_535 });
  },

  url(options: Common<string> & { protocols: readonly string[] }): Variable<string> {
    return {
      ...options,
      parse(raw) {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          throw new Error(`must be a URL (${options.protocols.join(" or ")})`);
        }
        if (!options.protocols.includes(url.protocol))
          throw new Error(`must use ${options.protocols.join(" or ")}, not ${url.protocol}`);
        return raw;
      },
    };
  },

  /** A comma-separated list, e.g. `KAFKA_BROKERS=host1:9092,host2:9092`. */
  list(options: Common<readonly string[]> & { item?: RegExp }): Variable<readonly string[]> {
    return {
      ...options,
      parse(raw) {
        const items = raw
          .split(",")
          .map((item) => item.trim())
          .filter((item) => item.length > 0);
        if (items.length === 0) throw new Error("must list at least one item");
        const bad = options.item ? items.filter((item) => !options.item!.test(item)) : [];
        if (bad.length > 0)
          throw new Error(`has malformed items ${bad.join(", ")} (each must match ${options.item})`);
        return Object.freeze(items);
      },
    };
  },

  oneOf<const T extends string>(values: readonly T[], options: Common<T>): Variable<T> {
    return {
      ...options,
      parse(raw) {
        if (!(values as readonly string[]).includes(raw))
          throw new Error(`must be one of ${values.join(", ")}`);
        return raw as T;
      },
    };
  },
};

/**
 * Reads and validates every variable of `spec` at once; the result is frozen and typed. Throws
 * SERVICE_CONFIG_INVALID naming each bad or missing variable, so a service fails before it starts.
 */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(spec)) {
    const raw = source[name];
    if (raw === undefined || raw.trim() === "") {
      if (variable.default === undefined) problems.push(`${name} is required (${variable.description})`);
      else values[name] = variable.default;
      continue;
    }
    try {
      values[name] = variable.parse(raw);
    } catch (error) {
      const shown = variable.secret ? "" : ` (got ${JSON.stringify(raw)})`;
      problems.push(`${name} ${(error as Error).message}${shown}`);
    }
  }
  if (problems.length > 0)
    throw new ServiceKitError("SERVICE_CONFIG_INVALID", `invalid configuration: ${problems.join("; ")}`);
  return Object.freeze(values) as ConfigOf<S>;
}
