import { catalogueOf } from "../../src/content/catalogue.ts";
import { DateTime } from "luxon";
import { parseHTML } from "linkedom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { unsubscribeUrlFor } from "../../src/render/compose.ts";
import { advanceBroadcasts } from "../../src/commands/advance-broadcasts.ts";
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

interface Progress {
  status: string;
  total: number;
  expected: number;
  settled: number;
  sent: number;
  queued: number;
  cancelled: number;
  percent: number;
  done: boolean;
}
const progress = async (id: string) => (await (await get(`/admin/broadcasts/${id}/progress.json`, { accept: "application/json" })).json()) as Progress;

/** Creates a newsletter through the compose form; returns its id. */
async function compose(fields: Record<string, string>): Promise<string> {
  const response = await post("/admin/broadcasts", { subject: "Spring news", markdown: "Hello **everyone**.", audience: "all", when: "now", intent: "draft", ...fields });
  expect(response.status).toBe(303);
  const location = response.headers.get("location") ?? "";
  const id = location.match(/^\/admin\/broadcasts\/([0-9a-f-]{36})\?notice=\w+$/)?.[1];
  if (!id) throw new Error(`unexpected redirect: ${location}`);
  return id;
}

async function broadcastRow(id: string) {
  return t.db.selectFrom("broadcasts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}


describe.each(ENGINES)("broadcasts (admin console) (%s)", (engine) => {
  beforeEach(async () => {
    t = await makeTestApp({ engine });
    course = await loadCourse("content/couples-therapy-up-close");
    app = createApp({
      db: t.db,
      catalogue: catalogueOf([course]),
      log: silentLogger,
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      adminToken: ADMIN,
      emailFrom: "Lessonpost <l@example.test>",
      dispatcher: t.dispatcher,
      now: () => NOW,
    });
    auth = await login(app);
  });
  afterEach(async () => {
    await t.close();
  });

  it("is only for the admin", async () => {
    expect((await app.request("/admin/broadcasts")).status).toBe(401);
    expect((await app.request("/admin/broadcasts/x/progress.json", { headers: { accept: "application/json" } })).status).toBe(401);
    const created = await app.request("/admin/broadcasts", form({ subject: "x", markdown: "y", audience: "all", intent: "go", when: "now" }));
    expect(created.status).toBe(401);
    expect(await t.db.selectFrom("broadcasts").selectAll().execute()).toEqual([]);
  });

  it("offers the audiences with their sizes, counted as the tick will select them", async () => {
    await bulkReaders(t.db, course, 3, { confirmedAt: NOW, nextDueAt: NOW, lastDay: -1 });
    await bulkReaders(t.db, course, 2, { confirmedAt: NOW, nextDueAt: NOW, lastDay: course.lessons[0]!.day });
    // Paused enrollments still get "all" newsletters but are at no stage.
    await bulkReaders(t.db, course, 1, { confirmedAt: NOW, nextDueAt: NOW, lastDay: course.lessons[0]!.day, status: "paused" });
    const page = await (await get("/admin/broadcasts")).text();
    expect(page).toContain("No newsletters yet.");
    const audiences = [...parseHTML(page).document.querySelectorAll("#b-audience option")].map((o) => ({ value: o.getAttribute("value"), selected: o.hasAttribute("selected"), label: o.textContent }));
    expect(audiences).toContainEqual({ value: "all", selected: true, label: "All active readers (6)" });
    expect(audiences).toContainEqual({ value: `stage:${course.lessons[0]!.slug}`, selected: false, label: expect.stringMatching(/^Readers whose next lesson is 1\. .*\(3\)$/) });
    expect(audiences).toContainEqual({ value: `stage:${course.lessons[1]!.slug}`, selected: false, label: expect.stringMatching(/\(2\)$/) });
  });

  it("saves a draft, previews it as a reader gets it, and shows it in the list", async () => {
    await confirmedReader(t.db, course, { email: "dana@example.com", name: "Dana", confirmedAt: NOW });
    const id = await compose({ subject: "Spring <news>", markdown: "Hello **everyone**, see you soon." });
    const row = await broadcastRow(id);
    expect(row).toMatchObject({ subject: "Spring <news>", markdown: "Hello **everyone**, see you soon.", lesson_slug: null, audience: "all", status: "draft" });

    const page = await (await get(`/admin/broadcasts/${id}?notice=draft`)).text();
    expect(page).toContain("Draft saved.");
    expect(page).toContain("Spring &lt;news&gt;");
    expect(page).not.toContain("Spring <news>");
    expect(page).toContain(`<iframe sandbox="" src="/admin/broadcasts/${id}/preview"`);
    expect(page).toMatch(/<pre data-field="text">[\s\S]*Hello everyone, see you soon\.[\s\S]*https:\/\/lessons\.example\.test\/unsubscribe\//);
    expect(page).toContain("Send now to 1 readers");
    // The console script, at its content-hashed URL.
    expect(page).toMatch(/<script src="\/assets\/admin\.[a-z0-9]+\.js" defer/);
    // A draft does not change by itself, so the page does not poll for it.
    expect(page).not.toContain("data-progress-url");

    const asDana = await (await get(`/admin/broadcasts/${id}?reader=dana@example.com`)).text();
    const readerId = (await t.db.selectFrom("subscribers").select("id").where("email", "=", "dana@example.com").executeTakeFirstOrThrow()).id;
    // A newsletter does not greet by name; what makes it Dana's is her own unsubscribe link.
    const danasLink = await unsubscribeUrlFor({ appUrl: "https://lessons.example.test", secretKey: TEST_SECRET }, readerId);
    expect(asDana.match(/<pre data-field="text">([\s\S]*?)<\/pre>/)?.[1]).toContain(danasLink);
    expect(page).not.toContain(danasLink);
    expect(asDana).toContain(`src="/admin/broadcasts/${id}/preview?reader=${readerId}"`);

    const frame = await get(`/admin/broadcasts/${id}/preview`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get("content-security-policy")).toMatch(/^sandbox/);
    expect(await frame.text()).toContain("<strong>everyone</strong>");
    expect(await (await get(`/admin/broadcasts/${id}/preview?format=text`)).text()).toContain("Hello everyone");

    const list = await (await get("/admin/broadcasts")).text();
    expect(list).toContain(`<a href="/admin/broadcasts/${id}">Spring &lt;news&gt;</a>`);
    expect(list).toMatch(new RegExp(`data-broadcast="${id}">[\\s\\S]*?data-field="status">Draft<`));
  });

  it("keeps what was written and explains bad input with a 422", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ subject: "", markdown: "A body worth keeping" }, "A newsletter needs a subject."],
      [{ subject: "Both", markdown: "text", lesson: course.lessons[0]!.slug }, "not both"],
      [{ subject: "Nothing", markdown: "  " }, "Write the newsletter, or pick a lesson"],
      [{ audience: "stage:no-such-lesson" }, "Pick a course stage that exists."],
      [{ audience: "everyone-ever" }, "Pick who the newsletter goes to."],
      [{ intent: "go", when: "schedule", scheduled_at: "" }, "Pick the date and time"],
      [{ intent: "go", when: "schedule", scheduled_at: "2029-12-31T09:00", timezone: "UTC" }, "has already passed"],
      [{ intent: "go", when: "schedule", scheduled_at: "2030-02-01T09:00", timezone: "Mars/Olympus" }, "not a time zone we know"],
      [{ intent: "go", when: "schedule", scheduled_at: "tomorrow", timezone: "UTC" }, "is not a date and time"],
    ];
    for (const [fields, message] of cases) {
      const response = await post("/admin/broadcasts", { subject: "Spring news", markdown: "A body worth keeping", audience: "all", when: "now", intent: "draft", ...fields });
      expect(response.status, JSON.stringify(fields)).toBe(422);
      const page = await response.text();
      expect(page, JSON.stringify(fields)).toContain(message);
      expect(page).toContain('role="alert"');
      if (fields.markdown === undefined) expect(page).toContain(">A body worth keeping</textarea>");
    }
    expect(await t.db.selectFrom("broadcasts").selectAll().execute()).toEqual([]);
  });

  it("refuses a compose form posted from another site", async () => {
    const response = await post("/admin/broadcasts", { subject: "x", markdown: "y", audience: "all", intent: "go", when: "now" }, { origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(await t.db.selectFrom("broadcasts").selectAll().execute()).toEqual([]);
  });

  it("sends now, and the progress endpoint reaches 100% only when every recipient row is settled", async () => {
    await bulkReaders(t.db, course, 250, { confirmedAt: NOW, nextDueAt: NOW, lastDay: -1 });
    const id = await compose({ intent: "go", when: "now" });
    expect((await broadcastRow(id)).status).toBe("sending");

    const before = await progress(id);
    expect(before).toMatchObject({ status: "sending", total: 0, expected: 250, settled: 0, percent: 0, done: false });
    const page = await (await get(`/admin/broadcasts/${id}?notice=started`)).text();
    expect(page).toContain(`data-progress-url="/admin/broadcasts/${id}/progress.json"`);
    expect(page).toContain('data-done="false"');
    // While it sends, the notice says so, and the page's script hides it once the send is done.
    expect(page).toMatch(/<div data-hide-when-done="">\s*<p class="notice" role="status">Sending\. The progress bar follows it live\.<\/p>/);
    expect(page).not.toContain("Send a test");

    // The tick's own step turns the audience into ledger rows.
    await advanceBroadcasts({ db: t.db, now: () => NOW }, { batchSize: 100 });
    const rows = await t.db.selectFrom("sends").select(["id", "subscriber_id"]).where("broadcast_id", "=", id).orderBy("id").execute();
    expect(rows).toHaveLength(250);
    expect(await progress(id)).toMatchObject({ total: 250, expected: 250, queued: 250, percent: 0, done: false });

    await t.db.updateTable("sends").set({ status: "sent" }).where("id", "in", rows.slice(0, 249).map((r) => r.id)).execute();
    const almost = await progress(id);
    expect(almost).toMatchObject({ sent: 249, settled: 249, percent: 99, done: false });

    await t.db.updateTable("sends").set({ status: "failed" }).where("id", "=", rows[249]!.id).execute();
    expect(await progress(id)).toMatchObject({ settled: 250, percent: 100, done: false });
    await advanceBroadcasts({ db: t.db, now: () => NOW }, { batchSize: 100 });
    expect(await progress(id)).toMatchObject({ status: "sent", total: 250, sent: 249, percent: 100, done: true });

    const list = await (await get("/admin/broadcasts")).text();
    const row = list.match(new RegExp(`data-broadcast="${id}">([\\s\\S]*?)</tr>`))?.[1] ?? "";
    expect(row).toContain('data-field="status">Sent<');
    expect(row).toContain('data-field="total">250<');
    expect(row).toContain('data-field="sent">249<');
    expect(row).toContain('data-field="failed">1<');

    const again = await post(`/admin/broadcasts/${id}/send`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This newsletter is sent");

    // The same address reloaded after the send: the page speaks of a sent newsletter only.
    const done = await (await get(`/admin/broadcasts/${id}?notice=started`)).text();
    expect(done).not.toContain("follows it live");
    expect(done).toContain("Sent: every recipient is settled, and the figures below are final.");
    expect(done).toContain('data-done="true"');
    expect(done).not.toContain("Send a test");
    expect(done).not.toContain(`action="/admin/broadcasts/${id}/cancel"`);
    expect(done).not.toContain(`action="/admin/broadcasts/${id}/send"`);
  });

  it("schedules in a chosen time zone, and a draft can be scheduled or sent from its page", async () => {
    const id = await compose({ intent: "go", when: "schedule", scheduled_at: "2030-01-08T09:30", timezone: "Europe/Paris" });
    const row = await broadcastRow(id);
    expect(row.status).toBe("scheduled");
    expect(row.scheduled_at).toBe(DateTime.fromISO("2030-01-08T09:30", { zone: "Europe/Paris" }).toMillis());
    expect(row.scheduled_at).toBe(Date.UTC(2030, 0, 8, 8, 30));

    const draft = await compose({ subject: "Later" });
    const scheduled = await post(`/admin/broadcasts/${draft}/schedule`, { scheduled_at: "2030-03-01T18:00", timezone: "America/New_York" });
    expect(scheduled.status).toBe(303);
    expect(await broadcastRow(draft)).toMatchObject({ status: "scheduled", scheduled_at: Date.UTC(2030, 2, 1, 23, 0) });
    const twice = await post(`/admin/broadcasts/${draft}/schedule`, { scheduled_at: "2030-03-01T18:00", timezone: "UTC" });
    expect(twice.status).toBe(409);

    const other = await compose({ subject: "Now" });
    const past = await post(`/admin/broadcasts/${other}/schedule`, { scheduled_at: "2020-01-01T00:00", timezone: "UTC" });
    expect(past.status).toBe(422);
    expect(await past.text()).toContain("has already passed");
    const started = await post(`/admin/broadcasts/${other}/send`);
    expect(started.status).toBe(303);
    expect(started.headers.get("location")).toBe(`/admin/broadcasts/${other}?notice=started`);
    expect((await broadcastRow(other)).status).toBe("sending");
  });

  it("sends a lesson to one course stage, with the lesson's subject when none is given", async () => {
    const lesson = course.lessons[1]!;
    const id = await compose({ subject: "", markdown: "", lesson: lesson.slug, audience: `stage:${lesson.slug}` });
    expect(await broadcastRow(id)).toMatchObject({ subject: lesson.subject, lesson_slug: lesson.slug, markdown: null, audience: `stage:${lesson.slug}` });
    const page = await (await get(`/admin/broadcasts/${id}`)).text();
    expect(page).toContain(`Readers whose next lesson is ${lesson.number}.`);
    expect(page).toContain(`Lesson ${lesson.number}.`);
    expect(await (await get(`/admin/broadcasts/${id}/preview?format=text`)).text()).toContain(lesson.markdown.split("\n")[0]!.slice(0, 40));
  });

  it("cancels: queued rows are cancelled, and a second cancel is explained", async () => {
    await bulkReaders(t.db, course, 30, { confirmedAt: NOW, nextDueAt: NOW, lastDay: -1 });
    const id = await compose({ intent: "go", when: "now" });
    await advanceBroadcasts({ db: t.db, now: () => NOW }, { batchSize: 100 });
    const sent = await t.db.selectFrom("sends").select("id").where("broadcast_id", "=", id).limit(10).execute();
    await t.db.updateTable("sends").set({ status: "sent" }).where("id", "in", sent.map((s) => s.id)).execute();

    const cancelled = await post(`/admin/broadcasts/${id}/cancel`);
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get("location")).toBe(`/admin/broadcasts/${id}?notice=cancelled`);
    expect(await progress(id)).toMatchObject({ status: "cancelled", sent: 10, cancelled: 20, queued: 0, percent: 100, done: true });
    const page = await (await get(`/admin/broadcasts/${id}?notice=cancelled`)).text();
    expect(page).toContain("Cancelled. Emails not yet sent will not go out.");
    expect(page).toContain('data-done="true"');
    expect(page).not.toContain(`action="/admin/broadcasts/${id}/cancel"`);

    const again = await post(`/admin/broadcasts/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already cancelled");
  });

  it("queues a test email of the newsletter to an admin address", async () => {
    const id = await compose({});
    const response = await post(`/admin/broadcasts/${id}/test`, { to: "me@example.com" });
    expect(response.status).toBe(303);
    // The test email is the only thing handed to the queue: no reader's ledger row goes with it.
    expect(t.dispatcher.tests).toEqual([{ to: "me@example.com", broadcastId: id }]);
    expect(t.dispatcher.sends).toEqual([]);
    expect(await (await get(response.headers.get("location")!)).text()).toContain("A test email is queued for me@example.com");
    // Before it goes out, the draft's page offers the test.
    expect(await (await get(`/admin/broadcasts/${id}`)).text()).toContain("Send a test");
    expect((await post(`/admin/broadcasts/${id}/test`, { to: "" })).status).toBe(422);
  });

  it("answers unknown newsletters with a 404 in HTML or JSON", async () => {
    const page = await get("/admin/broadcasts/00000000-0000-4000-8000-00000000dead");
    expect(page.status).toBe(404);
    expect(await page.text()).toContain("There is no newsletter with the id");
    const json = await get("/admin/broadcasts/nope/progress.json", { accept: "application/json" });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: { code: "unknown_broadcast", message: 'There is no newsletter with the id "nope".' } });
    expect((await post("/admin/broadcasts/nope/cancel")).status).toBe(404);
  });

  it("serves the console script as a static asset", async () => {
    const response = await app.request("/assets/admin.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/javascript");
    const source = await response.text();
    expect(source).toContain("progress[data-progress-url]");
    expect(() => new Function(source)).not.toThrow();
  });
});
