import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { importReaders } from "../../src/commands/import-readers.ts";
import { confirmToken, unsubscribeToken } from "../../src/tokens.ts";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { openDatabase } from "../../src/store/connect.ts";
import { migrateToLatest, migrateUpTo } from "../../src/store/migrations.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import { form, json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe.each(ENGINES)("one mailbox is one reader (%s)", (engine) => {
  const readers = () => t!.db.selectFrom("subscribers").selectAll().execute();
  const confirmations = () => t!.db.selectFrom("sends").select("id").where("kind", "=", "confirm").execute();

  it("Victim@, victim@ and VICTIM@ are one subscriber with one confirmation, kept as first typed", async () => {
    t = await makeTestApp({ engine });
    for (const email of ["Victim@example.com", "victim@example.com", "VICTIM@EXAMPLE.COM"]) {
      expect((await t.app.request("/subscribe", json({ email }))).status).toBe(202);
    }
    const all = await readers();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ email: "Victim@example.com", email_key: "victim@example.com" });
    expect(await confirmations()).toHaveLength(1);
  });

  it("a CSV import sees a reader under any spelling of their address", async () => {
    t = await makeTestApp({ engine });
    await t.app.request("/subscribe", json({ email: "ann@example.com" }));
    const report = await importReaders(t.db, await loadCourse("content/couples-therapy-up-close"), "email\nANN@example.com\nbob@example.com\nBOB@example.com\n", { consentSource: "test sheet", enroll: false }, t.clock.now);
    expect(report.imported).toBe(1);
    expect(report.existing.map((e) => e.line)).toEqual([2]);
    expect(report.duplicates.map((e) => e.line)).toEqual([4]);
    expect(await readers()).toHaveLength(2);
  });
});

describe.each(ENGINES)("old confirmation links after an unsubscribe (%s)", (engine) => {
  it("posting a confirmation link from before a one-click unsubscribe re-subscribes no one and sends no lesson", async () => {
    t = await makeTestApp({ engine });
    await t.app.request("/subscribe", form({ email: "leaver@example.com" }));
    const id = (await t.db.selectFrom("subscribers").select("id").where("email_key", "=", "leaver@example.com").executeTakeFirstOrThrow()).id;
    const oldLink = `/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`;
    expect((await t.app.request(oldLink, form())).status).toBe(200);
    t.clock.now += 60_000;
    const oneClick = await t.app.request(`/unsubscribe/${await unsubscribeToken(TEST_SECRET, id)}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(oneClick.status).toBe(200);
    const lessonsBefore = await t.db.selectFrom("sends").select("id").where("subscriber_id", "=", id).where("kind", "=", "lesson").execute();

    t.clock.now += 60_000;
    const replay = await t.app.request(oldLink, form());
    expect(replay.status).toBe(410);
    expect(await replay.text()).toContain("sign up again");
    const after = await t.db.selectFrom("subscribers").select("status").where("id", "=", id).executeTakeFirstOrThrow();
    expect(after.status).toBe("unsubscribed");
    expect((await t.db.selectFrom("enrollments").select("status").where("subscriber_id", "=", id).executeTakeFirstOrThrow()).status).toBe("cancelled");
    const lessonsAfter = await t.db.selectFrom("sends").select(["id", "status"]).where("subscriber_id", "=", id).where("kind", "=", "lesson").execute();
    expect(lessonsAfter.map((s) => s.id)).toEqual(lessonsBefore.map((s) => s.id));
    expect(lessonsAfter.every((s) => s.status === "cancelled")).toBe(true);
  });

  it("a fresh signup after the unsubscribe brings the reader back through its own new link", async () => {
    t = await makeTestApp({ engine });
    await t.app.request("/subscribe", form({ email: "returner@example.com" }));
    const id = (await t.db.selectFrom("subscribers").select("id").where("email_key", "=", "returner@example.com").executeTakeFirstOrThrow()).id;
    await t.app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form());
    t.clock.now += 60_000;
    await t.app.request(`/unsubscribe/${await unsubscribeToken(TEST_SECRET, id)}`, form({ scope: "all" }));
    // Past the 10-minute confirmation window, a new signup sends a new link, and that one works.
    t.clock.now += 11 * 60_000;
    await t.app.request("/subscribe", form({ email: "Returner@example.com" }));
    const confirm = await t.app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form());
    expect(confirm.status).toBe(200);
    expect((await t.db.selectFrom("subscribers").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("active");
  });
});

describe.each(ENGINES)("migration 0006_reader_identity (%s)", (engine) => {
  it("keeps the oldest of readers whose addresses differ only in case, with what hangs off them, and drops the younger", async () => {
    const testDb = await createTestDatabase(engine);
    const db = await openDatabase(testDb.url, { migrate: false });
    try {
      const schema = engine === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
      await migrateUpTo(db as Kysely<unknown>, "0005_admin_indexes", schema);
      const row = (id: string, email: string, at: number) => ({
        id, email, name: null, timezone: "UTC", status: "active" as const, created_at: at, updated_at: at, confirmed_at: at, unsubscribed_at: null,
        confirmation_sent_at: at, consent_at: at, consent_ip: null, consent_user_agent: null, consent_form: "test", consent_text_version: "test",
      });
      // Typed against today's schema; both columns 0006 adds are left out on insert, as the old schema requires.
      await db.insertInto("subscribers").values([row("young", "VICTIM@example.com", 3), row("old", "Victim@example.com", 1), row("mid", "victim@example.com", 2), row("other", "other@example.com", 2)]).execute();
      await db.insertInto("consent_events").values({ id: "c1", subscriber_id: "young", kind: "opt_in", at: 3, ip: null, user_agent: null, detail: null }).execute();
      await migrateToLatest(db as Kysely<unknown>, schema);
      const left = await db.selectFrom("subscribers").select(["id", "email", "email_key"]).orderBy("id").execute();
      expect(left).toEqual([{ id: "old", email: "Victim@example.com", email_key: "victim@example.com" }, { id: "other", email: "other@example.com", email_key: "other@example.com" }]);
      expect(await db.selectFrom("consent_events").selectAll().execute()).toEqual([]);
    } finally {
      await db.destroy();
      await testDb.drop();
    }
  });
});
