import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { AppDeps } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { dailySeries } from "../../src/store/admin-queries.ts";
import type { SubscriberStatus } from "../../src/store/database.ts";
import { makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { bulkReaders } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const ORIGIN = "http://localhost";
/** Wed 10 Dec 2025, 15:00 UTC. */
const NOW = Date.UTC(2025, 11, 10, 15, 0);
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

async function setup(overrides: Partial<AppDeps> = {}, engine: "sqlite" | "postgres" = "sqlite") {
  t = await makeTestApp({ engine });
  t.clock.now = NOW;
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
    ...overrides,
  });
  const login = await app.request("/admin/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, body: new URLSearchParams({ secret: ADMIN }) });
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  return {
    t: test,
    db: test.db,
    app,
    cookie,
    page: (path: string) => app.request(path, { headers: { cookie, accept: "text/html" } }),
    post: (path: string) => app.request(path, { method: "POST", headers: { cookie, origin: ORIGIN, accept: "text/html", "content-type": "application/x-www-form-urlencoded" }, body: "" }),
    api: async <T>(path: string, method = "GET") => {
      const response = await app.request(path, { method, headers: { authorization: `Bearer ${ADMIN}` } });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function reader(s: Setup, email: string, status: SubscriberStatus, at: number): Promise<string> {
  const id = crypto.randomUUID();
  await s.db
    .insertInto("subscribers")
    .values({
      id,
      email,
      name: null,
      timezone: "UTC",
      status,
      created_at: at,
      updated_at: at,
      confirmed_at: status === "pending" ? null : at,
      unsubscribed_at: status === "unsubscribed" ? at : null,
      confirmation_sent_at: at,
      consent_at: at,
      consent_ip: null,
      consent_user_agent: null,
      consent_form: "test",
      consent_text_version: "v1",
    })
    .execute();
  return id;
}

async function send(s: Setup, subscriberId: string, fields: { status: "sent" | "failed" | "queued"; at: number; sentAt?: number; error?: string; lesson?: string }): Promise<string> {
  const id = crypto.randomUUID();
  await s.db
    .insertInto("sends")
    .values({
      id,
      dedupe_key: `test:${id}`,
      kind: "lesson",
      subscriber_id: subscriberId,
      enrollment_id: null,
      lesson_slug: fields.lesson ?? course.lessons[0]!.slug,
      status: fields.status,
      attempts: fields.status === "failed" ? 8 : 1,
      provider_id: null,
      error: fields.error ?? null,
      enqueued_at: fields.at,
      sent_at: fields.sentAt ?? null,
      created_at: fields.at,
      updated_at: fields.at,
    })
    .execute();
  return id;
}

interface Stats {
  counts: Record<string, number>;
  days: { day: string; signups: number; sends: number }[];
  queue: Record<string, number> | null;
  failedSends: number;
}

describe("dashboard", () => {
  it("counts readers by where they are", async () => {
    const s = await setup();
    const statuses: [SubscriberStatus, number][] = [["pending", 2], ["active", 3], ["unsubscribed", 1], ["bounced", 1], ["complained", 1]];
    for (const [status, n] of statuses) for (let i = 0; i < n; i++) await reader(s, `${status}${i}@example.com`, status, NOW - i * DAY);
    await bulkReaders(s.db, course, 4, { confirmedAt: NOW - 40 * DAY, nextDueAt: NOW, lastDay: 0, status: "paused" });
    const completed = await bulkReaders(s.db, course, 2, { confirmedAt: NOW - 40 * DAY, nextDueAt: NOW, lastDay: 0 });
    await s.db.updateTable("enrollments").set({ status: "completed" }).where("subscriber_id", "in", completed).execute();

    const { body } = await s.api<Stats>("/admin/api/stats");
    // Each reader in one bucket: the paused and finished readers are not also counted as active.
    expect(body.counts).toEqual({ total: 14, signups: 14, pending: 2, active: 3, paused: 4, finished: 2, completed: 2, left: 0, unsubscribed: 1, bounced: 1, complained: 1 });
    const html = await (await s.page("/admin")).text();
    expect(html).toContain('<li data-count="pending"><a href="/admin/readers?status=pending"><strong>2</strong> Pending</a></li>');
    expect(html).toContain('<li data-count="paused"><a href="/admin/readers?status=paused"><strong>4</strong> Paused</a></li>');
  });

  it("draws signups and sends per day for the last 30 days as an inline SVG", async () => {
    const s = await setup();
    const today = await reader(s, "today@example.com", "active", NOW - 3_600_000);
    await reader(s, "today2@example.com", "pending", NOW - 60_000);
    await reader(s, "yesterday@example.com", "active", NOW - DAY);
    await reader(s, "long-ago@example.com", "active", NOW - 45 * DAY);
    await send(s, today, { status: "sent", at: NOW - 7_200_000, sentAt: NOW - 7_000_000 });
    await send(s, today, { status: "sent", at: NOW - 29 * DAY, sentAt: NOW - 29 * DAY });
    await send(s, today, { status: "queued", at: NOW });

    const html = await (await s.page("/admin")).text();
    const svg = /<svg[^>]*>[\s\S]*?<\/svg>/.exec(html)?.[0] ?? "";
    expect(svg).toContain('role="img"');
    expect(svg).toContain('data-days="30"');
    expect(svg.match(/<circle class="point signups"/g)).toHaveLength(30);
    expect(svg.match(/<circle class="point sends"/g)).toHaveLength(30);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('data-day="2025-12-10"');
    expect(svg).toContain('data-day="2025-11-11"');
    expect(svg).not.toContain('data-day="2025-11-10"');
    expect(svg).toContain("<title>10 Dec: 2 signups</title>");
    expect(svg).toContain("<title>9 Dec: 1 signups</title>");
    expect(svg).toContain("<title>10 Dec: 1 sent</title>");
    expect(svg).toContain("<title>11 Nov: 1 sent</title>");
    // No script and no inline style: the page CSP forbids both.
    expect(html).not.toMatch(/<script(?![^>]*src=)/);
    expect(svg).not.toContain("style=");

    const { body } = await s.api<Stats>("/admin/api/stats");
    expect(body.days).toHaveLength(30);
    expect(body.days.at(-1)).toEqual({ day: "2025-12-10", signups: 2, sends: 1 });
    expect(body.days.reduce((n, d) => n + d.signups, 0)).toBe(3);
  });

  it.each(ENGINES)("puts each event on its local day, across a DST change (%s)", async (engine) => {
    const s = await setup({}, engine);
    // Paris moved from UTC+2 to UTC+1 on 26 Oct 2025. 23:30 UTC on 27 Oct is 00:30 on the 28th there.
    const zone = "Europe/Paris";
    await reader(s, "late@example.com", "active", Date.UTC(2025, 9, 27, 23, 30));
    await reader(s, "early@example.com", "active", Date.UTC(2025, 9, 27, 22, 30));
    await reader(s, "summer@example.com", "active", Date.UTC(2025, 9, 24, 22, 30));
    const days = await dailySeries(s.db, zone, Date.UTC(2025, 10, 5, 12, 0), 30);
    const signups = (day: string) => days.find((d) => d.day === day)?.signups;
    expect(signups("2025-10-27")).toBe(1);
    expect(signups("2025-10-28")).toBe(1);
    expect(signups("2025-10-25")).toBe(1);
    expect(days.reduce((n, d) => n + d.signups, 0)).toBe(3);
  });

  it("shows queue health, or says it is unavailable", async () => {
    const without = await setup();
    expect(await (await without.page("/admin")).text()).toContain('data-queue="unavailable"');
    expect((await without.api<Stats>("/admin/api/stats")).body.queue).toBeNull();
    await t!.close();

    const failing = await setup({ queueStats: () => Promise.reject(new Error("redis down")) });
    expect(await (await failing.page("/admin")).text()).toContain("Queue statistics are unavailable");
    await t!.close();

    t = undefined;
    // The counts as BullMQ reports them; test/integration/admin-queues.test.ts reads them from Redis.
    const s = await setup({ queueStats: async () => ({ waiting: 1, active: 0, delayed: 0, failed: 0 }) });
    const html = await (await s.page("/admin")).text();
    expect(html).toContain('data-queue="available"');
    expect(html).toContain("<th scope=\"row\">waiting</th><td>1</td>");
    expect((await s.api<Stats>("/admin/api/stats")).body.queue).toMatchObject({ waiting: 1 });
  });

  it("lists the latest failed sends", async () => {
    const s = await setup();
    const id = await reader(s, "fails@example.com", "active", NOW - DAY);
    await send(s, id, { status: "failed", at: NOW - 3_600_000, error: "provider said 422: invalid <to> address" });
    const html = await (await s.page("/admin")).text();
    expect(html).toContain("fails@example.com");
    expect(html).toContain("provider said 422: invalid &lt;to&gt; address");
  });
});

describe("failed sends", () => {
  it("shows each failure with its reason, reader and email, and retries it into the queue", async () => {
    const s = await setup();
    const id = await reader(s, "fails@example.com", "active", NOW - DAY);
    const lesson2 = course.lessons[1]!;
    const failed = await send(s, id, { status: "failed", at: NOW - 3_600_000, error: "provider said 500 five times", lesson: lesson2.slug });
    await send(s, id, { status: "sent", at: NOW - 7_200_000, sentAt: NOW - 7_100_000 });

    const html = await (await s.page("/admin/failed")).text();
    expect(html).toContain("provider said 500 five times");
    expect(html).toContain(`href="/admin/readers/${id}"`);
    expect(html).toContain("Lesson 2");
    expect(html).toContain("8 attempts");
    expect(html).toContain("2025-12-10 14:00 UTC");
    expect(html).toContain(`action="/admin/failed/${failed}/retry"`);
    expect(html.match(/<button type="submit" class="secondary">Retry<\/button>/g)).toHaveLength(1);

    const retry = await s.post(`/admin/failed/${failed}/retry`);
    expect(retry.status).toBe(303);
    expect(retry.headers.get("location")).toBe("/admin/failed?notice=retried");
    const row = await s.db.selectFrom("sends").selectAll().where("id", "=", failed).executeTakeFirstOrThrow();
    expect(row.status).toBe("queued");
    expect(row.error).toBeNull();
    expect(row.attempts).toBe(0);
    expect(row.enqueued_at).not.toBeNull();
    expect(s.t.dispatcher.sends).toEqual([failed]);
    const after = await (await s.page("/admin/failed?notice=retried")).text();
    expect(after).toContain("The email is back in the queue.");
    expect(after).toContain("Nothing has failed.");

    const again = await s.post(`/admin/failed/${failed}/retry`);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("retried already");
    expect((await s.post(`/admin/failed/${crypto.randomUUID()}/retry`)).status).toBe(409);
  });

  it("has the same list and retry in the API", async () => {
    const s = await setup();
    const id = await reader(s, "fails@example.com", "active", NOW - DAY);
    const failed = await send(s, id, { status: "failed", at: NOW - 60_000, error: "boom" });
    const list = await s.api<{ total: number; items: { id: string; error: string; email: string }[] }>("/admin/api/sends/failed");
    expect(list.body).toMatchObject({ total: 1, items: [{ id: failed, error: "boom", email: "fails@example.com" }] });
    expect((await s.api(`/admin/api/sends/${failed}/retry`, "POST")).status).toBe(200);
    expect((await s.api(`/admin/api/sends/${failed}/retry`, "POST")).status).toBe(409);
  });
});

describe("queues", () => {
  it("shows the job counts when there is no board", async () => {
    const s = await setup({ queueStats: async () => ({ waiting: 3, failed: 1 }) });
    const response = await s.page("/admin/queues");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<th scope=\"row\">waiting</th><td>3</td>");
    expect((await s.page("/admin/queues/anything")).status).toBe(404);
  });
});
