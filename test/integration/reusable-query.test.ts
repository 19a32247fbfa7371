import { afterEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { Insertable } from "kysely";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database, SuppressionsTable } from "../../src/store/database.ts";
import { reusableQuery } from "../../src/store/reusable-query.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";

for (const engine of ENGINES) {
  describe(`queries compiled once and bound per call (${engine})`, () => {
    let testDb: TestDatabase;
    let db: Database;
    afterEach(async () => {
      await db.destroy();
      await testDb.drop();
    });

    async function open() {
      testDb = await createTestDatabase(engine);
      db = await openDatabase(testDb.url);
    }

    const insert = reusableQuery((db, row: Insertable<SuppressionsTable>) => db.insertInto("suppressions").values(row).onConflict((oc) => oc.column("email_hash").doUpdateSet({ created_at: row.created_at })).returning(["email_hash", "reason", "created_at"]));
    const select = reusableQuery((db, p: { reason: SuppressionsTable["reason"]; after: number }) => db.selectFrom("suppressions").select("email_hash").where("reason", "=", p.reason).where("created_at", ">", p.after).orderBy("email_hash"));
    const rows = () => db.selectFrom("suppressions").selectAll().orderBy("email_hash").execute();

    it("binds each call's own values, a value used twice and the query's constants, as Kysely's own query would", async () => {
      await open();
      expect((await insert(db, { email_hash: "a", reason: "bounced", created_at: 1 })).rows).toEqual([{ email_hash: "a", reason: "bounced", created_at: 1 }]);
      expect((await insert(db, { email_hash: "b", reason: "deleted", created_at: 2 })).rows).toEqual([{ email_hash: "b", reason: "deleted", created_at: 2 }]);
      // The conflict branch takes its value from the same parameter as the inserted column.
      expect((await insert(db, { email_hash: "a", reason: "bounced", created_at: 7 })).rows).toEqual([{ email_hash: "a", reason: "bounced", created_at: 7 }]);
      expect(await rows()).toEqual([
        { email_hash: "a", reason: "bounced", created_at: 7 },
        { email_hash: "b", reason: "deleted", created_at: 2 },
      ]);
      expect((await select(db, { reason: "bounced", after: 0 })).rows).toEqual([{ email_hash: "a" }]);
      expect((await select(db, { reason: "deleted", after: 0 })).rows).toEqual([{ email_hash: "b" }]);
      expect((await select(db, { reason: "deleted", after: 2 })).rows).toEqual([]);
    });

    it("runs inside a transaction, which rolls it back with the rest", async () => {
      await open();
      await expect(
        db.transaction().execute(async (trx) => {
          await insert(trx, { email_hash: "t", reason: "deleted", created_at: 1 });
          expect((await select(trx, { reason: "deleted", after: 0 })).rows).toEqual([{ email_hash: "t" }]);
          throw new Error("undo");
        }),
      ).rejects.toThrow("undo");
      expect(await rows()).toEqual([]);
    });

    it("keeps a separate query for a call that leaves a column out, as Kysely does for undefined", async () => {
      await open();
      const withOptional = reusableQuery((db, row: { id: string; email: string; name?: string | null | undefined }) =>
        db.insertInto("subscribers").values({ ...row, timezone: "UTC", status: "pending", created_at: 1, updated_at: 1, confirmed_at: null, unsubscribed_at: null, confirmation_sent_at: null, consent_at: 1, consent_ip: null, consent_user_agent: null, consent_form: "test", consent_text_version: "v" }),
      );
      await withOptional(db, { id: "1", email: "one@example.com", name: "One" });
      await withOptional(db, { id: "2", email: "two@example.com", name: undefined });
      await withOptional(db, { id: "3", email: "three@example.com", name: null });
      const names = await db.selectFrom("subscribers").select(["id", "name"]).orderBy("id").execute();
      expect(names).toEqual([
        { id: "1", name: "One" },
        { id: "2", name: null },
        { id: "3", name: null },
      ]);
    });

    it("refuses a query that uses a parameter other than as a bound value", async () => {
      await open();
      const steered = reusableQuery((db, p: { reason: string | null }) => db.selectFrom("suppressions").select("email_hash").where("reason", "=", p.reason ? "bounced" : "deleted"));
      await expect(steered(db, { reason: "x" })).rejects.toThrow(/not bound as values: reason/);
      const joined = reusableQuery((db, p: { hash: string }) => db.selectFrom("suppressions").select("email_hash").where("email_hash", "=", `${p.hash}-x`));
      await expect(joined(db, { hash: "a" })).rejects.toThrow(/changed before it was bound/);
      const literal = reusableQuery((db, p: { hash: string }) => db.selectFrom("suppressions").select("email_hash").where("email_hash", "=", sql.lit(p.hash)));
      await expect(literal(db, { hash: "a" })).rejects.toThrow(/written into the SQL text/);
    });
  });
}
