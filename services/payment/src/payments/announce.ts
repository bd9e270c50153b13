import { createMetadata, type DomainEvent, type Metadata } from "@herald/events";
import type { PaymentEventDraft } from "./domain.js";

export const PRODUCER = "payment";

/** Stamps drafts as events caused by `cause`: same saga, its id as causation, its trace. */
export function stamp(
  drafts: readonly PaymentEventDraft[],
  cause: Metadata | null,
  now: number,
): DomainEvent[] {
  return drafts.map(
    (draft) =>
      ({
        type: draft.type,
        data: {
          ...draft.data,
          metadata: createMetadata({ producer: PRODUCER, cause: cause ?? undefined, now: new Date(now) }),
        },
      }) as DomainEvent,
  );
}
