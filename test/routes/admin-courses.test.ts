import { parseHTML } from "linkedom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { advanceBroadcasts } from "../../src/commands/advance-broadcasts.ts";
import { enroll } from "../../src/commands/enroll.ts";
import { catalogueOf } from "../../src/content/catalogue.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { isCoursePaused } from "../../src/store/course-state.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * The console, the API and newsletters in an install with two courses (test/fixtures/content/
 * two-courses): morning-pages and evening-review. ann reads Morning Pages, bob Evening Review, cat
 * both; cat is one lesson further in Morning Pages.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const NOW = Date.UTC(2030, 0, 7, 12, 0, 0);
const BOUNDARY = "----lessonpost-courses-boundary";

let testDb: TestDatabase;
let db: Database;
let catalogue: Catalogue;
let morning: Course;
let evening: Course;
let app: ReturnType<typeof createApp>;
const readers: Record<"ann" | "bob" | "cat", string> = { ann: "", bob: "", cat: "" };

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers: { authorization: `Bearer ${ADMIN}`, ...headers } });
const post = (path: string, fields: Record<string, string> = {}) =>
  app.request(path, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
const postJson = (path: string, body: unknown) =>
  app.request(path, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
const page = async (path: string) => {
  const response = await get(path);
  expect(response.status, path).toBe(200);
  return parseHTML(await response.text()).document;
};
const emailsListed = async (path: string) => [...(await page(path)).querySelectorAll("tr[data-reader] a")].map((a) => a.textContent).sort();

/** Everyone the newsletter's ledger rows go to, once the tick has materialised its audience. */
async function recipients(id: string): Promise<string[]> {
  await advanceBroadcasts({ db, now: () => NOW }, { batchSize: 100 });
  const rows = await db.selectFrom("sends").innerJoin("subscribers", "subscribers.id", "sends.subscriber_id").select("subscribers.email").where("sends.broadcast_id", "=", id).execute();
  return rows.map((r) => r.email.split("@")[0]!).sort();
}

/** A newsletter sent now through the console's compose form of `course`; returns its id. */
async function sendFrom(course: string, audience: string): Promise<string> {
  const response = await post(`/admin/broadcasts?course=${course}`, { subject: `For ${audience}`, markdown: "Hello.", audience, when: "now", intent: "go" });
  expect(response.status, await response.clone().text()).toBe(303);
  const id = /^\/admin\/broadcasts\/([0-9a-f-]{36})\?/.exec(response.headers.get("location") ?? "")?.[1];
  expect(response.headers.get("location")).toContain(`course=${course}`);
  return id!;
}

describe.each(ENGINES)("admin with two courses (%s)", (engine) => {
  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    morning = catalogue.get("morning-pages")!;
    evening = catalogue.get("evening-review")!;
    app = createApp({
      db,
      catalogue,
      log: silentLogger,
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      adminToken: ADMIN,
      dispatcher: createFakeDispatcher(db),
      now: () => NOW,
    });
    readers.ann = (await confirmedReader(db, morning, { email: "ann@example.com", confirmedAt: NOW - 3_600_000 })).subscriberId;
    readers.bob = (await confirmedReader(db, evening, { email: "bob@example.com", confirmedAt: NOW - 3_600_000 })).subscriberId;
    readers.cat = (await confirmedReader(db, morning, { email: "cat@example.com", confirmedAt: NOW - 3_600_000 })).subscriberId;
    await enroll({ db, catalogue: catalogueOf([evening]), now: () => NOW - 1_800_000 }, { subscriberId: readers.cat });
    await db.updateTable("enrollments").set({ next_slug: "keep-going", last_day: 0 }).where("subscriber_id", "=", readers.cat).where("course_slug", "=", "morning-pages").execute();
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it("switches the readers list by course, defaults to the first course, and answers an unknown course with a 404", async () => {
    expect(await emailsListed("/admin/readers?course=morning-pages")).toEqual(["ann@example.com", "cat@example.com"]);
    expect(await emailsListed("/admin/readers?course=evening-review")).toEqual(["bob@example.com", "cat@example.com"]);
    // No course in the address: the first course by slug, named in the switcher.
    const first = await page("/admin/readers");
    expect([...first.querySelectorAll("tr[data-reader] a")].map((a) => a.textContent).sort()).toEqual(["bob@example.com", "cat@example.com"]);
    expect(first.querySelector("#course-switch option[selected]")?.getAttribute("value")).toBe("evening-review");
    expect(first.querySelector('nav[aria-label="Admin"] a[aria-current="page"]')?.getAttribute("href")).toBe("/admin/readers?course=evening-review");
    expect((await get("/admin/readers?course=no-such-course")).status).toBe(404);
    expect((await get("/admin/course?course=no-such-course")).status).toBe(404);
  });

  it("shows each of a reader's courses on their page, and acts on the course the form names", async () => {
    const doc = await page(`/admin/readers/${readers.cat}?course=morning-pages`);
    expect([...doc.querySelectorAll("tr[data-enrollment]")].map((tr) => tr.getAttribute("data-enrollment")).sort()).toEqual(["evening-review", "morning-pages"]);
    expect(doc.querySelector(`form[action$="/pause"] input[name="course"]`)?.getAttribute("value")).toBe("morning-pages");

    const paused = await post(`/admin/readers/${readers.cat}/pause`, { course: "evening-review" });
    expect(paused.status).toBe(303);
    expect(paused.headers.get("location")).toContain("course=evening-review");
    const states = await db.selectFrom("enrollments").select(["course_slug", "status"]).where("subscriber_id", "=", readers.cat).orderBy("course_slug").execute();
    expect(states).toEqual([
      { course_slug: "evening-review", status: "paused" },
      { course_slug: "morning-pages", status: "active" },
    ]);
  });

  it("shows each course's own figures on the dashboard and its own lessons, pause and embed snippet on the course page", async () => {
    await post(`/admin/readers/${readers.cat}/pause`, { course: "evening-review" });
    const count = (doc: Document, key: string) => doc.querySelector(`li[data-count="${key}"] strong`)?.textContent;
    const dashMorning = await page("/admin?course=morning-pages");
    const dashEvening = await page("/admin?course=evening-review");
    expect(dashMorning.querySelector("h1")?.textContent).toBe("Morning Pages");
    expect(dashEvening.querySelector("h1")?.textContent).toBe("Evening Review");
    expect([count(dashMorning, "total"), count(dashMorning, "paused")]).toEqual(["2", "0"]);
    expect([count(dashEvening, "total"), count(dashEvening, "paused")]).toEqual(["2", "1"]);
    expect(dashMorning.querySelector('li[data-count="paused"] a')?.getAttribute("href")).toBe("/admin/readers?status=paused&course=morning-pages");

    const coursePage = await page("/admin/course?course=morning-pages");
    expect([...coursePage.querySelectorAll("tr[data-lesson]")].map((tr) => tr.getAttribute("data-lesson"))).toEqual(["first-light", "keep-going", "graduation"]);
    expect(coursePage.querySelector('tr[data-lesson="keep-going"] [data-count="waiting"]')?.textContent).toBe("1");
    expect(coursePage.querySelector('code[data-snippet="form"]')?.textContent).toContain('<input type="hidden" name="course" value="morning-pages">');
    expect(coursePage.querySelector('code[data-snippet="script"]')?.textContent).toContain('name="course" value="morning-pages"');

    // A pause that names no course pauses none.
    expect((await post("/admin/course/pause")).status).toBe(422);
    expect((await post("/admin/broadcasts", { subject: "x", markdown: "y", audience: "course", when: "now", intent: "go" })).status).toBe(422);
    expect([await isCoursePaused(db, "morning-pages"), await isCoursePaused(db, "evening-review")]).toEqual([false, false]);
    const paused = await post("/admin/course/pause?course=morning-pages");
    expect(paused.headers.get("location")).toBe("/admin/course?notice=paused&course=morning-pages");
    expect([await isCoursePaused(db, "morning-pages"), await isCoursePaused(db, "evening-review")]).toEqual([true, false]);
    const preview = await page("/admin/course/preview?course=evening-review&lesson=look-back");
    expect(preview.querySelector("h1")?.textContent).toContain("Look");
    expect((await get("/admin/course/preview?course=evening-review&lesson=first-light")).status).toBe(404);
  });

  it("sends a course's newsletter in its name to its readers only, everyone's to both courses, and a stage's to that course's stage", async () => {
    const ofMorning = await sendFrom("morning-pages", "course");
    expect(await recipients(ofMorning)).toEqual(["ann", "cat"]);
    expect((await db.selectFrom("broadcasts").select("course_slug").where("id", "=", ofMorning).executeTakeFirstOrThrow()).course_slug).toBe("morning-pages");

    expect(await recipients(await sendFrom("evening-review", "course"))).toEqual(["bob", "cat"]);
    expect(await recipients(await sendFrom("morning-pages", "all"))).toEqual(["ann", "bob", "cat"]);
    // cat is at lesson 2 of Morning Pages but at lesson 1 of Evening Review: a stage is one course's.
    expect(await recipients(await sendFrom("morning-pages", "stage:first-light"))).toEqual(["ann"]);
    expect(await recipients(await sendFrom("morning-pages", "stage:keep-going"))).toEqual(["cat"]);
    expect(await recipients(await sendFrom("evening-review", "stage:look-back"))).toEqual(["bob", "cat"]);

    // Each course's list has its own newsletters, and offers its own audiences with their sizes.
    const list = await page("/admin/broadcasts?course=evening-review");
    expect(list.querySelectorAll("tr[data-broadcast]")).toHaveLength(2);
    const audiences = [...list.querySelectorAll("#b-audience option")].map((o) => `${o.getAttribute("value")} ${/\((\d+)\)$/.exec(o.textContent ?? "")?.[1]}`);
    expect(audiences).toEqual(["course 2", "all 3", "stage:look-back 2", "stage:let-go 0"]);
    // A stage of another course is refused, with the form kept.
    const refused = await post("/admin/broadcasts?course=evening-review", { subject: "x", markdown: "y", audience: "stage:first-light", when: "now", intent: "go" });
    expect(refused.status).toBe(422);
  });

  it("keeps a newsletter written before newsletters had a course under the first course, with the audience it had", async () => {
    const id = crypto.randomUUID();
    await db
      .insertInto("broadcasts")
      .values({ id, subject: "Old news", markdown: "Hello.", preview: null, lesson_slug: null, audience: "all", status: "sending", scheduled_at: null, started_at: NOW, finished_at: null, cursor: null, materialized: 0, created_at: NOW, updated_at: NOW })
      .execute();
    expect(await recipients(id)).toEqual(["ann", "bob", "cat"]);
    const listed = async (course: string) => [...(await page(`/admin/broadcasts?course=${course}`)).querySelectorAll("tr[data-broadcast]")].map((tr) => tr.getAttribute("data-broadcast"));
    expect(await listed("evening-review")).toEqual([id]);
    expect(await listed("morning-pages")).toEqual([]);
    const detail = await page(`/admin/broadcasts/${id}`);
    expect(detail.querySelector("#course-switch option[selected]")?.getAttribute("value")).toBe("evening-review");
  });

  it("answers an API call that acts on a course without naming it, or naming no course here, with a 422 naming the field", async () => {
    for (const [path, body] of [
      ["/admin/api/course/pause", {}],
      ["/admin/api/newsletters", { subject: "Hi", markdown: "Hello." }],
    ] as const) {
      const missing = await postJson(path, body);
      expect(missing.status, path).toBe(422);
      const error = ((await missing.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("course_required");
      expect(error.message).toContain("course");
      const unknown = await postJson(path, { ...body, course: "no-such-course" });
      expect(unknown.status, path).toBe(422);
      expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("course_unknown");
    }
    for (const path of ["/admin/api/stats", "/admin/api/subscribers"]) {
      const missing = await get(path, { accept: "application/json" });
      expect(missing.status, path).toBe(422);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("course_required");
    }
    expect(await isCoursePaused(db, "morning-pages")).toBe(false);

    const coursePaused = await postJson("/admin/api/course/pause", { course: "morning-pages" });
    expect(await coursePaused.json()).toEqual({ course: "morning-pages", paused: true });
    expect([await isCoursePaused(db, "morning-pages"), await isCoursePaused(db, "evening-review")]).toEqual([true, false]);

    const stats = (await (await get("/admin/api/stats?course=evening-review")).json()) as { course: string; counts: { signups: number } };
    expect([stats.course, stats.counts.signups]).toEqual(["evening-review", 2]);
    const list = (await (await get("/admin/api/subscribers?course=morning-pages")).json()) as { items: { email: string }[] };
    expect(list.items.map((r) => r.email).sort()).toEqual(["ann@example.com", "cat@example.com"]);
    const reader = (await (await get(`/admin/api/subscribers/${readers.cat}`)).json()) as { enrollments: { course: string }[] };
    expect(reader.enrollments.map((e) => e.course).sort()).toEqual(["evening-review", "morning-pages"]);

    // A reader action names the course, unless the reader is in only one.
    const ambiguous = await postJson(`/admin/api/subscribers/${readers.cat}/pause`, {});
    expect(ambiguous.status).toBe(422);
    expect(((await ambiguous.json()) as { error: { code: string } }).error.code).toBe("course_required");
    expect((await postJson(`/admin/api/subscribers/${readers.cat}/pause`, { course: "evening-review" })).status).toBe(200);
    expect((await postJson(`/admin/api/subscribers/${readers.ann}/pause`, {})).status).toBe(200);
    const paused = await db.selectFrom("enrollments").select(["subscriber_id", "course_slug"]).where("status", "=", "paused").orderBy("course_slug").execute();
    expect(paused).toEqual([
      { subscriber_id: readers.cat, course_slug: "evening-review" },
      { subscriber_id: readers.ann, course_slug: "morning-pages" },
    ]);

    const created = await postJson("/admin/api/newsletters", { course: "evening-review", subject: "Dusk", markdown: "Hello.", audience: "course" });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await recipients(id)).toEqual(["bob", "cat"]);
  });

  it("imports a CSV into the chosen course: the readers are enrolled in it and their consent names it", async () => {
    const importPage = await page("/admin/import?course=morning-pages");
    expect(importPage.querySelector("#course option[selected]")?.getAttribute("value")).toBe("morning-pages");
    const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    // dee is new; ann reads Morning Pages and joins Evening Review; bob is in it already.
    const body = `${field("course", "evening-review")}${field("source", "Workshop sheet, May 2030")}${field("enroll", "yes")}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\nContent-Type: text/csv\r\n\r\nemail\ndee@example.com\nANN@example.com\nbob@example.com\r\n--${BOUNDARY}--\r\n`;
    const response = await app.request("/admin/import", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, origin: "http://localhost", "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body,
    });
    expect(response.status).toBe(200);
    const report = await response.text();
    expect(report).toContain("<strong>2</strong> of 3 rows imported");
    expect(report).toContain("1 of them were readers of another course and joined this one.");
    expect(report).toMatch(/<td>4<\/td><td>bob@example.com<\/td><td>already a reader<\/td>/);
    const annCourses = await db.selectFrom("enrollments").select("course_slug").where("subscriber_id", "=", readers.ann).orderBy("course_slug").execute();
    expect(annCourses.map((e) => e.course_slug)).toEqual(["evening-review", "morning-pages"]);
    const dee = await db.selectFrom("subscribers").select("id").where("email", "=", "dee@example.com").executeTakeFirstOrThrow();
    expect((await db.selectFrom("enrollments").select("course_slug").where("subscriber_id", "=", dee.id).execute()).map((e) => e.course_slug)).toEqual(["evening-review"]);
    expect((await db.selectFrom("consent_events").select("course_slug").where("subscriber_id", "=", dee.id).execute()).map((e) => e.course_slug)).toEqual(["evening-review"]);

    const api = await app.request("/admin/api/import?source=API+list&course=morning-pages", { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/csv" }, body: "email\neve@example.com\n" });
    expect(api.status).toBe(200);
    expect(((await api.json()) as { course: string; imported: number })).toMatchObject({ course: "morning-pages", imported: 1 });
    const noCourse = await app.request("/admin/api/import?source=API+list", { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/csv" }, body: "email\nfay@example.com\n" });
    expect(noCourse.status).toBe(422);
    expect(await db.selectFrom("subscribers").select("id").where("email", "=", "fay@example.com").executeTakeFirst()).toBeUndefined();
  });
});
