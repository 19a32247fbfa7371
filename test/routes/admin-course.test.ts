import { catalogueOf } from "../../src/content/catalogue.ts";
import { parseHTML } from "linkedom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { AppDeps } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { form, makeTestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import type { TestApp } from "../support/app.ts";
import { bulkReaders, confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const NOW = Date.UTC(2030, 0, 7, 12, 0, 0);

let t: TestApp;
let course: Course;
let app: ReturnType<typeof createApp>;
let auth: Record<string, string>;

function makeApp(overrides: Partial<AppDeps> = {}) {
  return createApp({
    db: t.db,
    catalogue: catalogueOf([course]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    adminToken: ADMIN,
    emailFrom: "Lessonpost <l@example.test>",
    dispatcher: t.dispatcher,
    now: () => NOW,
    ...overrides,
  });
}

/** Logs in through the console's login form; the session cookie then rides every request. */
async function login(target: ReturnType<typeof createApp>): Promise<Record<string, string>> {
  const response = await target.request("/admin/login", form({ secret: ADMIN }));
  expect(response.status).toBe(303);
  const cookies = response.headers.getSetCookie().map((c) => c.split(";")[0]!);
  expect(cookies).toHaveLength(1);
  return { cookie: cookies.join("; ") };
}

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers: { ...auth, ...headers } });
const post = (path: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) => app.request(path, form(fields, { ...auth, ...headers }));

/** The row of the lessons table for one lesson (or "graduation"). */
function lessonRow(page: string, slug: string): string {
  const match = page.match(new RegExp(`<tr data-lesson="${slug}">([\\s\\S]*?)</tr>`));
  if (!match) throw new Error(`no row for ${slug}`);
  return match[1]!;
}

function count(row: string, name: string): number {
  const match = row.match(new RegExp(`data-count="${name}">(\\d+)`));
  if (!match) throw new Error(`no ${name} count in ${row}`);
  return Number(match[1]);
}



describe.each(ENGINES)("course page (admin console) (%s)", (engine) => {
  beforeEach(async () => {
    t = await makeTestApp({ engine });
    course = await loadCourse("content/couples-therapy-up-close");
    app = makeApp();
    auth = await login(app);
  });
  afterEach(async () => {
    await t.close();
  });

  it("is only for the admin", async () => {
    const response = await app.request("/admin/course");
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain(course.lessons[1]!.title);
    const browser = await app.request("/admin/course", { headers: { accept: "text/html" } });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fcourse");
    const pause = await app.request("/admin/course/pause", form());
    expect(pause.status).toBe(401);
    expect(await t.db.selectFrom("course_state").selectAll().execute()).toEqual([]);
  });

  it("shows the schedule and how many readers are at each lesson", async () => {
    const [first, second, third] = course.lessons;
    await bulkReaders(t.db, course, 3, { confirmedAt: NOW, nextDueAt: NOW, lastDay: -1 });
    await bulkReaders(t.db, course, 2, { confirmedAt: NOW, nextDueAt: NOW, lastDay: first!.day });
    await bulkReaders(t.db, course, 1, { confirmedAt: NOW, nextDueAt: NOW, lastDay: first!.day, status: "paused" });
    await bulkReaders(t.db, course, 4, { confirmedAt: NOW, nextDueAt: NOW, lastDay: third!.day });
    const done = await bulkReaders(t.db, course, 1, { confirmedAt: NOW, nextDueAt: NOW, lastDay: third!.day });
    await t.db.updateTable("enrollments").set({ status: "completed", next_slug: null, last_day: course.graduationDay }).where("subscriber_id", "in", done).execute();
    // Readers past the last lesson wait for the graduation email.
    const graduating = await t.db.selectFrom("enrollments").select("id").where("last_day", "=", third!.day).where("status", "=", "active").execute();
    await t.db.updateTable("enrollments").set({ next_slug: "#graduation" }).where("id", "in", graduating.map((g) => g.id)).execute();

    const response = await get("/admin/course");
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(parseHTML(page).document.body.textContent).toContain("09:00 in each reader's own time zone");
    expect(page).toContain(`day ${course.graduationDay} (week ${Math.floor(course.graduationDay / 7) + 1})`);
    expect(lessonRow(page, first!.slug)).toContain(`<td>${first!.day}</td>`);
    expect(lessonRow(page, second!.slug)).toContain(`week ${Math.floor(second!.day / 7) + 1}`);

    expect(count(lessonRow(page, first!.slug), "waiting")).toBe(3);
    expect(count(lessonRow(page, second!.slug), "waiting")).toBe(2);
    expect(lessonRow(page, second!.slug)).toContain("(+1 paused)");
    expect(count(lessonRow(page, third!.slug), "waiting")).toBe(0);
    expect(count(lessonRow(page, "graduation"), "waiting")).toBe(4);
    expect(count(lessonRow(page, first!.slug), "received")).toBe(3);
    expect(count(lessonRow(page, third!.slug), "received")).toBe(4);
    expect(count(lessonRow(page, "graduation"), "completed")).toBe(1);
    expect(page).toMatch(/data-total="active">9</);
    expect(page).toMatch(/data-total="paused">1</);
  });

  it("pauses and resumes the whole course with same-origin forms, and refuses cross-site ones", async () => {
    const crossSite = await post("/admin/course/pause", {}, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(await t.db.selectFrom("course_state").selectAll().execute()).toEqual([]);

    const pause = await post("/admin/course/pause");
    expect(pause.status).toBe(303);
    expect(pause.headers.get("location")).toBe("/admin/course?notice=paused");
    expect((await t.db.selectFrom("course_state").select("paused").executeTakeFirstOrThrow()).paused).toBe(1);
    const paused = await (await get("/admin/course?notice=paused")).text();
    expect(paused).toContain("The course is paused.");
    expect(paused).toContain('action="/admin/course/resume"');

    const resume = await post("/admin/course/resume");
    expect(resume.status).toBe(303);
    expect((await t.db.selectFrom("course_state").select("paused").executeTakeFirstOrThrow()).paused).toBe(0);
    expect(await (await get("/admin/course")).text()).toContain('action="/admin/course/pause"');
  });

  it("previews a lesson as a chosen reader gets it: HTML in a sandboxed frame, the text part", async () => {
    const { subscriberId } = await confirmedReader(t.db, course, { email: "dana@example.com", name: "Dana", confirmedAt: NOW });
    const lesson = course.lessons[1]!;
    const response = await get(`/admin/course/preview?lesson=${lesson.slug}&reader=dana@example.com`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`<iframe sandbox="" src="/admin/preview/${lesson.slug}?reader=${subscriberId}"`);
    const text = page.match(/<pre data-field="text">([\s\S]*?)<\/pre>/)?.[1] ?? "";
    expect(text).toContain("Dana");
    expect(text).toContain(lesson.author);
    expect(text).toContain("https://lessons.example.test/unsubscribe/");
    expect(page).toContain("List-Unsubscribe-Post");

    // The frame's source is the shared lesson preview, sandboxed by its own CSP.
    const frame = await get(`/admin/preview/${lesson.slug}?reader=${subscriberId}`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get("content-security-policy")).toMatch(/^sandbox/);
    expect(await frame.text()).toContain("Dana");

    const sample = await (await get(`/admin/course/preview?lesson=graduation`)).text();
    expect(sample).toContain("a sample reader");
    expect(sample).toContain('src="/admin/preview/graduation"');
    expect(sample).toContain(course.graduation.subject);
  });

  it("explains an unknown lesson or reader instead of failing", async () => {
    const lesson = await get("/admin/course/preview?lesson=nope");
    expect(lesson.status).toBe(404);
    expect(await lesson.text()).toContain(course.lessons[0]!.slug);
    const reader = await get(`/admin/course/preview?lesson=${course.lessons[0]!.slug}&reader=nobody@example.com`);
    expect(reader.status).toBe(404);
    expect(await reader.text()).toContain("nobody@example.com");
  });

  it("queues a test email to an admin address, and says why when it cannot", async () => {
    const lesson = course.lessons[2]!;
    const sent = await post("/admin/course/test", { lesson: lesson.slug, to: " me@example.com " });
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe(`/admin/course/preview?lesson=${lesson.slug}&sent_to=me%40example.com`);
    expect(t.dispatcher.tests).toEqual([{ to: "me@example.com", lessonSlug: lesson.slug, courseSlug: t.course.slug }]);
    expect(await (await get(sent.headers.get("location")!)).text()).toContain("A test email is queued for me@example.com");
    // Only an address is echoed back from the link, never arbitrary text.
    expect(await (await get(`/admin/course/preview?lesson=${lesson.slug}&sent_to=${encodeURIComponent("your account is locked, call us")}`)).text()).not.toContain("your account is locked");

    const bad = await post("/admin/course/test", { lesson: lesson.slug, to: "not an address" });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Enter the email address");
    const unknown = await post("/admin/course/test", { lesson: "nope", to: "me@example.com" });
    expect(unknown.status).toBe(404);
    expect(t.dispatcher.tests).toHaveLength(1);

    const noQueue = makeApp({ dispatcher: undefined });
    const refused = await noQueue.request("/admin/course/test", form({ lesson: lesson.slug, to: "me@example.com" }, await login(noQueue)));
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain("no Redis dispatcher");
  });
});
