import type { Metadata, SalesPeriodSummarized } from "@herald/events";

export interface Period {
  readonly start: number;
  readonly end: number;
}

/** Figures of one period, read from the facts that occurred in it. */
export interface PeriodFigures {
  readonly orderCount: number;
  readonly confirmedCount: number;
  readonly cancelledCount: number;
  readonly revenue: SalesPeriodSummarized["revenue"];
  readonly topSkus: SalesPeriodSummarized["topSkus"];
}

/** After a gap (the service was down), at most this many missed periods are summarized. */
export const MAX_BACKFILL = 10;

/**
 * The closed periods still to summarize, oldest first: periods are aligned to the epoch and closed
 * once `graceMs` past their end (late events get that long). With nothing published yet, only the
 * latest closed period; after a gap, up to {@link MAX_BACKFILL}.
 */
export function periodsDue(options: {
  now: number;
  periodMs: number;
  graceMs: number;
  lastPublishedEnd: number | undefined;
}): Period[] {
  const { now, periodMs, graceMs, lastPublishedEnd } = options;
  const latestEnd = Math.floor((now - graceMs) / periodMs) * periodMs;
  const earliest = latestEnd - MAX_BACKFILL * periodMs;
  const first =
    lastPublishedEnd === undefined
      ? latestEnd - periodMs
      : Math.max(Math.ceil(lastPublishedEnd / periodMs) * periodMs, earliest);
  const due: Period[] = [];
  for (let start = first; start + periodMs <= latestEnd; start += periodMs)
    due.push({ start, end: start + periodMs });
  return due;
}

/** "2026-12-01T13:47Z/PT1M": the start in ISO 8601 and the length as an ISO duration; stable across runs. */
export function periodIdOf(period: Period): string {
  const iso = new Date(period.start).toISOString();
  const start = iso.endsWith(":00.000Z") ? `${iso.slice(0, 16)}Z` : iso;
  return `${start}/${isoDuration(period.end - period.start)}`;
}

function isoDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `PT${ms / 3_600_000}H`;
  if (ms % 60_000 === 0) return `PT${ms / 60_000}M`;
  return `PT${ms / 1000}S`;
}

export function summaryEventOf(
  period: Period,
  figures: PeriodFigures,
  metadata: Metadata,
): { type: "SalesPeriodSummarized"; data: SalesPeriodSummarized } {
  return {
    type: "SalesPeriodSummarized",
    data: {
      metadata,
      periodId: periodIdOf(period),
      periodStart: period.start,
      periodEnd: period.end,
      ...figures,
    },
  };
}
