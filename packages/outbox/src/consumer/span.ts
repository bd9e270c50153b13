import { type Context, context } from "@opentelemetry/api";
import { traceProcessing } from "../tracing.js";
import type { Origin } from "./dead-letter.js";

/**
 * A message's `process` span held open while its chunk's transaction runs: `within` runs the
 * message's steps in it (what its handler enqueues continues its trace), `end` closes it with the
 * message's final result, once that is known (after the commit, or after its retries).
 */
export interface HeldSpan {
  within<T>(work: () => Promise<T>): Promise<T>;
  end(result: boolean | Promise<boolean>): void;
  /** Settles with the result given to `end`. */
  readonly done: Promise<boolean>;
}

export function holdProcessingSpan(origin: Origin, groupId: string): HeldSpan {
  let end!: (result: boolean | Promise<boolean>) => void;
  const ended = new Promise<boolean>((resolve) => {
    end = resolve;
  });
  let spanContext: Context = context.active();
  // traceProcessing calls its work at once, inside the span's context.
  const done = traceProcessing(origin, groupId, () => {
    spanContext = context.active();
    return ended;
  });
  done.catch(() => {});
  return { within: (work) => context.with(spanContext, work), end, done };
}
