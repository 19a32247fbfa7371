import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalogueOf } from "../../src/content/catalogue.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { upsertEnrollment } from "../../src/store/enrollments.ts";
import { confirmSubscriber, recordSignup } from "../../src/store/subscribers.ts";
import { composeEmail } from "../../src/render/compose.ts";
import type { ComposeContext } from "../../src/render/compose.ts";
import type { OutgoingEmail } from "../../src/send/mailer.ts";
import { newsletterText } from "../../src/store/broadcast-delivery.ts";
import { createBroadcast } from "../../src/store/broadcasts.ts";
import type { Send } from "../../src/store/sends.ts";
import { sentLessons } from "../../src/store/web-version.ts";
import { confirmToken, preferencesToken, unsubscribeToken, webVersionToken } from "../../src/tokens.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { TEST_SECRET } from "../support/stack.ts";

const APP_URL = "https://lessons.example.test";
const READER = "reader@example.com";

/** "View in your browser: <url>" in the text part, as a path on the test app. */
function webVersionPath(email: Pick<OutgoingEmail, "text">): string {
  const url = /^View in your browser: (\S+)$/m.exec(email.text)?.[1];
  expect(url).toBeDefined();
  expect(url!.startsWith(`${APP_URL}/email/`)).toBe(true);
  return url!.slice(APP_URL.length);
}

/** What a refusal may show: nothing of the reader or of any email. */
async function expectNothingShown(res: Response): Promise<void> {
  expect(res.status).toBe(404);
  const body = await res.text();
  for (const secret of [READER, "Robin", "/unsubscribe/", "/preferences/", "/email/"]) expect(body).not.toContain(secret);
}

describe.each(ENGINES)("web version of every email (%s)", (engine) => {
  let t: TestApp;
  let subscriberId: string;
  let enrollmentId: string;
  let firstLesson: Send;

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    await t.app.request("/subscribe", form({ email: READER, name: "Robin" }));
    subscriberId = (await t.db.selectFrom("subscribers").select("id").where("email", "=", READER).executeTakeFirstOrThrow()).id;
    expect((await t.app.request(`/confirm/${await confirmToken(TEST_SECRET, subscriberId, t.clock.now)}`, form())).status).toBe(200);
    enrollmentId = (await t.db.selectFrom("enrollments").select("id").where("subscriber_id", "=", subscriberId).executeTakeFirstOrThrow()).id;
    // Lesson 1 went out on confirmation; the provider took it.
    await t.db.updateTable("sends").set({ status: "sent", sent_at: t.clock.now }).where("kind", "=", "lesson").execute();
    firstLesson = await t.db.selectFrom("sends").selectAll().where("kind", "=", "lesson").executeTakeFirstOrThrow();
    expect(firstLesson.lesson_slug).toBe(t.course.lessons[0]!.slug);
  });
  afterEach(async () => {
    await t.close();
  });

  const reader = async () => t.db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();

  /** The email exactly as the send worker composes it for a row (the same context it builds). */
  async function captured(row: Send): Promise<OutgoingEmail> {
    const ctx: ComposeContext = {
      course: t.course,
      appUrl: APP_URL,
      secretKey: TEST_SECRET,
      from: "Lessons <lessons@example.test>",
      now: t.clock.now,
      sentLessons: (id) => sentLessons(t.db, id, t.course.slug),
    };
    return composeEmail(row, await reader(), ctx, row.broadcast_id ? await newsletterText(t.db, row.broadcast_id) : undefined);
  }

  async function addRow(values: Partial<Send> & Pick<Send, "kind" | "dedupe_key">): Promise<Send> {
    const id = crypto.randomUUID();
    const at = t.clock.now;
    await t.db
      .insertInto("sends")
      .values({
        id, subscriber_id: subscriberId, enrollment_id: enrollmentId, lesson_slug: null, status: "sent", provider_id: `p-${id}`, error: null,
        enqueued_at: at, sent_at: at, created_at: at, updated_at: at, ...values,
      })
      .execute();
    return t.db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  const sentLesson = (index: number, status: Send["status"] = "sent") =>
    addRow({ kind: "lesson", lesson_slug: t.course.lessons[index]!.slug, dedupe_key: `lesson:${enrollmentId}:${t.course.lessons[index]!.slug}`, status });

  it("the link in a captured lesson email opens that email, byte for byte, with the reader's own links", async () => {
    const email = await captured(firstLesson);
    const unsubscribeUrl = `${APP_URL}/unsubscribe/${await unsubscribeToken(TEST_SECRET, subscriberId)}`;
    const preferencesUrl = `${APP_URL}/preferences/${await preferencesToken(TEST_SECRET, subscriberId, firstLesson.created_at)}`;
    expect(email.html).toContain(">View in your browser</a>");

    const res = await t.app.request(webVersionPath(email));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toBe(email.html);
    expect(page).toContain("Hi Robin,");
    expect(page).toContain(t.course.lessons[0]!.title);
    // The footer's link names the course, so its page can offer "stop this course"; the header's is bare.
    expect(page).toContain(`href="${unsubscribeUrl}?course=${t.course.slug}"`);
    expect(email.headers?.["List-Unsubscribe"]).toBe(`<${unsubscribeUrl}>`);
    const choices = await (await t.app.request(`${new URL(unsubscribeUrl).pathname}?course=${t.course.slug}`)).text();
    expect(choices).toContain(`Stop ${t.course.name}.`);
    expect(page).toContain(`href="${preferencesUrl}"`);
    // The email's HTML is the page: sandboxed, unframed, private, and its token never sent on as a Referer.
    expect(res.headers.get("content-security-policy")).toMatch(/^sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none';/);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    // Opening it changes nothing.
    expect((await reader()).status).toBe("active");
  });

  it("refuses a tampered token with a plain 404 that shows nothing", async () => {
    const path = webVersionPath(await captured(firstLesson));
    const token = path.slice("/email/".length);
    const [payload, signature] = token.split(".") as [string, string];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`;
    const other = await sentLesson(1);
    // Another row's id in the payload, under this row's signature.
    const swapped = Buffer.from(`web-version.${other.id}.0`).toString("base64url");
    for (const bad of [`${payload}.${flipped}`, `${swapped}.${signature}`, token.slice(0, -4), `${token}x`, "not-a-token"]) {
      await expectNothingShown(await t.app.request(`/email/${bad}`));
    }
    // The untouched token still works, so the refusals were the tampering.
    expect((await t.app.request(path)).status).toBe(200);
  });

  it("refuses tokens made for another purpose, and the web-version token opens nothing else", async () => {
    const unsubscribe = await unsubscribeToken(TEST_SECRET, subscriberId);
    const preferences = await preferencesToken(TEST_SECRET, subscriberId, t.clock.now);
    for (const token of [unsubscribe, preferences, await confirmToken(TEST_SECRET, subscriberId, t.clock.now)]) {
      await expectNothingShown(await t.app.request(`/email/${token}`));
    }
    // Signed for this purpose but naming the reader, a confirmation row or no row at all: still nothing.
    const confirmRow = await t.db.selectFrom("sends").select("id").where("kind", "=", "confirm").executeTakeFirstOrThrow();
    for (const subject of [subscriberId, confirmRow.id, crypto.randomUUID()]) {
      await expectNothingShown(await t.app.request(`/email/${await webVersionToken(TEST_SECRET, subject)}`));
    }
    const web = await webVersionToken(TEST_SECRET, firstLesson.id);
    expect((await t.app.request(`/preferences/${web}`)).status).toBe(400);
    expect((await t.app.request(`/unsubscribe/${web}`, form({ scope: "all" }))).status).toBeGreaterThanOrEqual(400);
    expect((await reader()).status).toBe("active");
  });

  it("stops working once the reader is erased", async () => {
    const path = webVersionPath(await captured(firstLesson));
    const prefs = await preferencesToken(TEST_SECRET, subscriberId, t.clock.now);
    expect((await t.app.request(`/preferences/${prefs}/delete`, form({ confirm: "yes" }))).status).toBe(200);
    await expectNothingShown(await t.app.request(path));
  });

  it("the preference page lists the lessons already sent, each linking to its web version", async () => {
    const third = await sentLesson(2);
    await addRow({ kind: "lesson", lesson_slug: t.course.lessons[1]!.slug, dedupe_key: `lesson:${enrollmentId}:${t.course.lessons[1]!.slug}`, status: "queued", sent_at: null });
    const page = await (await t.app.request(`/preferences/${await preferencesToken(TEST_SECRET, subscriberId, t.clock.now)}`)).text();
    expect(page).toContain("<h4>Lessons you&#39;ve had</h4>");
    const links = [...page.matchAll(/<li value="(\d+)"><a href="https:\/\/lessons\.example\.test(\/email\/[\w.-]+)">([^<]*)<\/a><\/li>/g)];
    // Lessons 1 and 3 were sent; lesson 2 is still queued, so it is not listed.
    expect(links.map((m) => m[1])).toEqual(["1", "3"]);
    expect(links.map((m) => m[3])).toEqual([t.course.lessons[0]!.title, t.course.lessons[2]!.title]);
    for (const [i, row] of [firstLesson, third].entries()) {
      const res = await t.app.request(links[i]![2]!);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain("Hi Robin,");
      expect(html).toBe((await captured(row)).html);
    }
  });

  it("the preference page says so when no lesson has been sent yet", async () => {
    await t.db.updateTable("sends").set({ status: "cancelled" }).where("kind", "=", "lesson").execute();
    const page = await (await t.app.request(`/preferences/${await preferencesToken(TEST_SECRET, subscriberId, t.clock.now)}`)).text();
    expect(page).toContain("None yet.");
    expect(page).not.toContain("/email/");
  });

  it("the graduation email links each lesson to the reader's own sent copy, and none it was never sent", async () => {
    const third = await sentLesson(2);
    await sentLesson(1, "failed");
    const graduation = await addRow({ kind: "graduation", lesson_slug: "graduation", dedupe_key: `graduation:${enrollmentId}`, status: "sending", sent_at: null });
    const email = await captured(graduation);
    const firstUrl = `${APP_URL}/email/${await webVersionToken(TEST_SECRET, firstLesson.id)}`;
    const thirdUrl = `${APP_URL}/email/${await webVersionToken(TEST_SECRET, third.id)}`;
    const lessonLinks = [...email.html.matchAll(/href="(https:\/\/lessons\.example\.test\/email\/[\w.-]+)"/g)].map((m) => m[1]);
    const ownLink = `${APP_URL}${webVersionPath(email)}`;
    expect(lessonLinks.filter((url) => url !== ownLink)).toEqual([firstUrl, thirdUrl]);
    const [first, second, thirdLesson] = t.course.lessons;
    expect(email.text).toContain(`1. ${first!.title} (${first!.author})\n   ${firstUrl}\n2. ${second!.title} (${second!.author})\n3. ${thirdLesson!.title} (${thirdLesson!.author})\n   ${thirdUrl}`);

    // Each opens that lesson as the reader got it.
    for (const [url, lesson] of [[firstUrl, first!], [thirdUrl, thirdLesson!]] as const) {
      const res = await t.app.request(url.slice(APP_URL.length));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe((await captured(lesson === first ? firstLesson : third)).html);
    }
    // The graduation email's own web version is the same email, links and all.
    const own = await t.app.request(webVersionPath(email));
    expect(await own.text()).toBe(email.html);
  });

  it("a newsletter links to its web version too", async () => {
    const broadcastId = await createBroadcast(t.db, t.course, { subject: "Harbour notes", markdown: "The gulls are back.", audience: { kind: "all" } }, t.clock.now);
    const row = await addRow({ kind: "newsletter", broadcast_id: broadcastId, enrollment_id: null, dedupe_key: `newsletter:${broadcastId}:${subscriberId}` });
    const email = await captured(row);
    const res = await t.app.request(webVersionPath(email));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toBe(email.html);
    expect(page).toContain("The gulls are back.");
  });
});

/**
 * Two courses in one install (test/fixtures/content/two-courses): each email's web version shows the
 * course it was sent under, its name, sender and postal address, never the other course's.
 */
describe.each(ENGINES)("web version of each course's email (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let catalogue: Catalogue;
  let subscriberId: string;
  const clock = { now: Date.UTC(2026, 0, 5, 10) };
  /** Lesson 1's ledger row id, by course slug. */
  const lessonOne: Record<string, string> = {};

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    subscriberId = (await recordSignup(db, { email: READER, name: "Robin", timezone: "UTC", ip: null, userAgent: null, form: "test", consentTextVersion: "test" }, clock.now)).subscriberId!;
    await confirmSubscriber(db, subscriberId, { ip: null, userAgent: null, how: "test" }, clock.now);
    for (const course of catalogue.courses) {
      const enrollmentId = await upsertEnrollment(db, subscriberId, course.slug, course.lessons[1]!.slug, clock.now);
      const id = crypto.randomUUID();
      await db
        .insertInto("sends")
        .values({
          id, dedupe_key: `lesson:${enrollmentId}:${course.lessons[0]!.slug}`, kind: "lesson", subscriber_id: subscriberId, enrollment_id: enrollmentId, lesson_slug: course.lessons[0]!.slug,
          status: "sent", provider_id: `p-${id}`, error: null, enqueued_at: clock.now, sent_at: clock.now, created_at: clock.now, updated_at: clock.now,
        })
        .execute();
      lessonOne[course.slug] = id;
    }
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  const pageOf = async (app: ReturnType<typeof appFor>, slug: string) => app.request(`/email/${await webVersionToken(TEST_SECRET, lessonOne[slug]!)}`);

  it("shows an Evening Review email as Dusk Notes' and a Morning Pages email as Dawn Letters', each as composed with its own course", async () => {
    const app = appFor({ db, course: catalogue.courses[0]!, clock }, { catalogue });
    const reader = await db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();
    for (const [slug, own, other] of [
      ["evening-review", ["Evening Review", "Dusk Notes GmbH, 2 Abendweg"], ["Morning Pages", "Dawn Letters"]],
      ["morning-pages", ["Morning Pages", "Dawn Letters Ltd, 1 Sunrise Road"], ["Evening Review", "Dusk Notes"]],
    ] as const) {
      const res = await pageOf(app, slug);
      expect(res.status).toBe(200);
      const page = await res.text();
      for (const text of own) expect(page, `${slug} shows ${text}`).toContain(text);
      for (const text of other) expect(page, `${slug} hides ${text}`).not.toContain(text);
      const course = catalogue.get(slug)!;
      const row = await db.selectFrom("sends").selectAll().where("id", "=", lessonOne[slug]!).executeTakeFirstOrThrow();
      const email = await composeEmail(row, reader, { course, appUrl: APP_URL, secretKey: TEST_SECRET, from: "", now: clock.now, sentLessons: (id) => sentLessons(db, id, course.slug) });
      expect(page).toBe(email.html);
    }
  });

  it("answers a clear 410 for an email whose course is no longer offered, and still shows the other course's", async () => {
    const app = appFor({ db, course: catalogue.get("morning-pages")!, clock }, { catalogue: catalogueOf([catalogue.get("morning-pages")!]) });
    const gone = await pageOf(app, "evening-review");
    expect(gone.status).toBe(410);
    const body = await gone.text();
    expect(body).toContain("No longer available");
    expect(body).not.toContain("Dawn Letters");
    expect((await pageOf(app, "morning-pages")).status).toBe(200);
  });
});
