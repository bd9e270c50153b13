import { type DestinationStream, type LevelWithSilent, type Logger, pino } from "pino";
import { traceLogFields } from "./telemetry.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = LevelWithSilent;

/**
 * The service's root logger: JSON lines, ISO timestamps, the service name on every line, secrets
 * redacted, and `trace_id`/`span_id` on a line written inside a span.
 */
export function createLogger(options: {
  service: string;
  level?: LogLevel;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceLogFields,
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "*.password",
          "*.databaseUrl",
          "*.DATABASE_URL",
        ],
        censor: "[redacted]",
      },
    },
    options.destination,
  );
}

export type { Logger };
