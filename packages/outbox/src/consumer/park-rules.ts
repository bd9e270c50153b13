import type { KafkaMessage } from "kafkajs";
import { OutboxError } from "../errors.js";
import { parkKey, type RedriveMark } from "../parked-keys.js";
import { backoffDelay, sleep } from "../retry.js";
import type { ConsumerContext } from "./context.js";
import type { Origin } from "./dead-letter.js";
import { infrastructureFailure } from "./retries.js";

/**
 * What a message of a parked key does. A live message follows the key to the dead-letter topic (and
 * spoils any redrive under way for the key, whose last message would otherwise unpark it ahead of
 * this one); the redrive's own messages are applied, its last one unparking the key.
 */
export type ParkRule =
  | { readonly apply: false; readonly abandonRedrive: boolean }
  /** `unparkWith`: the token of the redrive whose last message this is. */
  | { readonly apply: true; readonly unparkWith: string | undefined };

/** `redriveToken` is the parked key's token: null when no redrive is under way. */
export function parkRule(redriveToken: string | null, redrive: RedriveMark | undefined): ParkRule {
  if (!(redrive && redriveToken === redrive.token))
    return { apply: false, abandonRedrive: !redrive && Boolean(redriveToken) };
  return { apply: true, unparkWith: redrive.last ? redrive.token : undefined };
}

/** The aggregate a message belongs to; messages without a key are never parked. */
export function keyOf(message: KafkaMessage): string | undefined {
  return message.key && message.key.length > 0 ? message.key.toString() : undefined;
}

export function keyParkedError(key: string): OutboxError {
  return new OutboxError(
    "OUTBOX_KEY_PARKED",
    `key ${key} is parked: an earlier message of it was dead-lettered`,
  );
}

/** Records that `key` is parked, retrying while the database is away; false if stopped first. */
export async function parkKeyOf(
  ctx: ConsumerContext,
  key: string,
  origin: Origin,
  error: OutboxError,
  active: () => boolean,
): Promise<boolean> {
  const { settings, monitor } = ctx;
  for (let attempt = 1; active(); attempt++) {
    try {
      await parkKey(ctx.pool, settings.groupId, key, {
        errorCode: error.code,
        topic: origin.topic,
        partition: origin.partition,
        offset: origin.message.offset,
      });
      return true;
    } catch (parkError) {
      monitor.error(infrastructureFailure(parkError));
      await sleep(backoffDelay(attempt, settings.retry), ctx.stopping.signal);
    }
  }
  return false;
}
