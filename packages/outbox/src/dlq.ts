import { randomUUID } from "node:crypto";
import type { IHeaders, Kafka, KafkaMessage } from "kafkajs";
import type pg from "pg";
import { OutboxError } from "./errors.js";
import { HEADERS } from "./headers.js";
import { listParkedKeys, type ParkedKey, startRedrive } from "./parked-keys.js";

export interface DeadLetterToolOptions {
  readonly kafka: Kafka;
  /** The consumer group's database (its parked keys). */
  readonly pool: pg.Pool;
  readonly groupId: string;
  /** Default `<groupId>.dlq`, as the consumer's. */
  readonly deadLetterTopic?: string;
  /** How long to wait for the dead-letter topic's messages. Default 30 s. */
  readonly timeoutMs?: number;
}

/** One message of a dead-letter topic, with what its headers say about why it is there. */
export interface DeadLetter {
  /** Where it is in the dead-letter topic. */
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  readonly key: string | null;
  /** Where it was consumed from. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly errorCode: string;
  readonly causeCode: string | undefined;
  readonly errorMessage: string;
  readonly failedAt: string;
  readonly eventType: string | undefined;
  readonly eventId: string | undefined;
}

export interface DeadLetterListing {
  readonly parkedKeys: readonly ParkedKey[];
  /** Dead letters after the last redrive's position, in their order within each DLQ partition. */
  readonly pending: readonly DeadLetter[];
}

export interface RedriveResult {
  /** Messages re-published to their original topic and partition. */
  readonly redriven: number;
  /** Parked keys that the redrive releases once the consumer has handled their last redriven message. */
  readonly releasing: readonly string[];
}

/** The group whose committed offsets in the DLQ mark what was redriven already. */
const redriveGroup = (groupId: string) => `${groupId}.dlq-redrive`;

/** The group's parked keys and the dead letters not yet redriven. Reads only; commits nothing. */
export async function listDeadLetters(options: DeadLetterToolOptions): Promise<DeadLetterListing> {
  const [parkedKeys, pending] = await Promise.all([
    listParkedKeys(options.pool, options.groupId),
    readPending(options),
  ]);
  return { parkedKeys, pending: pending.messages.map(({ letter }) => letter) };
}

/**
 * Re-publishes the dead letters not yet redriven to their original topic and partition, each key's
 * in the order they were dead-lettered, and marks the parked keys among them with a redrive token:
 * the consumer applies the marked messages despite the park and unparks a key with its last one, so
 * the key's later events follow in order. A live message of the key arriving meanwhile spoils that
 * key's redrive (it stays parked, everything is in the DLQ again, in order: redrive again).
 * Run it after the cause is fixed; messages that fail again are dead-lettered and parked again.
 */
export async function redriveDeadLetters(options: DeadLetterToolOptions): Promise<RedriveResult> {
  const { messages, positions } = await readPending(options);
  const dlqTopic = deadLetterTopicOf(options);
  const token = randomUUID();
  const keys = [...new Set(messages.flatMap(({ letter }) => (letter.key === null ? [] : [letter.key])))];
  const releasing = await startRedrive(options.pool, options.groupId, keys, token);
  const lastOfKey = new Map<string, (typeof messages)[number]>();
  for (const message of messages) if (message.letter.key !== null) lastOfKey.set(message.letter.key, message);

  if (messages.length > 0) {
    const producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const byTopic = new Map<
        string,
        { key: Buffer | null; value: Buffer | null; partition: number; headers: IHeaders }[]
      >();
      for (const message of messages) {
        const { letter } = message;
        const headers: IHeaders = {
          ...withoutDeadLetterHeaders(message.raw.headers),
          [HEADERS.redriveToken]: token,
        };
        if (letter.key !== null && lastOfKey.get(letter.key) === message)
          headers[HEADERS.redriveLast] = "true";
        const list = byTopic.get(letter.topic) ?? [];
        list.push({ key: message.raw.key, value: message.raw.value, partition: letter.partition, headers });
        byTopic.set(letter.topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
      });
    } finally {
      await producer.disconnect();
    }
  }
  if (positions.length === 0) return { redriven: 0, releasing };
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId: redriveGroup(options.groupId),
      topic: dlqTopic,
      partitions: positions.map(({ partition, high }) => ({ partition, offset: high })),
    });
  } finally {
    await admin.disconnect();
  }
  return { redriven: messages.length, releasing };
}

interface PendingMessage {
  readonly letter: DeadLetter;
  readonly raw: KafkaMessage;
}

function deadLetterTopicOf(options: DeadLetterToolOptions): string {
  return options.deadLetterTopic ?? `${options.groupId}.dlq`;
}

/** The DLQ's messages from the redrive group's committed offsets up to the high watermarks of now. */
async function readPending(
  options: DeadLetterToolOptions,
): Promise<{ messages: PendingMessage[]; positions: { partition: number; high: string }[] }> {
  const dlqTopic = deadLetterTopicOf(options);
  const group = redriveGroup(options.groupId);
  const admin = options.kafka.admin();
  await admin.connect();
  let ranges: { partition: number; from: bigint; high: bigint }[];
  try {
    if (!(await admin.listTopics()).includes(dlqTopic)) return { messages: [], positions: [] };
    const [watermarks, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(dlqTopic),
      admin.fetchOffsets({ groupId: group, topics: [dlqTopic] }),
    ]);
    ranges = watermarks.map(({ partition, low, high }) => {
      const done = committed?.partitions.find((p) => p.partition === partition)?.offset ?? "-1";
      const from = BigInt(done) < BigInt(low) ? BigInt(low) : BigInt(done);
      return { partition, from, high: BigInt(high) };
    });
  } finally {
    await admin.disconnect();
  }
  const positions = ranges.map(({ partition, high }) => ({ partition, high: String(high) }));
  const remaining = new Set(ranges.filter((r) => r.from < r.high).map((r) => r.partition));
  if (remaining.size === 0) return { messages: [], positions };

  const byPartition = new Map<number, PendingMessage[]>();
  const consumer = options.kafka.consumer({ groupId: group, maxWaitTimeInMs: 250 });
  let finished!: () => void;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const range = ranges.find((r) => r.partition === partition);
        if (!range || !remaining.has(partition)) return;
        const offset = BigInt(message.offset);
        if (offset >= range.from && offset < range.high) {
          const list = byPartition.get(partition) ?? [];
          list.push({ letter: deadLetterOf(partition, message), raw: message });
          byPartition.set(partition, list);
        }
        if (offset >= range.high - 1n) {
          remaining.delete(partition);
          if (remaining.size === 0) finished();
        }
      },
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const result = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    if (result === "timeout")
      throw new OutboxError(
        "OUTBOX_KAFKA_UNAVAILABLE",
        `could not read ${dlqTopic} to its end within ${timeoutMs / 1000} s (partitions ${[...remaining].join(", ")} left)`,
      );
  } finally {
    await consumer.disconnect();
  }
  const messages = [...byPartition.keys()]
    .sort((x, y) => x - y)
    .flatMap((partition) => byPartition.get(partition)!);
  return { messages, positions };
}

function deadLetterOf(dlqPartition: number, message: KafkaMessage): DeadLetter {
  const header = (name: string): string | undefined => {
    const value = message.headers?.[name];
    return value === undefined ? undefined : String(value);
  };
  return {
    dlqPartition,
    dlqOffset: message.offset,
    key: message.key ? message.key.toString() : null,
    topic: header(HEADERS.dlqTopic) ?? "",
    partition: Number(header(HEADERS.dlqPartition) ?? 0),
    offset: header(HEADERS.dlqOffset) ?? "",
    errorCode: header(HEADERS.dlqErrorCode) ?? "",
    causeCode: header(HEADERS.dlqCauseCode),
    errorMessage: header(HEADERS.dlqErrorMessage) ?? "",
    failedAt: header(HEADERS.dlqFailedAt) ?? "",
    eventType: header(HEADERS.eventType),
    eventId: header(HEADERS.eventId),
  };
}

/** The original headers: the DLQ's and an earlier redrive's are dropped. */
function withoutDeadLetterHeaders(headers: IHeaders | undefined): IHeaders {
  const own = new Set<string>([
    HEADERS.dlqErrorCode,
    HEADERS.dlqCauseCode,
    HEADERS.dlqErrorMessage,
    HEADERS.dlqTopic,
    HEADERS.dlqPartition,
    HEADERS.dlqOffset,
    HEADERS.dlqGroup,
    HEADERS.dlqAttempts,
    HEADERS.dlqFailedAt,
    HEADERS.redriveToken,
    HEADERS.redriveLast,
  ]);
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !own.has(name)));
}
