import { randomUUID } from "node:crypto";
import { consumedEvents, type DomainEvent, isOrderId } from "@herald/events";
import { enqueueAll, tracedCause } from "@herald/outbox";
import type { Clock } from "@herald/service-kit";
import { foldFacts } from "@herald/service-kit/decider";
import type pg from "pg";
import type { Logger } from "pino";
import { stamp } from "./announce.js";
import { announcements, decide } from "./decide.js";
import { paymentDecider } from "./decider.js";
import { CONSUMED_EVENT_TYPES } from "./domain.js";
import { lockPayment, savePayment } from "./repository.js";

const consumed = consumedEvents(CONSUMED_EVENT_TYPES);
/** The topics carrying the events payment reacts to. */
export const CONSUMED_TOPICS = consumed.topics;

export interface ReactionOptions {
  readonly logger: Logger;
  readonly now?: Clock;
  readonly newPaymentId?: () => string;
}

/**
 * The consumer's handler. Runs inside the inbox transaction: it locks the order's payment row,
 * decides, and saves what it learnt (a charge or refund to make is recorded as gateway work for the
 * worker, which makes the slow call outside any transaction). Other events on the topics, and order
 * ids this system never issues, are skipped.
 */
export function createPaymentReactions(options: ReactionOptions) {
  const clock = options.now ?? (() => new Date());
  const now = () => clock().getTime();
  const newPaymentId = options.newPaymentId ?? randomUUID;
  return async (event: DomainEvent, tx: pg.ClientBase): Promise<void> => {
    if (!consumed.has(event)) return;
    const { orderId, metadata } = event.data;
    const log = options.logger.child({
      orderId,
      eventId: metadata.eventId,
      correlationId: metadata.correlationId,
    });
    if (!isOrderId(orderId)) {
      log.warn({ type: event.type }, "skipped an event about an order id this system never issues");
      return;
    }
    const { state } = await lockPayment(tx, orderId);
    const at = now();
    const facts = decide(event, state, { now: at, newPaymentId });
    if (facts.length === 0) {
      log.debug({ type: event.type }, "already known; nothing to do");
      return;
    }
    const next = foldFacts(paymentDecider, state, facts);
    const asksGateway = facts.some(
      (fact) => fact.type === "ChargeRequested" || fact.type === "RefundRequested",
    );
    // The cause keeps this span, so the worker's gateway call continues the order's trace from here.
    await savePayment(tx, next, asksGateway ? tracedCause(metadata) : undefined);
    await enqueueAll(tx, stamp(announcements(facts, next), metadata, at));
    log.info(
      { type: event.type, recorded: facts.map((fact) => fact.type), status: next.payment?.status ?? null },
      "payment reacted",
    );
  };
}
