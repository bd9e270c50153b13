/** A problem with one part of a request or an event, e.g. `{ path: "items/0/quantity", message: "must be ≥ 1" }`. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export interface HeraldErrorOptions {
  readonly cause?: unknown;
  /** Whether trying the same thing again can help (a timeout, a busy instance); false by default. */
  readonly retryable?: boolean;
  /** What exactly was wrong, for an answer that lists each problem. */
  readonly details?: readonly ErrorDetail[];
}

/**
 * The base of every Herald error: a stable `code` that callers branch on (and HTTP maps to a
 * status), a `retryable` flag that the consumer's retry rules and the HTTP answer's Retry-After
 * follow, and `details` for the answer. Each package and service has one subclass with its own codes.
 */
export class HeraldError<Code extends string = string> extends Error {
  readonly retryable: boolean;
  readonly details: readonly ErrorDetail[] | undefined;

  constructor(
    readonly code: Code,
    message: string,
    options: HeraldErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}
