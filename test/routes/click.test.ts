import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalogueOf } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { composeEmail } from "../../src/render/compose.ts";
import { newsletterText } from "../../src/store/broadcast-delivery.ts";
import { createBroadcast } from "../../src/store/broadcasts.ts";
import type { OutgoingEmail } from "../../src/send/mailer.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import type { Send } from "../../src/store/sends.ts";
import { clickToken, webVersionToken } from "../../src/tokens.ts";
import { appFor } from "../support/app.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * GET /r/<token>: a tracked link of a course with `tracking: { clicks: true }` answers a 302 to
 * the link the publisher wrote, records the click once per reader, email and link, and refuses
 * anything its token does not prove with a plain page and no Location header.
 * test/fixtures/content/tracked-clicks: field-notes tracks clicks; lesson 1 links to the walk
 * (twice) and the field guide.
 */
const CONTENT_DIR = "test/fixtures/content/tracked-clicks";
const APP_URL = "https://lessons.example.test";
const ADMIN = "admin-token-for-click-tests-0123456789";
const WALK = "https://walks.example/block?from=home&pace=slow";
const GUIDE = "https://guide.example/field";

describe.each(ENGINES)("tracked links (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let course: Course;
  let subscriberId: string;
  let lesson1: Send;
  const clock = { now: Date.UTC(2026, 10, 2, 9) };

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    course = (await loadCatalogue(CONTENT_DIR)).get("field-notes")!;
    const reader = await confirmedReader(db, course, { email: "ann@example.com", name: "Ann", confirmedAt: clock.now });
    subscriberId = reader.subscriberId;
    const id = crypto.randomUUID();
    await db
      .insertInto("sends")
      .values({
        id, dedupe_key: `lesson:${reader.enrollmentId}:look-around`, kind: "lesson", subscriber_id: subscriberId, enrollment_id: reader.enrollmentId, lesson_slug: "look-around",
        status: "sent", provider_id: `p-${id}`, error: null, enqueued_at: clock.now, sent_at: clock.now, created_at: clock.now, updated_at: clock.now,
      })
      .execute();
    lesson1 = await db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  const app = (withCourse: Course = course) => appFor({ db, course: withCourse, clock }, { catalogue: catalogueOf([withCourse]), adminToken: ADMIN });

  /** The lesson as the send worker composes it for Ann. */
  async function email(): Promise<OutgoingEmail> {
    const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();
    return composeEmail(lesson1, subscriber, { course, appUrl: APP_URL, secretKey: TEST_SECRET, from: "Field Press <lessons@example.test>", now: clock.now });
  }

  /** The tracked links of the lesson's body, in order, as paths on the test app. */
  async function trackedPaths(): Promise<string[]> {
    const found = [...(await email()).html.matchAll(/href="(https:\/\/lessons\.example\.test\/r\/[^"]+)"/g)].map((m) => new URL(m[1]!).pathname);
    expect(found).toHaveLength(3);
    return found;
  }

  const clicks = () => db.selectFrom("clicks").selectAll().orderBy("link_index").execute();

  it("answers a 302 to the link as written and records the click, with the row's clicked_at", async () => {
    const [walk, guide] = await trackedPaths();
    const res = await app().request(walk!);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(WALK);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect((await app().request(guide!)).headers.get("location")).toBe(GUIDE);

    const rows = await clicks();
    expect(rows.map((r) => [r.url, r.send_id, r.subscriber_id, r.course_slug, Number(r.clicked_at)])).toEqual([
      [WALK, lesson1.id, subscriberId, "field-notes", clock.now],
      [GUIDE, lesson1.id, subscriberId, "field-notes", clock.now],
    ]);
    const row = await db.selectFrom("sends").select("clicked_at").where("id", "=", lesson1.id).executeTakeFirstOrThrow();
    expect(Number(row.clicked_at)).toBe(clock.now);
  });

  it("records a click once per reader, lesson and link: a second click, or the same link further down, adds nothing", async () => {
    const [walk, , walkAgain] = await trackedPaths();
    expect((await app().request(walk!)).status).toBe(302);
    const firstAt = clock.now;
    clock.now += 60_000;
    expect((await app().request(walk!)).headers.get("location")).toBe(WALK);
    expect((await app().request(walkAgain!)).headers.get("location")).toBe(WALK);
    const rows = await clicks();
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.clicked_at)).toBe(firstAt);
    const row = await db.selectFrom("sends").select("clicked_at").where("id", "=", lesson1.id).executeTakeFirstOrThrow();
    expect(Number(row.clicked_at)).toBe(firstAt);
  });

  it("follows a HEAD request (what link scanners often send) without counting it", async () => {
    const [walk] = await trackedPaths();
    const res = await app().request(walk!, { method: "HEAD" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(WALK);
    expect(await clicks()).toEqual([]);
  });

  it.each([
    ["a changed signature", (path: string) => `${path.slice(0, -3)}${path.endsWith("AAA") ? "BBB" : "AAA"}`],
    ["a changed payload", (path: string) => path.replace(/\/r\/(.)/, (_, c: string) => `/r/${c === "Y" ? "Z" : "Y"}`)],
    ["a cut-off token", (path: string) => path.slice(0, -10)],
    ["no signature", (path: string) => path.split(".")[0]!],
  ])("refuses %s with a plain 404 page and no redirect", async (_, tamper) => {
    const [walk] = await trackedPaths();
    const res = await app().request(tamper(walk!), { headers: { accept: "text/html" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain("lead anywhere. It may be cut off");
    expect(page).not.toContain("walks.example");
    expect(await clicks()).toEqual([]);
  });

  it("refuses a token signed with another key, of another purpose, or naming no email, with no redirect", async () => {
    const foreign = await clickToken("someone-elses-secret-key-0123456789abcdef", lesson1.id, 0, WALK);
    const otherPurpose = await webVersionToken(TEST_SECRET, lesson1.id);
    const noRow = await clickToken(TEST_SECRET, crypto.randomUUID(), 0, WALK);
    for (const token of [foreign, otherPurpose, noRow, "", "x".repeat(600)]) {
      const res = await app().request(`/r/${token}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("location")).toBeNull();
    }
    expect(await clicks()).toEqual([]);
  });

  it("never leads anywhere but a link of the email: a validly signed token for an address not in the lesson is refused", async () => {
    const elsewhere = await clickToken(TEST_SECRET, lesson1.id, 0, "https://evil.example/phish");
    const res = await app().request(`/r/${elsewhere}`);
    expect(res.status).toBe(410);
    expect(res.headers.get("location")).toBeNull();
  });

  it("finds a link an edit moved, and says plainly when an edit removed it", async () => {
    const [walk, guide] = await trackedPaths();
    const lesson = course.lessons[0]!;
    const edited = (markdown: string): Course => ({ ...course, lessons: [{ ...lesson, markdown }, ...course.lessons.slice(1)] });
    const moved = edited(`First [the field guide](${GUIDE}).\n\nThen [a walk](${WALK}).`);
    expect((await app(moved).request(guide!)).headers.get("location")).toBe(GUIDE);
    const removed = edited("No links any more.");
    const res = await app(removed).request(walk!);
    expect(res.status).toBe(410);
    expect(res.headers.get("location")).toBeNull();
    expect((await clicks()).map((c) => [c.url, c.link_index])).toEqual([[GUIDE, 0]]);
  });

  it("still follows the links of a course that has since stopped tracking clicks, without recording them", async () => {
    const [walk] = await trackedPaths();
    const res = await app({ ...course, tracking: { clicks: false } }).request(walk!);
    expect(res.headers.get("location")).toBe(WALK);
    expect(await clicks()).toEqual([]);
  });

  it("follows and records a newsletter's links, found in the newsletter's own text, once per reader and link", async () => {
    const NEWS = "https://news.example/spring?issue=1";
    const broadcastId = await createBroadcast(db, course, { subject: "Spring", markdown: `Read [the spring issue](${NEWS}).`, audience: { kind: "course" } }, clock.now);
    const id = crypto.randomUUID();
    await db
      .insertInto("sends")
      .values({
        id, dedupe_key: `newsletter:${broadcastId}:${subscriberId}`, kind: "newsletter", subscriber_id: subscriberId, enrollment_id: null, lesson_slug: null, broadcast_id: broadcastId,
        status: "sent", provider_id: `p-${id}`, error: null, enqueued_at: clock.now, sent_at: clock.now, created_at: clock.now, updated_at: clock.now,
      })
      .execute();
    const row = await db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();
    const news = await composeEmail(row, subscriber, { course, appUrl: APP_URL, secretKey: TEST_SECRET, from: "", now: clock.now }, await newsletterText(db, broadcastId));
    const link = /href="(https:\/\/lessons\.example\.test\/r\/[^"]+)"/.exec(news.html)?.[1];
    expect(link).toBeDefined();
    for (let i = 0; i < 2; i++) expect((await app().request(new URL(link!).pathname)).headers.get("location")).toBe(NEWS);
    expect((await clicks()).map((c) => [c.url, c.send_id, c.item])).toEqual([[NEWS, id, `newsletter:${broadcastId}`]]);
  });

  it("shows each link followed on the reader's timeline", async () => {
    const [walk] = await trackedPaths();
    await app().request(walk!);
    const res = await app().request(`/admin/api/subscribers/${subscriberId}?course=field-notes`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { timeline: { kind: string; text: string; sendId: string | null }[] };
    const clicked = body.timeline.filter((t) => t.kind === "clicked");
    expect(clicked).toEqual([{ at: expect.any(String), kind: "clicked", text: `Lesson 1 “Look Around”: followed the link to ${WALK}`, sendId: lesson1.id }]);
  });

  it("is in the reader's own data export", async () => {
    const [walk] = await trackedPaths();
    await app().request(walk!);
    const res = await app().request(`/admin/api/subscribers/${subscriberId}/export`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const data = (await res.json()) as { linksFollowed: unknown };
    expect(data.linksFollowed).toEqual([{ url: WALK, at: new Date(clock.now).toISOString(), lesson: "look-around" }]);
  });

  it("goes with the reader when they are erased", async () => {
    const [walk] = await trackedPaths();
    await app().request(walk!);
    expect(await clicks()).toHaveLength(1);
    const res = await app().request(`/admin/api/subscribers/${subscriberId}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBeLessThan(300);
    expect(await clicks()).toEqual([]);
    // The erased reader's old link now leads nowhere, like their web version.
    expect((await app().request(walk!)).headers.get("location")).toBeNull();
  });
});

describe("the privacy note of a course's pages", () => {
  it("says that clicks are tracked on a course that tracks them, and says nothing of it on one that does not", async () => {
    const testDb = await createTestDatabase("sqlite");
    const db = await openDatabase(testDb.url);
    try {
      const catalogue = await loadCatalogue(CONTENT_DIR);
      const app = appFor({ db, course: catalogue.get("field-notes")!, clock: { now: Date.now() } }, { catalogue });
      const tracked = await (await app.request("/courses/field-notes")).text();
      const plain = await (await app.request("/courses/plain-notes")).text();
      const note = /<p class="privacy" data-privacy[^>]*>([^]*?)<\/p>/.exec(tracked)?.[1] ?? "";
      expect(note).toContain("records the first time you follow each link of each email, so that Field Press can see which links readers find useful.");
      expect(note).toContain("No tracking image is added to the emails.");
      expect(plain).toContain("data-privacy");
      expect(plain).not.toContain("follow each link");
    } finally {
      await db.destroy();
      await testDb.drop();
    }
  });
});
