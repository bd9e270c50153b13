import { createRequire } from "node:module";

/** The part of kafkajs's per-connection request queue that schedules its pending-request checks. */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for looking at requests held back by throttling or in-flight limits. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
/** The release whose request queue this corrects; another one is left as it is. */
const CORRECTED_RELEASE = "2.2.4";

const require = createRequire(import.meta.url);
let applied: boolean | undefined;

/**
 * kafkajs 2.2.4 keeps every connection that has had a response busy for as long as it is open: its
 * request queue re-arms a timer after each check whether or not any request waits, with a negative
 * delay when nothing throttles it (so 1 ms), about a thousand wake-ups a second per connection. An
 * idle service with a consumer, its coordinator and a producer burnt ~0.03 of a core on them alone.
 * Reported upstream (kafkajs issues 1556 and 1704, fix proposed in pull request 1667, unreleased).
 *
 * This schedules a check only while requests wait, after the throttle ends or in 10 ms, as kafkajs
 * itself does when requests wait: a request that cannot go out at once is queued and schedules its
 * own check, and a response frees an in-flight slot and checks the queue, so nothing waits on the
 * removed timer. Applied once per process to the kafkajs release named above; true when applied.
 */
export function quietIdleKafkaConnections(): boolean {
  if (applied !== undefined) return applied;
  const { version } = require("kafkajs/package.json") as { version: string };
  applied = version === CORRECTED_RELEASE;
  if (!applied) return false;
  const queue = require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueue };
  queue.prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttled > 0 ? throttled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
  return true;
}
