import type { DomainEvent } from "@herald/events";
import type pg from "pg";
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import { applyEvents, writableGenerations } from "./store.js";

/**
 * The consumer's handler: records the event in every writable generation (the live one, and the
 * one a rebuild is building) inside the inbox transaction. The generations are read per event, so
 * a rebuild that starts sees every event from then on in its own generation too.
 */
export function createProjectionHandler(options: {
  logger: Logger;
  projected?: Counter<"type" | "outcome">;
}) {
  const { logger, projected } = options;
  return async (event: DomainEvent, tx: pg.ClientBase): Promise<void> => {
    const generations = await writableGenerations(tx);
    let fresh = 0;
    for (const generation of generations) fresh += await applyEvents(tx, generation, [event]);
    projected?.inc({ type: event.type, outcome: fresh > 0 ? "new" : "known" });
    logger.debug(
      {
        type: event.type,
        eventId: event.data.metadata.eventId,
        correlationId: event.data.metadata.correlationId,
        generations,
        fresh,
      },
      "event projected",
    );
  };
}
