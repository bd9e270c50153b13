import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeInbox } from "./inbox.js";
import { createTestDatabase, type TestDatabase } from "./testing/support.js";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("inbox retention", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase("inbox_test");
  });

  afterAll(async () => {
    await db.drop();
  });

  async function remember(group: string, count: number, daysAgo: number): Promise<void> {
    await db.pool.query(
      `INSERT INTO inbox (consumer_group, event_id, processed_at)
       SELECT $1, gen_random_uuid(), now() - make_interval(days => $3) FROM generate_series(1, $2)`,
      [group, count, daysAgo],
    );
  }

  async function remembered(group: string): Promise<{ recent: number; old: number }> {
    const { rows } = await db.pool.query<{ recent: string; old: string }>(
      `SELECT count(*) FILTER (WHERE processed_at >= now() - interval '1 day') AS recent,
              count(*) FILTER (WHERE processed_at < now() - interval '1 day') AS old
         FROM inbox WHERE consumer_group = $1`,
      [group],
    );
    return { recent: Number(rows[0]?.recent), old: Number(rows[0]?.old) };
  }

  it("forgets only the group's entries older than the retention, across several batches", async () => {
    await remember("payments", 12_000, 10);
    await remember("payments", 30, 0);
    await remember("emails", 40, 10);

    const purged = await purgeInbox(db.pool, { groupId: "payments", olderThanMs: 7 * DAY_MS });

    expect(purged).toBe(12_000);
    expect(await remembered("payments")).toEqual({ recent: 30, old: 0 });
    expect(await remembered("emails")).toEqual({ recent: 0, old: 40 });
    expect(await purgeInbox(db.pool, { groupId: "payments", olderThanMs: 7 * DAY_MS })).toBe(0);
  });

  it("keeps entries younger than the retention", async () => {
    await remember("shipping", 25, 3);
    expect(await purgeInbox(db.pool, { groupId: "shipping", olderThanMs: 7 * DAY_MS })).toBe(0);
    expect(await remembered("shipping")).toEqual({ recent: 0, old: 25 });
  });
});
