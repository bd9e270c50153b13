import { sleep } from "@herald/events";
import { enqueueAll, listenForWork, traceWork, type WorkListener } from "@herald/outbox";
import type { Clock } from "@herald/service-kit";
import { backgroundLoop, withTransaction } from "@herald/service-kit";
import { foldFacts } from "@herald/service-kit/decider";
import type pg from "pg";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { PaymentError } from "../errors.js";
import { type GatewayCall, type PaymentGateway, refundKeyOf } from "../gateway/gateway.js";
import { stamp } from "./announce.js";
import { announcements, decide } from "./decide.js";
import { paymentDecider } from "./decider.js";
import type { GatewayOperation, GatewayOutcome, PaymentState, RetryPolicy } from "./domain.js";
import { claimDue, lockPayment, savePayment } from "./repository.js";

export interface PaymentWorkerOptions {
  readonly pool: pg.Pool;
  readonly gateway: PaymentGateway;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  /** A call not answered within this long counts as unknown (it may have charged). */
  readonly gatewayTimeoutMs: number;
  /** How long a claimed call is left to its caller before another may settle it. Default 2 × timeout. */
  readonly leaseMs?: number;
  /**
   * Pause between looks for due work when there was none and no wake-up can come (the worker's
   * listening connection is down, or wake-ups are off).
   */
  readonly pollMs: number;
  /**
   * Work made due (a charge or refund asked for, a retry scheduled) notifies an idle worker through
   * Postgres (channel `herald_payment_work`, migration payment-003; see `listenForWork`): after a
   * quarter of a second with nothing due the worker waits for that, or until its next due time, and
   * looks anyway after this long. Default 5 s; 0 turns wake-ups off (it then polls every `pollMs`).
   */
  readonly fallbackPollMs?: number;
  /** Calls made concurrently per round (and claimed per transaction). Default 10. */
  readonly batchSize?: number;
  /**
   * Calls the running worker keeps in flight at most: it claims more due work while earlier calls
   * wait for the processor, instead of waiting for a whole round to finish. Default 100.
   */
  readonly maxInFlight?: number;
  readonly metrics?: Registry;
  readonly now?: Clock;
}

export interface PaymentWorker {
  start(): void;
  /** Lets the calls in hand finish and record their results. */
  stop(): Promise<void>;
  /** One round: claims the due work, calls the gateway, records the results; returns the calls made. */
  runOnce(): Promise<number>;
}

interface Call {
  readonly orderId: string;
  readonly operation: GatewayOperation;
  readonly state: PaymentState;
  /** The trace of the event that asked for the call. */
  readonly traceparent: string | null;
}

/**
 * Makes the gateway calls the reactions asked for, outside any transaction: (1) a short transaction
 * claims due work under a lease and counts the attempt; (2) the call, keyed by the order id (a
 * refund by its own key); (3) a second transaction records the result and enqueues
 * PaymentProcessed, PaymentFailed or PaymentRefunded. A crash between (1) and (3) leaves the work
 * claimed; once the lease runs out any worker calls again with the same key, and the processor
 * answers with the first result instead of charging twice.
 */
export function createPaymentWorker(options: PaymentWorkerOptions): PaymentWorker {
  const { pool, gateway, logger, retry } = options;
  const clock = options.now ?? (() => new Date());
  const now = () => clock().getTime();
  const leaseMs = options.leaseMs ?? options.gatewayTimeoutMs * 2;
  const batchSize = options.batchSize ?? 10;
  const maxInFlight = Math.max(options.maxInFlight ?? 100, batchSize);
  const fallbackPollMs = options.fallbackPollMs ?? 5_000;
  const calls = options.metrics
    ? new Counter({
        name: "payment_gateway_calls_total",
        help: "Gateway calls by operation and outcome",
        labelNames: ["operation", "outcome"],
        registers: [options.metrics],
      })
    : undefined;

  async function claim(limit: number): Promise<Call[]> {
    return withTransaction(pool, async (tx) => {
      const claimed: Call[] = [];
      const at = now();
      for (const orderId of await claimDue(tx, at, limit)) {
        const { state, cause } = await lockPayment(tx, orderId);
        const facts = decide({ type: "StartGatewayCall", leaseMs }, state, { now: at, newPaymentId });
        if (facts.length === 0) continue;
        const next = foldFacts(paymentDecider, state, facts);
        await savePayment(tx, next);
        const started = facts.find((fact) => fact.type === "GatewayCallStarted");
        if (started)
          claimed.push({
            orderId,
            operation: started.operation,
            state: next,
            traceparent: cause?.traceparent ?? null,
          });
      }
      return claimed;
    });
  }

  async function callGateway({ orderId, operation, state }: Call): Promise<GatewayOutcome> {
    const payment = state.payment!;
    try {
      return await withTimeout(
        (call) =>
          operation === "charge"
            ? gateway.charge({ idempotencyKey: orderId, token: payment.token, amount: payment.amount }, call)
            : operation === "lookup"
              ? gateway.findCharge(orderId, call).then((found) => found ?? { status: "not_found" as const })
              : gateway
                  .refund(
                    { idempotencyKey: refundKeyOf(orderId), chargeKey: orderId, amount: payment.amount },
                    call,
                  )
                  .then(({ reference }) => ({ status: "succeeded" as const, reference })),
        options.gatewayTimeoutMs,
      );
    } catch (error) {
      if (error instanceof PaymentError && error.code === "PAYMENT_GATEWAY_REJECTED")
        return { status: "rejected", reason: error.reason ?? "OTHER", error: error.message };
      const definite = error instanceof PaymentError && error.code === "PAYMENT_GATEWAY_UNAVAILABLE";
      return { status: "unavailable", error: (error as Error).message, definite };
    }
  }

  async function record(call: Call, outcome: GatewayOutcome): Promise<void> {
    const { recorded, events, state } = await withTransaction(pool, async (tx) => {
      const { state: current, cause } = await lockPayment(tx, call.orderId);
      const at = now();
      const facts = decide(
        { type: "RecordGatewayResult", operation: call.operation, outcome, retry },
        current,
        { now: at, newPaymentId },
      );
      const next = foldFacts(paymentDecider, current, facts);
      if (facts.length > 0) await savePayment(tx, next);
      const events = stamp(announcements(facts, next), cause, at);
      await enqueueAll(tx, events);
      return { recorded: facts, events, state: next };
    });
    calls?.inc({ operation: call.operation, outcome: outcome.status });
    const fields = {
      orderId: call.orderId,
      paymentId: state.payment?.paymentId,
      operation: call.operation,
      outcome: outcome.status,
      attempts: state.payment?.attempts,
      recorded: recorded.map((fact) => fact.type),
      announced: events.map((event) => event.type),
    };
    if (outcome.status === "unavailable")
      logger.warn({ ...fields, error: outcome.error, definite: outcome.definite }, "gateway call failed");
    else if (outcome.status === "rejected" && call.operation !== "charge")
      // Only a charge can fail for good; a refused lookup or refund is retried, and needs a person.
      logger.error({ ...fields, error: outcome.error }, "the gateway refused a lookup or refund");
    else logger.info(fields, "gateway call settled");
  }

  /** The call and its recording, in a span of the order's trace. */
  function settle(call: Call): Promise<void> {
    const attributes = { "herald.payment.operation": call.operation, "herald.order.id": call.orderId };
    return traceWork(`payment ${call.operation}`, call.traceparent, attributes, async () =>
      record(call, await callGateway(call)),
    );
  }

  async function runOnce(): Promise<number> {
    const claimed = await claim(batchSize);
    await Promise.all(claimed.map((call) => settle(call)));
    return claimed.length;
  }

  /**
   * Claims due work while there is room, each call recorded when the processor answers. Waiting
   * for a whole round before the next claim would cap the worker at `batchSize` calls per gateway
   * latency (10 per 150 ms: under 70 charges a second, whatever the load). Claimed work is leased,
   * so a later claim never takes a call in flight.
   */
  async function loop(signal: AbortSignal, listener: WorkListener | undefined): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!signal.aborted) {
      let claimed: Call[] = [];
      // Work notified from here on may have been missed by this claim: the next wait ends at once.
      listener?.clear();
      try {
        claimed = await claim(Math.min(batchSize, maxInFlight - inFlight.size));
      } catch (error) {
        logger.warn({ err: error }, "payment worker could not claim due work; trying again");
      }
      for (const call of claimed) {
        const settled: Promise<void> = settle(call)
          .catch((error: unknown) =>
            logger.warn(
              { err: error, orderId: call.orderId },
              "payment worker could not record a call; its lease will run out",
            ),
          )
          .finally(() => inFlight.delete(settled));
        inFlight.add(settled);
      }
      if (claimed.length > 0) listener?.busy();
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      else if (claimed.length === 0) {
        if (!listener) await sleep(options.pollMs, signal);
        // Just registered as idle: work committed before that notified nobody, so look once more.
        else if (!(await listener.idle()))
          await listener.wait(listener.listening ? await untilDue() : options.pollMs, options.pollMs, signal);
      }
    }
    await Promise.all(inFlight);
  }

  /**
   * How long an idle worker may wait for a notification: until the earliest due work (a retry's
   * backoff, a lease running out), at least `pollMs` (work due now but locked by a reaction is
   * notified when that commits), at most the fallback.
   */
  async function untilDue(): Promise<number> {
    try {
      const { rows } = await pool.query<{ due: Date | null }>(
        "SELECT min(work_due_at) AS due FROM order_payments WHERE work_due_at IS NOT NULL",
      );
      const due = rows[0]?.due;
      if (!due) return fallbackPollMs;
      return Math.min(fallbackPollMs, Math.max(options.pollMs, due.getTime() - now()));
    } catch {
      return options.pollMs;
    }
  }

  const background = backgroundLoop(async (signal) => {
    const listener = fallbackPollMs > 0 ? listenForWork(pool, "herald_payment_work") : undefined;
    try {
      await loop(signal, listener);
    } finally {
      await listener?.close();
    }
  });
  return { runOnce, ...background };
}

function newPaymentId(): string {
  throw new Error("the worker never requests a new payment");
}

/**
 * Gives the call `ms` to answer, then aborts it: the gateway withdraws a request it has not settled
 * yet, so a charge abandoned here does not land later unseen. A request the processor already holds
 * cannot be withdrawn; that one lands under its idempotency key, where the lookup finds it.
 */
async function withTimeout<T>(work: (call: GatewayCall) => Promise<T>, ms: number): Promise<T> {
  const call = new AbortController();
  const abandoned = new Promise<never>((_, reject) => {
    call.signal.addEventListener("abort", () => reject(call.signal.reason), { once: true });
  });
  const timer = setTimeout(
    () =>
      call.abort(
        new PaymentError("PAYMENT_GATEWAY_TIMEOUT", `the gateway did not answer within ${ms} ms`, {
          retryable: true,
        }),
      ),
    ms,
  );
  try {
    // Raced, so a gateway that ignores its signal is still abandoned at the deadline.
    return await Promise.race([work({ signal: call.signal }), abandoned]);
  } finally {
    clearTimeout(timer);
  }
}
