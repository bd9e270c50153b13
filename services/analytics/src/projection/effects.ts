import type { DomainEvent, Money } from "@herald/events";
import { withoutRecipient } from "./stored-payload.js";

/** The stages an order passes; the first four are the conversion funnel. */
export type Stage = "placed" | "reserved" | "paid" | "confirmed" | "cancelled";
export const FUNNEL_STAGES = ["placed", "reserved", "paid", "confirmed"] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** Running totals kept per generation; `key` splits a figure (by currency, by reason), '' when it does not. */
export type FigureName =
  | "facts"
  | "orders.placed"
  | "orders.confirmed"
  | "orders.cancelled"
  | "orders.cancelled_by_reason"
  | "revenue.gross"
  | "revenue.refunded"
  | "payments.processed"
  | "payments.failed"
  | "payments.failed_by_reason"
  | "payments.refunded"
  | "inventory.reserved"
  | "inventory.reservation_failed"
  | "inventory.released"
  | "emails.sent"
  | "emails.failed"
  | "periods.summarized"
  | `funnel.${FunnelStage}`;

/** What the timeline shows of one event. */
export interface Fact {
  readonly eventId: string;
  readonly type: DomainEvent["type"];
  /** Null for facts about no single order (period summaries, digest mails). */
  readonly orderId: string | null;
  readonly producer: string;
  readonly occurredAt: number;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly detail: string;
}

export interface FigureDelta {
  readonly name: FigureName;
  readonly key: string;
  readonly delta: number;
}

/** Units and revenue of one product sold in a confirmed order. */
export interface SkuDelta {
  readonly sku: string;
  readonly currency: string;
  readonly units: number;
  readonly revenueMinor: number;
}

/**
 * What one event adds to its order's revenue ledger: the revenue booked by its confirmation, or the
 * amount refunded. A refund counts as refunded revenue only against what was booked for the same
 * order (see {@link refundedRevenueDelta}), so it is not a figure of its own.
 */
export interface RevenueDelta {
  readonly orderId: string;
  readonly currency: string;
  readonly bookedMinor: number;
  readonly refundedMinor: number;
}

/** An order's revenue ledger in one currency: booked by its confirmation, and refunded. */
export interface OrderRevenue {
  readonly bookedMinor: number;
  readonly refundedMinor: number;
}

/**
 * What the `revenue.refunded` figure changes by when an order's ledger goes from `before` to
 * `after`: the refund counts only up to the revenue booked for the order, so a refund of an order
 * that was never confirmed subtracts nothing, and net revenue never goes negative. A refund that
 * arrives before its order's confirmation counts once the confirmation arrives: the figure is the
 * same whatever order the events come in.
 */
export function refundedRevenueDelta(before: OrderRevenue, after: OrderRevenue): number {
  const counted = (ledger: OrderRevenue) => Math.max(0, Math.min(ledger.refundedMinor, ledger.bookedMinor));
  return counted(after) - counted(before);
}

/**
 * What one event adds to the read models, the first time it is seen. Every effect is a sum or a
 * set-once stage, so the figures do not depend on the order the events arrive in.
 */
export interface Effects {
  readonly fact: Fact;
  /** Added to the running totals. */
  readonly figures: readonly FigureDelta[];
  /** Added to the minute of the fact's `occurredAt`. */
  readonly perMinute: readonly FigureDelta[];
  readonly skus: readonly SkuDelta[];
  /** The order stage the fact marks, if any. */
  readonly stage?: { readonly stage: Stage; readonly reason: string | null };
  /** What the fact adds to its order's revenue ledger, if anything. */
  readonly revenue?: RevenueDelta;
}

const one = (name: FigureName, key = ""): FigureDelta => ({ name, key, delta: 1 });
const money = (name: FigureName, amount: Money): FigureDelta => ({
  name,
  key: amount.currency,
  delta: amount.amountMinor,
});

/** The effects of `event` on the read models; pure. */
export function effectsOf(event: DomainEvent): Effects {
  const { metadata } = event.data;
  const fact = (orderId: string | null, detail: string): Fact => ({
    eventId: metadata.eventId,
    type: event.type,
    orderId,
    producer: metadata.producer,
    occurredAt: metadata.occurredAt,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    detail,
  });
  const total = one("facts");
  /** A fact that adds to the running totals only: nothing per minute, no product sold. */
  const counted = (orderId: string | null, detail: string, ...figures: FigureDelta[]) => ({
    fact: fact(orderId, detail),
    figures: [total, ...figures],
    perMinute: [],
    skus: [],
  });

  switch (event.type) {
    case "OrderPlaced": {
      const { data } = event;
      const units = data.lines.reduce((sum, line) => sum + line.quantity, 0);
      return {
        fact: fact(
          data.orderId,
          `${plural(units, "unit")} of ${plural(data.lines.length, "product")}, ${formatMoney(data.total)}`,
        ),
        figures: [total, one("orders.placed")],
        perMinute: [one("orders.placed")],
        skus: [],
        stage: { stage: "placed", reason: null },
      };
    }
    case "OrderConfirmed": {
      const { data } = event;
      return {
        fact: fact(data.orderId, `confirmed, ${formatMoney(data.total)}`),
        figures: [total, one("orders.confirmed"), money("revenue.gross", data.total)],
        perMinute: [one("orders.confirmed"), money("revenue.gross", data.total)],
        skus: data.lines.map((line) => ({
          sku: line.sku,
          currency: line.unitPrice.currency,
          units: line.quantity,
          revenueMinor: line.quantity * line.unitPrice.amountMinor,
        })),
        stage: { stage: "confirmed", reason: null },
        revenue: {
          orderId: data.orderId,
          currency: data.total.currency,
          bookedMinor: data.total.amountMinor,
          refundedMinor: 0,
        },
      };
    }
    case "OrderCancelled": {
      const { data } = event;
      return {
        fact: fact(data.orderId, data.detail ? `${data.reason}: ${data.detail}` : data.reason),
        figures: [total, one("orders.cancelled"), one("orders.cancelled_by_reason", data.reason)],
        perMinute: [one("orders.cancelled")],
        skus: [],
        stage: { stage: "cancelled", reason: data.reason },
      };
    }
    case "InventoryReserved": {
      const { data } = event;
      const units = data.lines.reduce((sum, line) => sum + line.quantity, 0);
      return {
        ...counted(data.orderId, `reserved ${plural(units, "unit")}`, one("inventory.reserved")),
        stage: { stage: "reserved", reason: null },
      };
    }
    case "InventoryReservationFailed": {
      const { data } = event;
      const short = data.unavailableSkus
        .map((item) => `${item.sku} (${item.requested} wanted, ${item.available} available)`)
        .join(", ");
      return counted(data.orderId, `short: ${short}`, one("inventory.reservation_failed"));
    }
    case "InventoryReleased": {
      const { data } = event;
      const units = data.lines.reduce((sum, line) => sum + line.quantity, 0);
      return counted(data.orderId, `released ${plural(units, "unit")}`, one("inventory.released"));
    }
    case "PaymentProcessed": {
      const { data } = event;
      return {
        ...counted(data.orderId, `charged ${formatMoney(data.amount)}`, one("payments.processed")),
        stage: { stage: "paid", reason: null },
      };
    }
    case "PaymentFailed": {
      const { data } = event;
      return counted(
        data.orderId,
        data.detail ? `${data.reason}: ${data.detail}` : data.reason,
        one("payments.failed"),
        one("payments.failed_by_reason", data.reason),
      );
    }
    case "PaymentRefunded": {
      const { data } = event;
      return {
        // The refunded revenue it stands for depends on what was booked for the order: the store
        // works it out from the order's ledger.
        ...counted(data.orderId, `refunded ${formatMoney(data.amount)}`, one("payments.refunded")),
        revenue: {
          orderId: data.orderId,
          currency: data.amount.currency,
          bookedMinor: 0,
          refundedMinor: data.amount.amountMinor,
        },
      };
    }
    case "EmailSent": {
      const { data } = event;
      return counted(data.orderId, `${data.template} mail sent`, one("emails.sent"));
    }
    case "EmailFailed": {
      const { data } = event;
      return counted(
        data.orderId,
        `${data.template} mail failed: ${withoutRecipient(data.error, data.recipient)}`,
        one("emails.failed"),
      );
    }
    case "SalesPeriodSummarized": {
      const { data } = event;
      return counted(
        null,
        `${data.periodId}: ${data.orderCount} placed, ${data.confirmedCount} confirmed, ${data.cancelledCount} cancelled`,
        one("periods.summarized"),
      );
    }
  }
}

/** The funnel figure an order reaching `stage` for the first time adds, if the stage is in the funnel. */
export function funnelDelta(stage: Stage): FigureDelta | undefined {
  return (FUNNEL_STAGES as readonly string[]).includes(stage)
    ? one(`funnel.${stage as FunnelStage}`)
    : undefined;
}

/**
 * Sums deltas with the same name and key (one upsert may touch a row only once), sorted so that
 * concurrent writers lock the rows in one order.
 */
export function mergeDeltas(deltas: readonly FigureDelta[]): FigureDelta[] {
  const merged = new Map<string, FigureDelta>();
  for (const delta of deltas) {
    const key = `${delta.name}\u0000${delta.key}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, delta: seen.delta + delta.delta } : delta);
  }
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, delta]) => delta);
}

/** The start of the UTC minute `ms` falls in. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}

/** "56.99 EUR": minor units in the currency's own number of decimals (JPY has none). */
export function formatMoney(amount: Money): string {
  const digits = currencyDigits(amount.currency);
  const value = amount.amountMinor / 10 ** digits;
  return `${value.toFixed(digits)} ${amount.currency}`;
}

function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
