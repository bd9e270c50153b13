import { startTelemetry } from "./telemetry.js";

// The outbox relay as its own process (see @herald/outbox's relay-main), traced like the services:
// spans go where OTEL_EXPORTER_ZIPKIN_ENDPOINT says, as the service RELAY_CLIENT_ID names (e.g.
// order-relay); tracing is off when it is unset. Started before the relay so its first cycle records;
// the relay flushes the spans of its last cycles when it stops (the outbox's flushSpans).
startTelemetry(process.env.RELAY_CLIENT_ID || "relay");
await import("@herald/outbox/relay-main");
