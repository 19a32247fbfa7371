import { CompiledQuery } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { Engine, TestDatabase } from "../support/databases.ts";

/**
 * The tick runs these lookups every few seconds whatever the size of the list, so each must be
 * served by an index, not by reading a table that grows with every reader. The plans are asked of
 * each database: SQLite's EXPLAIN QUERY PLAN, and PostgreSQL's EXPLAIN with sequential scans
 * priced out (on a table this small its planner would rightly prefer one; the question is whether
 * an index could serve the query at all).
 */
async function planOf(db: Database, engine: Engine, query: { compile(): CompiledQuery }): Promise<string> {
  const { sql, parameters } = query.compile();
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
      // The lookup as src/store/enrollments.ts resumeExpiredPauses makes it.
      const plan = await planOf(db, engine, db.selectFrom("enrollments").select("id").where("status", "=", "paused").where("paused_until", "<=", Date.now()).limit(1000));
      expect(plan).toContain("enrollments_paused_idx");
      expect(plan).not.toMatch(/SCAN enrollments$|Seq Scan on enrollments/m);
    });
  });
}
