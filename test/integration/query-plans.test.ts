import { CompiledQuery } from "kysely";
import type { KyselyPlugin } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { resumeExpiredPauses } from "../../src/store/enrollments.ts";
import { findUnqueuedSends } from "../../src/store/sends.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { Engine, TestDatabase } from "../support/databases.ts";

/**
 * The tick runs these lookups every few seconds whatever the size of the list, so each must be
 * served by an index, not by reading a table that grows with every reader or email. The store's
 * own statements are captured as it runs them, and each database is asked for their plans:
 * SQLite's EXPLAIN QUERY PLAN, and PostgreSQL's EXPLAIN with sequential scans priced out (on a
 * table this small its planner would rightly prefer one; the question is whether an index can
 * serve the lookup at all, and with which conditions).
 */
async function statementsOf(db: Database, run: (db: Database) => Promise<unknown>): Promise<CompiledQuery[]> {
  const seen: CompiledQuery[] = [];
  const capture: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      seen.push(db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await run(db.withPlugin(capture));
  return seen;
}

async function planOf(db: Database, engine: Engine, { sql, parameters }: CompiledQuery): Promise<string> {
  return db.connection().execute(async (conn) => {
    if (engine === "sqlite") {
      const { rows } = await conn.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${sql}`, [...parameters]));
      return rows.map((r) => r.detail).join("\n");
    }
    await conn.executeQuery(CompiledQuery.raw("set enable_seqscan = off"));
    try {
      const { rows } = await conn.executeQuery<{ "QUERY PLAN": string }>(CompiledQuery.raw(`explain ${sql}`, [...parameters]));
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    } finally {
      await conn.executeQuery(CompiledQuery.raw("reset enable_seqscan"));
    }
  });
}

for (const engine of ENGINES) {
  describe(`the tick's lookups (${engine})`, () => {
    let testDb: TestDatabase;
    let db: Database;
    afterEach(async () => {
      await db.destroy();
      await testDb.drop();
    });

    it("finds the pauses whose time is up through an index of paused readers, not by reading every enrollment", async () => {
      testDb = await createTestDatabase(engine);
      db = await openDatabase(testDb.url);
      const [lookup] = await statementsOf(db, (spy) => resumeExpiredPauses(spy, Date.now()));
      const plan = await planOf(db, engine, lookup!);
      expect(plan).toContain("enrollments_paused_idx");
      expect(plan).not.toMatch(/SCAN enrollments$|Seq Scan on enrollments/m);
    });

    it("finds the emails Redis has not been handed, never or long ago, each as a range of the queue index rather than every queued email", async () => {
      testDb = await createTestDatabase(engine);
      db = await openDatabase(testDb.url);
      const lookups = await statementsOf(db, (spy) => findUnqueuedSends(spy, Date.now(), 60_000, 100));
      expect(lookups).toHaveLength(2);
      const plans = await Promise.all(lookups.map((q) => planOf(db, engine, q)));
      // Both the status and the hand-over time bound the index range: a seek on status alone
      // would read every email still queued, however long ago Redis was given it.
      if (engine === "sqlite") {
        expect(plans[0]).toMatch(/sends_status_enqueued_idx \(status=\? AND enqueued_at<\?\)/);
        expect(plans[1]).toMatch(/sends_status_enqueued_idx \(status=\? AND enqueued_at=\?\)/);
      } else {
        expect(plans[0]).toMatch(/Index Cond: \(\(status = ANY .*\) AND \(enqueued_at <= /);
        expect(plans[1]).toMatch(/Index Cond: \(\(status = ANY .*\) AND \(enqueued_at IS NULL\)\)/);
      }
    });
  });
}
