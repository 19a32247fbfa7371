import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { enroll } from "../../src/commands/enroll.ts";
import { queueDueEmails } from "../../src/commands/queue-due-emails.ts";
import { setCoursePaused } from "../../src/store/course-state.ts";
import type { SubscriberStatus } from "../../src/store/database.ts";
import { markSent } from "../../src/store/sends.ts";
import { confirmSubscriber, recordSignup } from "../../src/store/subscribers.ts";
import { suppressionOf } from "../../src/store/suppressions.ts";
import { ENGINES } from "../support/databases.ts";
import type { Engine } from "../support/databases.ts";
import { makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const ORIGIN = "http://localhost";
/** Mon 1 Dec 2025, 10:00 UTC: the course's zone is UTC, its send hour 09:00, every weekday allowed. */
const T0 = Date.UTC(2025, 11, 1, 10, 0);
const DAY = 86_400_000;

let course: Course;
let t: TestApp | undefined;
beforeAll(async () => {
  course = await loadCourse("content/couples-therapy-up-close");
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function setup(engine: Engine = "sqlite") {
  t = await makeTestApp({ engine });
  t.clock.now = T0 + DAY;
  const test = t;
  const app = createApp({
    db: test.db,
    catalogue: catalogueOf([course]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    adminToken: ADMIN,
    dispatcher: test.dispatcher,
    now: () => test.clock.now,
  });
  const login = await app.request("/admin/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, body: new URLSearchParams({ secret: ADMIN }) });
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const bearer = { authorization: `Bearer ${ADMIN}` };
  return {
    t: test,
    db: test.db,
    app,
    cookie,
    page: (path: string) => app.request(path, { headers: { cookie, accept: "text/html" } }),
    post: (path: string, fields: Record<string, string> = {}) =>
      app.request(path, { method: "POST", headers: { cookie, origin: ORIGIN, accept: "text/html", "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) }),
    api: async <T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown } = {}) => {
      const response = await app.request(path, {
        method: init.method ?? "GET",
        headers: { ...bearer, ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function pendingReader(s: Setup, email: string, at: number, name: string | null = null): Promise<string> {
  const { subscriberId } = await recordSignup(s.db, { email, name, timezone: "UTC", ip: "198.51.100.4", userAgent: "test", form: "home", consentTextVersion: "v1" }, at);
  return subscriberId!;
}

async function withStatus(s: Setup, email: string, at: number, status: SubscriberStatus): Promise<string> {
  const id = await pendingReader(s, email, at);
  await s.db.updateTable("subscribers").set({ status, unsubscribed_at: status === "unsubscribed" ? at : null }).where("id", "=", id).execute();
  return id;
}

/**
 * Dana: signed up an hour before T0, confirmed at T0, lesson 1 queued by the scheduler, accepted,
 * delivered, opened and clicked.
 */
async function dana(s: Setup) {
  const { subscriberId: created, confirmationSendId } = await recordSignup(
    s.db,
    { email: "dana@example.com", name: "Dana Scully", timezone: "UTC", ip: "198.51.100.4", userAgent: "test", form: "home", consentTextVersion: "v1" },
    T0 - 3_600_000,
  );
  const subscriberId = created!;
  await markSent(s.db, confirmationSendId!, "provider-0", T0 - 3_590_000);
  await confirmSubscriber(s.db, subscriberId, { ip: "198.51.100.4", userAgent: "test", how: "link" }, T0);
  const enrollmentId = await enroll({ db: s.db, catalogue: catalogueOf([course]), now: () => T0 }, { subscriberId });
  const { sendIds } = await queueDueEmails({ db: s.db, catalogue: catalogueOf([course]), now: () => T0 });
  const lessonSend = sendIds[0]!;
  await markSent(s.db, lessonSend, "provider-1", T0 + 1_000);
  await s.db.updateTable("sends").set({ delivered_at: T0 + 2_000, opened_at: T0 + 3_600_000, clicked_at: T0 + 3_700_000 }).where("id", "=", lessonSend).execute();
  return { subscriberId, enrollmentId, lessonSend };
}

interface ListBody {
  items: { id: string; email: string; name: string | null; status: string; enrollment: { status: string } | null }[];
  next: string | null;
  prev: string | null;
}

describe.each(ENGINES)("reader search (%s)", (engine) => {
  it("finds by address or name, filters by status, and pages through everyone exactly once", async () => {
    const s = await setup(engine);
    await dana(s);
    await confirmedReader(s.db, course, { email: "mulder@example.org", name: "Fox Mulder", confirmedAt: T0 + 1_000 });
    await pendingReader(s, "skinner@example.com", T0 + 2_000, "Walter Skinner");
    await withStatus(s, "krycek@example.net", T0 + 3_000, "unsubscribed");
    await withStatus(s, "cancer_man@example.net", T0 + 4_000, "bounced");
    // Readers who signed up in the same millisecond still page in a fixed order (by id).
    for (let i = 0; i < 7; i++) await pendingReader(s, `lone${i}@gunmen.example`, T0 + 5_000);

    const emails = (body: ListBody) => body.items.map((r) => r.email).sort();
    expect(emails((await s.api<ListBody>("/admin/api/subscribers?q=DANA")).body)).toEqual(["dana@example.com"]);
    expect(emails((await s.api<ListBody>("/admin/api/subscribers?q=mulder")).body)).toEqual(["mulder@example.org"]);
    expect(emails((await s.api<ListBody>("/admin/api/subscribers?q=walter")).body)).toEqual(["skinner@example.com"]);
    expect(emails((await s.api<ListBody>("/admin/api/subscribers?q=%40example.net")).body)).toEqual(["cancer_man@example.net", "krycek@example.net"]);
    // LIKE wildcards in the search are taken literally.
    expect(emails((await s.api<ListBody>("/admin/api/subscribers?q=_man")).body)).toEqual(["cancer_man@example.net"]);
    expect(emails((await s.api<ListBody>("/admin/api/subscribers?q=%25")).body)).toEqual([]);
    expect((await s.api<ListBody>("/admin/api/subscribers?status=unsubscribed")).body.items.map((r) => r.email)).toEqual(["krycek@example.net"]);
    expect((await s.api<ListBody>("/admin/api/subscribers?status=active")).body.items.map((r) => r.email)).toEqual(["mulder@example.org", "dana@example.com"]);
    expect((await s.api<ListBody>("/admin/api/subscribers?status=pending&q=skinner")).body.items.map((r) => r.email)).toEqual(["skinner@example.com"]);
    const one = (await s.api<ListBody>("/admin/api/subscribers?q=dana")).body.items[0]!;
    expect(one.enrollment).toMatchObject({ status: "active" });
    expect((await s.api<ListBody>(`/admin/api/subscribers?q=${one.id}`)).body.items.map((r) => r.email)).toEqual(["dana@example.com"]);

    // Newest first, 3 at a time, forwards then back.
    const seen: string[] = [];
    const pages: ListBody[] = [];
    let cursor: string | null = null;
    do {
      const response: { body: ListBody } = await s.api<ListBody>(`/admin/api/subscribers?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      pages.push(response.body);
      seen.push(...response.body.items.map((r) => r.email));
      cursor = response.body.next;
    } while (cursor);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    expect(seen.slice(-5)).toEqual(["cancer_man@example.net", "krycek@example.net", "skinner@example.com", "mulder@example.org", "dana@example.com"]);
    expect(pages[0]!.prev).toBeNull();
    expect(pages.at(-1)!.next).toBeNull();
    const back = await s.api<ListBody>(`/admin/api/subscribers?limit=3&before=${encodeURIComponent(pages[2]!.prev!)}`);
    expect(back.body.items.map((r) => r.email)).toEqual(pages[1]!.items.map((r) => r.email));
    expect(back.body.next).toBe(pages[1]!.next);

    // The console page: the same search, with a link to the next page.
    const html = await (await s.page("/admin/readers?q=gunmen")).text();
    expect(html.match(/data-reader=/g)).toHaveLength(7);
    const paged = await (await s.page("/admin/readers?status=pending&limit=2")).text();
    expect(paged).toContain("Older →");
    expect(paged).toMatch(/href="\/admin\/readers\?status=pending&amp;cursor=/);
  });
});

describe("reader search input", () => {
  it("explains bad parameters with a 400, never a 500", async () => {
    const s = await setup();
    for (const query of ["status=sleeping", "cursor=nonsense", "limit=0", "limit=1000", "limit=abc", `q=${"x".repeat(201)}`, "cursor=1~a&before=1~a", "page=2"]) {
      const response = await s.api<{ error: { code: string; message: string } }>(`/admin/api/subscribers?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.message.length).toBeGreaterThan(5);
      expect((await s.page(`/admin/readers?${query}`)).status, query).toBe(400);
    }
  });

  it("answers a search and a page at 100,000 readers", async () => {
    const s = await setup();
    const statuses: SubscriberStatus[] = ["active", "active", "active", "pending", "unsubscribed", "bounced", "complained"];
    await s.db.transaction().execute(async (trx) => {
      for (let start = 0; start < 100_000; start += 1_000) {
        const rows = Array.from({ length: 1_000 }, (_, k) => {
          const i = start + k;
          const at = T0 - (100_000 - i) * 10_000;
          return {
            id: crypto.randomUUID(),
            email: `reader${i}@example.com`,
            name: i % 10 === 0 ? `Dana ${i}` : `Sam ${i}`,
            timezone: "UTC",
            status: statuses[i % statuses.length]!,
            created_at: at,
            updated_at: at,
            confirmed_at: at,
            unsubscribed_at: null,
            confirmation_sent_at: at,
            consent_at: at,
            consent_ip: null,
            consent_user_agent: null,
            consent_form: "bulk",
            consent_text_version: "v1",
          };
        });
        for (let j = 0; j < rows.length; j += 250) await trx.insertInto("subscribers").values(rows.slice(j, j + 250)).execute();
      }
    });

    const first = await s.api<ListBody>("/admin/api/subscribers?limit=50");
    expect(first.body.items[0]!.email).toBe("reader99999@example.com");
    expect(first.body.items).toHaveLength(50);
    const second = await s.api<ListBody>(`/admin/api/subscribers?limit=50&cursor=${encodeURIComponent(first.body.next!)}`);
    expect(second.body.items[0]!.email).toBe("reader99949@example.com");
    const found = await s.api<ListBody>("/admin/api/subscribers?q=reader4242%40");
    expect(found.body.items.map((r) => r.email)).toEqual(["reader4242@example.com"]);
    const named = await s.api<ListBody>("/admin/api/subscribers?q=dana&status=active&limit=20");
    expect(named.body.items).toHaveLength(20);
    expect(named.body.items.every((r) => r.status === "active" && r.name!.startsWith("Dana"))).toBe(true);
    const nothing = await s.api<ListBody>("/admin/api/subscribers?q=no-such-reader");
    expect(nothing.body.items).toEqual([]);
    expect((await s.page("/admin/readers?q=reader4242%40")).status).toBe(200);
    expect((await s.page("/admin")).status).toBe(200);
  }, 180_000);
});

interface DetailBody {
  subscriber: { email: string; status: string };
  enrollment: { id: string; status: string; nextSlug: string | null } | null;
  next: { sentence: string; slug: string | null; dueAt: string | null };
  timeline: { at: string; kind: string; text: string }[];
}

describe("a reader's page", () => {
  it("tells their story in order, from the ledger and the consent record", async () => {
    const s = await setup();
    const { subscriberId } = await dana(s);
    const detail = (await s.api<DetailBody>(`/admin/api/subscribers/${subscriberId}`)).body;
    const kinds = detail.timeline.map((e) => e.kind);
    expect(kinds).toEqual(["signup", "opt_in", "queued", "sent", "confirm", "enrolled", "queued", "sent", "delivered", "opened", "clicked"]);
    const lesson1 = course.lessons[0]!;
    expect(detail.timeline[0]!.text).toBe("Signed up");
    expect(detail.timeline[1]!.text).toBe("Opted in (form “home”, consent text v1, from 198.51.100.4)");
    expect(detail.timeline[2]!.text).toBe("Confirmation email scheduled");
    expect(detail.timeline[4]!.text).toBe("Confirmed their address (by link, from 198.51.100.4)");
    expect(detail.timeline[5]!.text).toBe(`Started the course “${course.name}”`);
    // Lesson 1's title brings its own quotation marks: none are added around it.
    expect(detail.timeline[7]!.text).toBe(`Lesson 1 ${lesson1.title} sent (accepted by the provider)`);
    expect(detail.timeline[10]!.text).toBe(`Lesson 1 ${lesson1.title} clicked`);
    const times = detail.timeline.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const html = await (await s.page(`/admin/readers/${subscriberId}`)).text();
    expect(html).toContain("dana@example.com");
    expect(html).toContain("Dana Scully");
    expect(html.match(/<li class="event /g)).toHaveLength(11);
    expect(html).toContain('data-kind="opened"');
    expect(html).toContain("Lesson 2 (");
    expect(html).toContain("is due Mon 8 Dec 09:00 UTC");
  });

  it("says plainly why the next lesson is or is not due", async () => {
    const s = await setup();
    const { subscriberId, enrollmentId, lessonSend } = await dana(s);
    const lesson2 = course.lessons[1]!;
    const sentence = async () => (await s.api<DetailBody>(`/admin/api/subscribers/${subscriberId}`)).body.next.sentence;

    expect(await sentence()).toBe(`Lesson 2 (“${lesson2.title}”) is due Mon 8 Dec 09:00 UTC.`);

    await s.db.updateTable("enrollments").set({ status: "paused", paused_until: T0 + 3 * DAY }).where("id", "=", enrollmentId).execute();
    expect(await sentence()).toBe(`Paused until Thu 4 Dec 10:00 UTC; then lesson 2 (“${lesson2.title}”) is due.`);
    await s.db.updateTable("enrollments").set({ paused_until: null }).where("id", "=", enrollmentId).execute();
    expect(await sentence()).toMatch(/^Paused: lesson 2 .* waits until the reader is resumed\.$/);
    await s.db.updateTable("enrollments").set({ status: "active" }).where("id", "=", enrollmentId).execute();

    await setCoursePaused(s.db, course.slug, true, T0);
    expect(await sentence()).toMatch(/^The whole course is paused: lesson 2 /);
    await setCoursePaused(s.db, course.slug, false, T0);

    await s.db.updateTable("sends").set({ status: "queued", sent_at: null }).where("id", "=", lessonSend).execute();
    expect(await sentence()).toBe(`Waiting for lesson 1 ${course.lessons[0]!.title} to be accepted by the provider (queued since Mon 1 Dec 10:00 UTC).`);
    await s.db.updateTable("sends").set({ status: "sent", sent_at: T0 + 1_000 }).where("id", "=", lessonSend).execute();

    s.t.clock.now = T0 + 8 * DAY;
    expect(await sentence()).toBe(`Lesson 2 (“${lesson2.title}”) is due now; the scheduler sends it on its next tick.`);

    await s.db.updateTable("enrollments").set({ status: "completed", completed_at: T0 + 30 * DAY }).where("id", "=", enrollmentId).execute();
    expect(await sentence()).toBe("Course finished on Wed 31 Dec 10:00 UTC.");

    const pending = await pendingReader(s, "new@example.com", T0);
    expect((await s.api<DetailBody>(`/admin/api/subscribers/${pending}`)).body.next.sentence).toBe(
      "Waiting for the reader to confirm their address (confirmation email sent Mon 1 Dec 10:00 UTC).",
    );
    const gone = await withStatus(s, "gone@example.com", Date.UTC(2024, 5, 3, 8, 30), "unsubscribed");
    expect((await s.api<DetailBody>(`/admin/api/subscribers/${gone}`)).body.next.sentence).toBe("Unsubscribed on Mon 3 Jun 2024 08:30 UTC: no more email.");
  });

  it("is a 404 for an unknown reader", async () => {
    const s = await setup();
    expect((await s.page("/admin/readers/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await s.api("/admin/api/subscribers/nope")).status).toBe(404);
  });
});

describe("reader actions", () => {
  it("sends a lesson now: a ledger row, handed to the queue", async () => {
    const s = await setup();
    const { subscriberId } = await dana(s);
    const lesson3 = course.lessons[2]!;
    const response = await s.post(`/admin/readers/${subscriberId}/send-lesson`, { lesson: lesson3.slug });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/admin/readers/${subscriberId}?notice=send-lesson&lesson=${lesson3.slug}`);
    const row = await s.db.selectFrom("sends").selectAll().where("subscriber_id", "=", subscriberId).where("lesson_slug", "=", lesson3.slug).executeTakeFirstOrThrow();
    expect(row.status).toBe("queued");
    expect(row.dedupe_key).toMatch(/^manual:/);
    expect(row.enqueued_at).not.toBeNull();
    expect(s.t.dispatcher.sends).toEqual([row.id]);
    const page = await (await s.page(response.headers.get("location")!)).text();
    expect(page).toContain("Lesson 3");
    expect(page).toContain("is queued to go out now");

    // The API takes a lesson number too.
    const api = await s.api<{ ok: boolean; sendId: string; lesson: string }>(`/admin/api/subscribers/${subscriberId}/send-lesson`, { method: "POST", body: { lesson: 2 } });
    expect(api.status).toBe(200);
    expect(api.body.lesson).toBe(course.lessons[1]!.slug);
    expect((await s.db.selectFrom("sends").select("status").where("id", "=", api.body.sendId).executeTakeFirstOrThrow()).status).toBe("queued");
  });

  it("pauses, resumes and moves a reader", async () => {
    const s = await setup();
    const { subscriberId, enrollmentId } = await dana(s);
    const status = async () => (await s.db.selectFrom("enrollments").selectAll().where("id", "=", enrollmentId).executeTakeFirstOrThrow());

    expect((await s.post(`/admin/readers/${subscriberId}/pause`)).status).toBe(303);
    expect((await status()).status).toBe("paused");
    expect(await (await s.page(`/admin/readers/${subscriberId}?notice=pause`)).text()).toContain("Paused. Their place in the course is kept.");
    const again = await s.post(`/admin/readers/${subscriberId}/pause`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("cannot be paused");
    expect((await s.post(`/admin/readers/${subscriberId}/resume`)).status).toBe(303);
    expect((await status()).status).toBe("active");

    const lesson3 = course.lessons[2]!;
    expect((await s.post(`/admin/readers/${subscriberId}/move`, { lesson: lesson3.slug })).status).toBe(303);
    const moved = await status();
    expect(moved.next_slug).toBe(lesson3.slug);
    expect(moved.last_day).toBe(course.lessons[1]!.day);
    expect(moved.next_due_at).toBe(s.t.clock.now);

    expect((await s.api(`/admin/api/subscribers/${subscriberId}/pause`, { method: "POST" })).status).toBe(200);
    expect((await status()).status).toBe("paused");
    expect((await s.api(`/admin/api/subscribers/${subscriberId}/resume`, { method: "POST" })).status).toBe(200);
    expect((await s.api(`/admin/api/subscribers/${subscriberId}/move`, { method: "POST", body: { lesson: "1" } })).status).toBe(200);
    expect((await status()).next_slug).toBe(course.lessons[0]!.slug);
  });

  it("unsubscribes as the admin, recorded in the consent log", async () => {
    const s = await setup();
    const { subscriberId } = await dana(s);
    expect((await s.post(`/admin/readers/${subscriberId}/unsubscribe`)).status).toBe(303);
    expect((await s.db.selectFrom("subscribers").select("status").where("id", "=", subscriberId).executeTakeFirstOrThrow()).status).toBe("unsubscribed");
    const event = await s.db.selectFrom("consent_events").selectAll().where("subscriber_id", "=", subscriberId).where("kind", "=", "unsubscribe").executeTakeFirstOrThrow();
    expect(JSON.parse(event.detail!)).toMatchObject({ how: "admin", scope: "all" });
    const detail = (await s.api<DetailBody>(`/admin/api/subscribers/${subscriberId}`)).body;
    expect(detail.timeline.at(-1)).toMatchObject({ kind: "unsubscribe", text: "Unsubscribed (by admin, all email)" });
    expect(detail.next.sentence).toMatch(/^Unsubscribed on Tue 2 Dec 10:00 UTC/);
    // A lesson cannot be sent to someone who left.
    const refused = await s.post(`/admin/readers/${subscriberId}/send-lesson`, { lesson: course.lessons[1]!.slug });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("only active readers");
  });

  it("exports the reader's data as a download", async () => {
    const s = await setup();
    const { subscriberId } = await dana(s);
    const response = await s.post(`/admin/readers/${subscriberId}/export`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="reader-${subscriberId}.json"`);
    const data = (await response.json()) as { subscriber: { email: string }; emails: unknown[] };
    expect(data.subscriber.email).toBe("dana@example.com");
    expect(data.emails).toHaveLength(2);
    expect((await s.api<{ subscriber: { email: string } }>(`/admin/api/subscribers/${subscriberId}/export`)).body.subscriber.email).toBe("dana@example.com");
  });

  it("erases a reader only with the box ticked", async () => {
    const s = await setup();
    const { subscriberId } = await dana(s);
    const unconfirmed = await s.post(`/admin/readers/${subscriberId}/delete`);
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain("Tick the box");
    expect(await s.db.selectFrom("subscribers").select("id").where("id", "=", subscriberId).executeTakeFirst()).toBeTruthy();

    const erased = await s.post(`/admin/readers/${subscriberId}/delete`, { confirm: "yes" });
    expect(erased.status).toBe(303);
    expect(erased.headers.get("location")).toBe("/admin/readers?notice=deleted");
    expect(await s.db.selectFrom("subscribers").select("id").where("id", "=", subscriberId).executeTakeFirst()).toBeUndefined();
    expect(await s.db.selectFrom("sends").select("id").where("subscriber_id", "=", subscriberId).executeTakeFirst()).toBeUndefined();
    expect(await suppressionOf(s.db, "dana@example.com")).toBe("deleted");
    expect(await (await s.page("/admin/readers?notice=deleted")).text()).toContain("The reader was erased");
    expect((await s.post(`/admin/readers/${subscriberId}/delete`, { confirm: "yes" })).status).toBe(404);

    const other = await pendingReader(s, "other@example.com", T0);
    expect((await s.api(`/admin/api/subscribers/${other}`, { method: "DELETE" })).status).toBe(200);
    expect(await s.db.selectFrom("subscribers").select("id").where("id", "=", other).executeTakeFirst()).toBeUndefined();
  });

  it("turns bad input into a clear 4xx, never a 500", async () => {
    const s = await setup();
    const { subscriberId } = await dana(s);
    const pending = await pendingReader(s, "new@example.com", T0);
    const cases: [string, Record<string, string>, number, string][] = [
      [`/admin/readers/${subscriberId}/send-lesson`, {}, 400, "Pick a lesson"],
      [`/admin/readers/${subscriberId}/send-lesson`, { lesson: "no-such-lesson" }, 400, "There is no lesson"],
      [`/admin/readers/${subscriberId}/move`, { lesson: "99" }, 400, "There is no lesson"],
      [`/admin/readers/${subscriberId}/resume`, {}, 409, "not paused"],
      [`/admin/readers/${pending}/pause`, {}, 409, "not enrolled"],
      [`/admin/readers/${pending}/move`, { lesson: "1" }, 409, "no enrollment"],
      [`/admin/readers/${pending}/send-lesson`, { lesson: "1" }, 409, "only active readers"],
      ["/admin/readers/00000000-0000-4000-8000-000000000000/pause", {}, 404, "no reader"],
      ["/admin/readers/00000000-0000-4000-8000-000000000000/export", {}, 404, "no reader"],
    ];
    for (const [path, fields, status, message] of cases) {
      const response = await s.post(path, fields);
      expect(response.status, path).toBe(status);
      expect(await response.text(), path).toContain(message);
    }
    const badJson = await s.app.request(`/admin/api/subscribers/${subscriberId}/send-lesson`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: "bad_json" } });
    // API errors are JSON whatever the client accepts.
    const missing = await s.app.request("/admin/api/subscribers/nope/pause", { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, accept: "text/html" } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "unknown_reader" } });
  });
});
