import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { IHeaders, KafkaMessage } from "kafkajs";
import { HEADERS } from "./headers.js";

// The outbox's spans, through the OpenTelemetry API only: with no tracer provider registered (tracing
// off) every call here is a no-op that keeps the traceparent an event already carries. The process
// registers a provider (service-kit's startTelemetry) to record and export them.
//
//   enqueue: the row stores the active span's context (the writer's transaction);
//   relay:   `publish <topic>` (PRODUCER), a child of the stored context, linked to it, and its own
//            context goes out in the Kafka `traceparent` header;
//   consumer `process <topic>` (CONSUMER), a child of the header's context; the handler runs in it,
//            so what it enqueues continues the same trace (each message of a batch its own);
//   DLQ:     `dead-letter <dlq topic>` (PRODUCER), a child of the failed `process` span, whose context
//            the dead letter carries; a redrive re-publishes that header, so the redriven message's
//            `process` span (tagged herald.redriven) hangs from the dead letter, in the same trace.

const TRACER_NAME = "@herald/outbox";
const tracer = () => trace.getTracer(TRACER_NAME);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C `traceparent` (version 00) as a remote span context; undefined when absent or malformed. */
export function parseTraceparent(value: string | null | undefined): SpanContext | undefined {
  const match = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!match) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & 1,
    isRemote: true,
  };
  return trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The W3C `traceparent` of a span context. */
export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & 1).toString(16)}`;
}

/**
 * The traceparent an outbox row stores: the active span's, when there is one (the enqueuing
 * transaction's request or message), else the one the event carries.
 */
export function rowTraceparent(carried: string | null): string | null {
  const active = trace.getActiveSpan()?.spanContext();
  return active && trace.isSpanContextValid(active) ? formatTraceparent(active) : carried;
}

/** What the relay needs of a row to trace its publication. */
export interface TracedRow<T extends string = string> {
  readonly traceparent: string | null;
  readonly topic: T;
  readonly event_type: string;
  readonly event_id: string;
  readonly aggregate_key: string;
  readonly written_ms: string | number;
}

/** The publish spans of one batch: the header each row carries, and their end once Kafka answered. */
export interface PublishSpans {
  /** The traceparent to send with the i-th row: the publish span's, or the row's own. */
  traceparent(index: number): string | null;
  end(error?: unknown): void;
}

const NO_SPANS: PublishSpans = { traceparent: () => null, end: () => {} };

/**
 * Starts a `publish` span per row that stored a trace context, as its child (and linked to it), with
 * how long the row waited in the outbox. Rows written without a trace get no span.
 */
export function startPublishSpans<T extends string>(
  rows: readonly TracedRow<T>[],
  topicName: (topic: T) => string,
  clockOffsetMs: number,
): PublishSpans {
  if (!rows.some((row) => row.traceparent)) return NO_SPANS;
  const now = Date.now();
  const spans: (Span | undefined)[] = rows.map((row) => {
    const stored = parseTraceparent(row.traceparent);
    if (!stored) return undefined;
    const topic = topicName(row.topic);
    const writtenAt = Number(row.written_ms) - clockOffsetMs;
    return tracer().startSpan(
      `publish ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        links: [{ context: stored, attributes: { "herald.link": "outbox.enqueue" } }],
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": topic,
          "messaging.message.id": row.event_id,
          "messaging.kafka.message.key": row.aggregate_key,
          "messaging.batch.message_count": rows.length,
          "herald.event.type": row.event_type,
          "herald.outbox.wait_ms": Math.max(0, now - writtenAt),
        },
      },
      trace.setSpanContext(ROOT_CONTEXT, stored),
    );
  });
  return {
    traceparent(index) {
      const spanContext = spans[index]?.spanContext();
      return spanContext && trace.isSpanContextValid(spanContext)
        ? formatTraceparent(spanContext)
        : (rows[index]?.traceparent ?? null);
    },
    end(error) {
      for (const span of spans) if (span) finish(span, error);
    },
  };
}

/** The trace context a consumed message carries in its `traceparent` header. */
export function messageContext(message: Pick<KafkaMessage, "headers">): SpanContext | undefined {
  const raw = message.headers?.[HEADERS.traceparent];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return parseTraceparent(value === undefined ? undefined : value.toString());
}

/**
 * Runs `work` (a message's handling to its final outcome: the inbox transaction, its retries, a
 * dead letter) in a `process` span continuing the message's trace; what the handler enqueues is
 * written with this span's context.
 */
export function traceProcessing<T>(
  origin: { topic: string; partition: number; message: KafkaMessage },
  groupId: string,
  work: () => Promise<T>,
): Promise<T> {
  const { topic, partition, message } = origin;
  const parent = messageContext(message);
  const header = (name: string) => message.headers?.[name]?.toString();
  const span = tracer().startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.consumer.group.name": groupId,
        "messaging.destination.partition.id": String(partition),
        "messaging.kafka.offset": Number(message.offset),
        ...(message.key ? { "messaging.kafka.message.key": message.key.toString() } : {}),
        ...(header(HEADERS.eventId) ? { "messaging.message.id": header(HEADERS.eventId) } : {}),
        ...(header(HEADERS.eventType) ? { "herald.event.type": header(HEADERS.eventType) } : {}),
        ...(header(HEADERS.redriveToken) ? { "herald.redriven": true } : {}),
      },
    },
    parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
  );
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      const result = await work();
      span.end();
      return result;
    } catch (error) {
      finish(span, error);
      throw error;
    }
  });
}

/** The span of a message's trip to its group's dead-letter topic; `end` once written or given up. */
export interface DeadLetterSpan {
  end(error?: unknown): void;
}

/**
 * Starts the `dead-letter <topic>` span of a failed message: a child of its `process` span (the
 * active one, marked as failed with the dead letter's error), else of the context the message carried. Its context replaces the `traceparent` in
 * `headers` (the dead letter's), so what is done with the dead letter later (a redrive) continues
 * the message's trace from here. Without a recorded span the message's own traceparent stays.
 */
export function startDeadLetterSpan(
  origin: { topic: string; partition: number; message: KafkaMessage },
  deadLetterTopic: string,
  headers: IHeaders,
): DeadLetterSpan {
  const processing = trace.getActiveSpan();
  const active = processing?.spanContext();
  const carried = messageContext(origin.message);
  const parent = active && trace.isSpanContextValid(active) ? active : carried;
  if (!parent) return { end: () => {} };
  const errorCode = headers[HEADERS.dlqErrorCode];
  const errorMessage = headers[HEADERS.dlqErrorMessage];
  // The message's processing failed for good: its span says why, whatever the span ends with.
  processing?.setStatus({
    code: SpanStatusCode.ERROR,
    message: `${String(errorCode)}: ${String(errorMessage)}`,
  });
  const span = tracer().startSpan(
    `dead-letter ${deadLetterTopic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.destination.name": deadLetterTopic,
        "herald.dead_letter.original_topic": origin.topic,
        "herald.dead_letter.original_partition": origin.partition,
        "herald.dead_letter.original_offset": Number(origin.message.offset),
        ...(typeof errorCode === "string" ? { "herald.dead_letter.error_code": errorCode } : {}),
      },
    },
    trace.setSpanContext(ROOT_CONTEXT, parent),
  );
  const spanContext = span.spanContext();
  if (trace.isSpanContextValid(spanContext)) headers[HEADERS.traceparent] = formatTraceparent(spanContext);
  return { end: (error) => finish(span, error) };
}

/**
 * Exports the spans this process has finished and not yet sent (a no-op while tracing is off): a
 * process that is about to exit calls it last, so the spans of its last moments are not lost.
 */
export async function flushSpans(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  await delegate.forceFlush?.();
}

/**
 * Runs `work` in a span of the trace `traceparent` names (the payment worker's charge, the email
 * sender's delivery): background work picked from a table joins the trace of the event it answers.
 */
export function traceWork<T>(
  name: string,
  traceparent: string | null | undefined,
  attributes: Record<string, string | number | boolean>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = parseTraceparent(traceparent);
  const parentContext: Context = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const span = tracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parentContext);
  return context.with(trace.setSpan(parentContext, span), async () => {
    try {
      const result = await work(span);
      span.end();
      return result;
    } catch (error) {
      finish(span, error);
      throw error;
    }
  });
}

/** The active span's traceparent (to store with background work), or null. */
export function activeTraceparent(): string | null {
  return rowTraceparent(null);
}

/**
 * An event's metadata to keep as the cause of work done later (a charge, a mail), carrying the span
 * that scheduled the work, so {@link traceWork} continues from the consumer's span that asked.
 */
export function tracedCause<M extends { readonly traceparent: string | null }>(metadata: M): M {
  const traceparent = rowTraceparent(metadata.traceparent);
  return traceparent === metadata.traceparent ? metadata : { ...metadata, traceparent };
}

function finish(span: Span, error: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}
