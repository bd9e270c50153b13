import { createRequire } from "node:module";
import { waitFor } from "@herald/dev-stack/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { quietIdleKafkaConnections } from "./kafkajs-idle.js";

interface Queue {
  throttleCheckTimeoutId: unknown;
  push(request: object): void;
  fulfillRequest(response: { correlationId: number; payload: null; size: number }): void;
  maybeThrottle(ms: number): void;
}
const RequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as new (
  options: object,
) => Queue;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function queue(maxInFlightRequests: number) {
  const sent: number[] = [];
  const q = new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: "test",
    broker: "127.0.0.1:1",
    logger: silent,
  });
  const push = (correlationId: number) =>
    q.push({
      entry: { correlationId, apiKey: 1, apiName: "Fetch", apiVersion: 11, resolve() {}, reject() {} },
      expectResponse: true,
      sendRequest: () => sent.push(correlationId),
    });
  const answer = (correlationId: number) => q.fulfillRequest({ correlationId, payload: null, size: 0 });
  return { q, sent, push, answer };
}

describe("kafkajs connections at rest", () => {
  beforeAll(() => {
    expect(quietIdleKafkaConnections()).toBe(true);
  });

  it("arm no timer once every request is answered", () => {
    const { q, sent, push, answer } = queue(10);
    push(1);
    expect(sent).toEqual([1]);
    answer(1);
    // kafkajs 2.2.4 armed one here and re-armed it every millisecond for the connection's life.
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it("still send a request held back by throttling once the throttle ends", async () => {
    const { q, sent, push } = queue(10);
    q.maybeThrottle(30);
    push(1);
    expect(sent).toEqual([]);
    await waitFor("the throttled request to go out", () => sent.length === 1, 2_000, 5);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it("still send a request held back by the in-flight limit when a response frees a slot", async () => {
    const { q, sent, push, answer } = queue(1);
    push(1);
    push(2);
    expect(sent).toEqual([1]);
    answer(1);
    expect(sent).toEqual([1, 2]);
    answer(2);
    // The check request 2 scheduled while it waited runs once more and arms nothing after it.
    await waitFor("no timer armed", () => q.throttleCheckTimeoutId === null, 2_000, 5);
  });
});
