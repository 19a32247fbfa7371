import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { createLogger, redactTokens } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { upsertEnrollment } from "../../src/store/enrollments.ts";
import { confirmSubscriber, recordSignup } from "../../src/store/subscribers.ts";
import { joinNextToken, unsubscribeToken, webVersionToken } from "../../src/tokens.ts";
import { appFor, form } from "../support/app.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import type { FakeDispatcher } from "../support/fake-dispatcher.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * Chaining, the page half: Morning Pages names Evening Review as `next`, and its graduation email
 * links to /join/<token>, the token naming that graduation email's ledger row.
 */
const MORNING = "morning-pages";
const EVENING = "evening-review";

describe.each(ENGINES)("joining the next course (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let catalogue: Catalogue;
  let dispatcher: FakeDispatcher;
  let clock: { now: number };
  let lines: string[];
  let app: ReturnType<typeof appFor>;
  let subscriberId: string;
  let morningEnrollment: string;
  let token: string;

  /** A ledger row of the reader's Morning Pages enrollment (a graduation email, or a lesson). */
  async function addSend(kind: "graduation" | "lesson", enrollmentId = morningEnrollment): Promise<string> {
    const id = crypto.randomUUID();
    await db
      .insertInto("sends")
      .values({
        id, dedupe_key: `${kind}:${enrollmentId}:${id}`, kind, subscriber_id: subscriberId, enrollment_id: enrollmentId, lesson_slug: kind === "graduation" ? "graduation" : "first-light",
        status: "sent", provider_id: `p-${id}`, error: null, enqueued_at: clock.now, sent_at: clock.now, created_at: clock.now, updated_at: clock.now,
      })
      .execute();
    return id;
  }

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    dispatcher = createFakeDispatcher(db);
    clock = { now: Date.UTC(2026, 0, 5, 10) };
    lines = [];
    app = appFor({ db, course: catalogue.get(MORNING)!, clock, dispatcher }, { catalogue, log: createLogger("debug", (line) => lines.push(line)) });

    subscriberId = (await recordSignup(db, { email: "grad@example.com", name: "Gia", timezone: "UTC", ip: null, userAgent: null, form: "test", consentTextVersion: "test" }, clock.now)).subscriberId!;
    await confirmSubscriber(db, subscriberId, { ip: null, userAgent: null, how: "test" }, clock.now);
    await db.updateTable("sends").set({ status: "sent" }).where("subscriber_id", "=", subscriberId).execute();
    morningEnrollment = await upsertEnrollment(db, subscriberId, MORNING, null, clock.now);
    await db.updateTable("enrollments").set({ status: "completed", completed_at: clock.now, next_due_at: null }).where("id", "=", morningEnrollment).execute();
    token = await joinNextToken(TEST_SECRET, await addSend("graduation"));
    clock.now += 2 * 24 * 3600 * 1000;
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  const eveningEnrollments = () => db.selectFrom("enrollments").select(["id", "status"]).where("subscriber_id", "=", subscriberId).where("course_slug", "=", EVENING).execute();
  const eveningSends = () =>
    db.selectFrom("sends").innerJoin("enrollments", "enrollments.id", "sends.enrollment_id").select(["sends.id", "sends.kind", "sends.lesson_slug", "sends.status"]).where("enrollments.course_slug", "=", EVENING).execute();
  const optIns = async () =>
    (await db.selectFrom("consent_events").select(["course_slug", "detail"]).where("subscriber_id", "=", subscriberId).where("kind", "=", "opt_in").where("course_slug", "is not", null).execute()).map((e) => ({
      course: e.course_slug,
      ...(JSON.parse(e.detail!) as object),
    }));
  const nothingJoined = async () => {
    expect(await eveningEnrollments()).toEqual([]);
    expect(await eveningSends()).toEqual([]);
    expect(await optIns()).toEqual([]);
    expect(dispatcher.sends).toEqual([]);
  };

  it("GET shows the offer, the next course's description and a button, and changes nothing", async () => {
    const res = await app.request(`/join/${token}`, { headers: { "user-agent": "Mozilla/5.0 link-scanner" } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("<h1>Join Evening Review</h1>");
    expect(page).toContain(catalogue.get(EVENING)!.description);
    expect(page).toContain(`<form class="card" method="post" action="/join/${token}">`);
    expect(page).toContain("<button type=\"submit\">Join Evening Review</button>");
    await nothingJoined();
  });

  it("POST enrolls the reader in the next course and queues its lesson 1 at once, with an opt-in naming the course", async () => {
    const res = await app.request(`/join/${token}`, form());
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Welcome to Evening Review. Lesson 1 is on its way to your inbox.");
    expect(await eveningEnrollments()).toMatchObject([{ status: "active" }]);
    const sends = await eveningSends();
    expect(sends).toMatchObject([{ kind: "lesson", lesson_slug: catalogue.get(EVENING)!.lessons[0]!.slug, status: "queued" }]);
    expect(dispatcher.sends).toEqual([sends[0]!.id]);
    expect(await optIns()).toEqual([{ course: EVENING, how: "join-next", from: MORNING }]);
    // The finished course is left as it was.
    expect((await db.selectFrom("enrollments").select("status").where("id", "=", morningEnrollment).executeTakeFirstOrThrow()).status).toBe("completed");
  });

  it("a second POST (or the page opened again) says the reader is already in, and changes nothing", async () => {
    await app.request(`/join/${token}`, form());
    const before = { enrollments: await eveningEnrollments(), sends: await eveningSends(), handed: [...dispatcher.sends] };
    const again = await app.request(`/join/${token}`, form());
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("You&#39;re already in Evening Review; nothing changes.");
    const page = await (await app.request(`/join/${token}`)).text();
    expect(page).toContain("You&#39;re already in Evening Review.");
    expect(page).not.toContain("<form");
    expect({ enrollments: await eveningEnrollments(), sends: await eveningSends(), handed: [...dispatcher.sends] }).toEqual(before);
    expect(await optIns()).toHaveLength(1);
  });

  it("a reader who had left the next course can join it again from the offer", async () => {
    const left = await upsertEnrollment(db, subscriberId, EVENING, catalogue.get(EVENING)!.lessons[0]!.slug, clock.now - 1000);
    await db.updateTable("enrollments").set({ status: "cancelled", next_due_at: null }).where("id", "=", left).execute();
    expect(await (await app.request(`/join/${token}`)).text()).toContain(`action="/join/${token}"`);
    expect((await app.request(`/join/${token}`, form())).status).toBe(200);
    expect(await eveningEnrollments()).toEqual([{ id: left, status: "active" }]);
    expect(await optIns()).toEqual([{ course: EVENING, how: "join-next", from: MORNING }]);
  });

  it("refuses a tampered link, another purpose's token and a token naming no graduation email, with a 404 that shows nothing", async () => {
    const [payload, signature] = token.split(".") as [string, string];
    const lesson = await addSend("lesson");
    const refused = [
      `${payload}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`,
      token.slice(0, -3),
      "not-a-token",
      await webVersionToken(TEST_SECRET, token),
      await unsubscribeToken(TEST_SECRET, subscriberId),
      await joinNextToken(TEST_SECRET, lesson),
      await joinNextToken(TEST_SECRET, crypto.randomUUID()),
    ];
    for (const bad of refused) {
      for (const init of [undefined, form()]) {
        const res = await app.request(`/join/${bad}`, init);
        expect(res.status, bad).toBe(404);
        const body = await res.text();
        expect(body).not.toContain("Evening Review");
        expect(body).not.toContain("grad@example.com");
      }
    }
    await nothingJoined();
  });

  it("refuses a reader who unsubscribed from all email, or whose address bounced, with a clear 409", async () => {
    await app.request(`/unsubscribe/${await unsubscribeToken(TEST_SECRET, subscriberId)}`, form({ scope: "all" }));
    for (const init of [undefined, form()]) {
      const res = await app.request(`/join/${token}`, init);
      expect(res.status).toBe(409);
      expect(await res.text()).toContain("You unsubscribed from all our email, so this link can&#39;t enroll you.");
    }
    await db.updateTable("subscribers").set({ status: "bounced" }).where("id", "=", subscriberId).execute();
    const bounced = await app.request(`/join/${token}`, form());
    expect(bounced.status).toBe(409);
    expect(await bounced.text()).toContain("We can no longer send email to your address");
    await nothingJoined();
  });

  it("answers 410 when the finished course no longer names a next course here", async () => {
    const eveningEnrollment = await upsertEnrollment(db, subscriberId, EVENING, null, clock.now);
    const eveningGraduation = await joinNextToken(TEST_SECRET, await addSend("graduation", eveningEnrollment));
    const res = await app.request(`/join/${eveningGraduation}`, form());
    expect(res.status).toBe(410);
    expect(await res.text()).toContain("This course is no longer offered here.");
  });

  it("a cross-site POST is refused: only our own page's button joins", async () => {
    const res = await app.request(`/join/${token}`, form({}, { origin: "https://evil.example" }));
    expect(res.status).toBe(403);
    await nothingJoined();
  });

  it("keeps join tokens out of the logs", async () => {
    expect(redactTokens(`/join/${token}`)).toBe("/join/[redacted]");
    expect(redactTokens(`https://lessons.example.test/Join%2F${token}?x=1`)).toBe("https://lessons.example.test/Join%2F[redacted]?x=1");
    await app.request(`/join/${token}`, form());
    expect(lines.some((line) => line.includes("reader joined the next course"))).toBe(true);
    for (const line of lines) expect(line).not.toContain(token.split(".")[0]!);
  });
});
