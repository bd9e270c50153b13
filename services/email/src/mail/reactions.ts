import type { DomainEvent, TopicName } from "@herald/events";
import type pg from "pg";
import type { Logger } from "pino";
import { type ComposeSettings, composeMail, factOf, isMailEvent } from "./compose.js";
import { findFacts, recordFact, recordMail } from "./store.js";

/**
 * Orders for the mails and the facts they need (name, address), payments for what to say about the
 * money, analytics for the sales digest.
 */
export const EMAIL_TOPICS: readonly TopicName[] = ["orders", "payments", "analytics"];

/**
 * The consumer's handler: remembers what an event says about its order and records the mail it
 * calls for as PENDING, in the consumer's transaction (with the inbox entry). Nothing is sent here;
 * the sender picks the mail up once the transaction has committed.
 */
export function createEmailReactions(settings: ComposeSettings, logger: Logger) {
  return async (event: DomainEvent, tx: pg.ClientBase): Promise<void> => {
    const fact = factOf(event);
    if (fact) await recordFact(tx, fact);
    if (!isMailEvent(event)) return;
    const facts =
      event.type === "SalesPeriodSummarized" ? undefined : await findFacts(tx, event.data.orderId);
    const draft = composeMail(event, facts, settings);
    if (!draft) {
      logger.debug({ eventId: event.data.metadata.eventId, type: event.type }, "quiet period: no digest");
      return;
    }
    const recorded = await recordMail(tx, draft);
    logger[recorded ? "info" : "debug"](
      {
        eventId: event.data.metadata.eventId,
        correlationId: event.data.metadata.correlationId,
        orderId: draft.orderId ?? undefined,
        periodId: draft.periodId ?? undefined,
        template: draft.template,
        messageId: draft.messageId,
      },
      recorded ? "mail recorded" : "mail already recorded for this event; nothing added",
    );
  };
}
