import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalogueOf } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { composeEmail } from "../../src/render/compose.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { appFor } from "../support/app.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

/** A tracked click (GET /r/<token>) raises email.clicked for subscribed endpoints, once per reader, email and link. */
const CONTENT_DIR = "test/fixtures/content/tracked-clicks";
const ADMIN = "admin-token-for-click-tests-0123456789";

describe("email.clicked from Lessonpost's own click tracking", () => {
  let testDb: TestDatabase;
  let db: Database;
  let course: Course;
  const clock = { now: Date.UTC(2026, 10, 2, 9) };
  beforeEach(async () => {
    testDb = await createTestDatabase("sqlite");
    db = await openDatabase(testDb.url);
    course = (await loadCatalogue(CONTENT_DIR)).get("field-notes")!;
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it("records one email.clicked per link followed, with the reader, course, lesson and link, however often it is clicked", async () => {
    const app = appFor({ db, course, clock }, { catalogue: catalogueOf([course]), adminToken: ADMIN });
    const registered = await app.request("/admin/api/webhooks", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://203.0.113.10/hooks", events: ["email.clicked"] }),
    });
    expect(registered.status).toBe(201);
    const reader = await confirmedReader(db, course, { email: "ann@example.com", name: "Ann", confirmedAt: clock.now });
    const id = crypto.randomUUID();
    await db
      .insertInto("sends")
      .values({ id, dedupe_key: `lesson:${reader.enrollmentId}:look-around`, kind: "lesson", subscriber_id: reader.subscriberId, enrollment_id: reader.enrollmentId, lesson_slug: "look-around", status: "sent", provider_id: `p-${id}`, error: null, enqueued_at: clock.now, sent_at: clock.now, created_at: clock.now, updated_at: clock.now })
      .execute();
    const send = await db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", reader.subscriberId).executeTakeFirstOrThrow();
    const html = (await composeEmail(send, subscriber, { course, appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, from: "F <l@example.test>", now: clock.now })).html;
    const [walk, guide] = [...html.matchAll(/href="(https:\/\/lessons\.example\.test\/r\/[^"]+)"/g)].map((m) => new URL(m[1]!).pathname);
    for (const path of [walk!, walk!, guide!]) expect((await app.request(path)).status).toBe(302);

    const events = await db.selectFrom("outgoing_events").select(["type", "data"]).orderBy("seq").execute();
    expect(events.map((e) => e.type)).toEqual(["email.clicked", "email.clicked"]);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ subscriberId: reader.subscriberId, email: "ann@example.com", course: "field-notes", lesson: "look-around", sendId: id, source: "lessonpost" });
  });
});
