/** Kafka headers the relay puts on every event, the dead-letter headers the consumer adds, and a redrive's. */
export const HEADERS = Object.freeze({
  eventType: "herald-event-type",
  eventId: "herald-event-id",
  correlationId: "herald-correlation-id",
  /** W3C Trace Context, under its standard name; only when the event carries one. */
  traceparent: "traceparent",
  dlqErrorCode: "herald-dlq-error-code",
  /** The code of the underlying failure when it has one (e.g. EVENTS_MALFORMED_PAYLOAD). */
  dlqCauseCode: "herald-dlq-cause-code",
  dlqErrorMessage: "herald-dlq-error-message",
  dlqTopic: "herald-dlq-original-topic",
  dlqPartition: "herald-dlq-original-partition",
  dlqOffset: "herald-dlq-original-offset",
  dlqGroup: "herald-dlq-consumer-group",
  dlqAttempts: "herald-dlq-attempts",
  dlqFailedAt: "herald-dlq-failed-at",
  /** On a message a DLQ redrive re-published: the redrive that may apply it while its key is parked. */
  redriveToken: "herald-redrive-token",
  /** "true" on a redrive's last message of its key: handling it unparks the key. */
  redriveLast: "herald-redrive-last",
});
