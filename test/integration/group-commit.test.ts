import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { groupedTransaction, MAX_GROUP } from "../../src/store/group-commit.ts";
import { recordSignup } from "../../src/store/subscribers.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";

for (const engine of ENGINES) {
  describe(`transactions asked for together (${engine})`, () => {
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

    /** Writes one suppression row (a table with nothing hanging off it) and returns the transaction it ran in. */
    const write = (hash: string) => (trx: Parameters<Parameters<typeof groupedTransaction>[1]>[0]) =>
      trx.insertInto("suppressions").values({ email_hash: hash, reason: "deleted", created_at: 1 }).execute().then(() => trx);

    it(engine === "sqlite" ? "share one commit on SQLite, and each caller gets its own answer" : "each get a transaction of their own on PostgreSQL", async () => {
      await open();
      const trxs = await Promise.all(["a", "b", "c"].map((hash) => groupedTransaction(db, write(hash))));
      expect(new Set(trxs).size).toBe(engine === "sqlite" ? 1 : 3);
      const answers = await Promise.all([1, 2, 3].map((n) => groupedTransaction(db, async () => n * 10)));
      expect(answers).toEqual([10, 20, 30]);
      expect((await db.selectFrom("suppressions").select("email_hash").orderBy("email_hash").execute()).map((r) => r.email_hash)).toEqual(["a", "b", "c"]);
    });

    it("a caller whose work fails gets its error, and the others' writes still commit", async () => {
      await open();
      const failing = groupedTransaction(db, async (trx) => {
        await write("b")(trx);
        throw new Error("this one fails");
      });
      const results = await Promise.allSettled([groupedTransaction(db, write("a")), failing, groupedTransaction(db, write("c"))]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error("this one fails"));
      expect((await db.selectFrom("suppressions").select("email_hash").orderBy("email_hash").execute()).map((r) => r.email_hash)).toEqual(["a", "c"]);
    });

    it("a caller hears of its write only once it is committed, where another connection can read it", async () => {
      await open();
      const seen = await groupedTransaction(db, write("a")).then(async () => {
        if (engine === "sqlite") {
          const other = new SQLite(testDb.url.replace(/^sqlite:/, ""), { readonly: true });
          try {
            return (other.prepare("select email_hash from suppressions").all() as { email_hash: string }[]).map((r) => r.email_hash);
          } finally {
            other.close();
          }
        }
        return (await db.selectFrom("suppressions").select("email_hash").execute()).map((r) => r.email_hash);
      });
      expect(seen).toEqual(["a"]);
    });

    it(`more callers than one group holds (${MAX_GROUP}) all commit, in groups of at most that many`, async () => {
      await open();
      const hashes = Array.from({ length: MAX_GROUP * 2 + 5 }, (_, i) => `h${String(i).padStart(3, "0")}`);
      const trxs = await Promise.all(hashes.map((hash) => groupedTransaction(db, write(hash))));
      const sizes = [...new Set(trxs)].map((trx) => trxs.filter((t) => t === trx).length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_GROUP);
      expect(await db.selectFrom("suppressions").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow().then((r) => Number(r.n))).toBe(hashes.length);
    });

    it("signups of the same address in one group make one reader and one confirmation email", async () => {
      await open();
      const course = await loadCourse("content/couples-therapy-up-close");
      const now = Date.now();
      const input = (email: string) => ({ email, name: null, timezone: "Europe/Paris", ip: "192.0.2.1", userAgent: "test", form: "signup-page", consentTextVersion: "v1", course: { slug: course.slug, firstSlug: course.lessons[0]!.slug } });
      const results = await Promise.all(["ann@example.com", "Ann@Example.com", "bob@example.com", "ann@example.com"].map((email) => recordSignup(db, input(email), now)));
      expect(new Set(results.map((r) => r.subscriberId)).size).toBe(2);
      expect(results.filter((r) => r.confirmationSendId).length).toBe(2);
      // One reader per mailbox. Which spelling of Ann's address is kept is the first signup's to
      // commit: on SQLite the group runs them in order, on PostgreSQL each commits on its own and
      // they race, so either spelling is right there.
      const stored = (await db.selectFrom("subscribers").select("email").execute()).map((r) => r.email).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
      expect(stored.map((email) => email.toLowerCase())).toEqual(["ann@example.com", "bob@example.com"]);
      expect(engine === "sqlite" ? ["ann@example.com"] : ["ann@example.com", "Ann@Example.com"]).toContain(stored[0]);
      const consent = await db.selectFrom("consent_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
      expect(Number(consent.n)).toBe(4);
    });
  });
}

describe("a grouped transaction on SQLite", () => {
  it("takes the write lock as it begins, so another process's write cannot come between its reads and its writes", async () => {
    const testDb = await createTestDatabase("sqlite");
    const db = await openDatabase(testDb.url);
    // Another process on the same file, as a second `start:http` is: it waits for no lock.
    const other = new SQLite(testDb.url.replace(/^sqlite:/, ""));
    other.pragma("busy_timeout = 0");
    let attempt = 0;
    try {
      const otherWrote = await groupedTransaction(db, async (trx) => {
        await trx.selectFrom("suppressions").select("email_hash").execute();
        let wrote = true;
        try {
          other.prepare("insert into suppressions (email_hash, reason, created_at) values (?, 'deleted', 1)").run(`other-${attempt++}`);
        } catch {
          wrote = false;
        }
        await trx.insertInto("suppressions").values({ email_hash: "mine", reason: "deleted", created_at: 1 }).execute();
        return wrote;
      });
      expect(otherWrote).toBe(false);
      expect((await db.selectFrom("suppressions").select("email_hash").execute()).map((r) => r.email_hash)).toEqual(["mine"]);
    } finally {
      other.close();
      await db.destroy();
      await testDb.drop();
    }
  });
});

