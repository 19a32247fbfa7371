import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import type { SendStatus } from "../../src/store/database.ts";
import { REPLAY_WINDOW_MS } from "../../src/store/sends.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { bulkReaders } from "../support/readers.ts";

/**
 * "Retry all failed" (issue #10 point 15) through the console and the JSON API: the count, the
 * re-queue of every failed row, and the progress figures as the rows settle.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const NOW = Date.UTC(2030, 0, 7, 12, 0, 0);
const HOUR = 3_600_000;

interface Progress {
  total: number;
  sent: number;
  failed: number;
  waiting: number;
  cancelled: number;
}

describe.each(ENGINES)("retry all failed sends (%s)", (engine) => {
  let t: TestApp;
  let course: Course;
  let app: ReturnType<typeof createApp>;
  let cookie: string;
  let readers: string[];

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    t.clock.now = NOW;
    course = await loadCourse("content/couples-therapy-up-close");
    app = appFor(t, { adminToken: ADMIN, clientIp: undefined });
    const login = await app.request("/admin/login", form({ secret: ADMIN }));
    expect(login.status).toBe(303);
    cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    readers = await bulkReaders(t.db, course, 4, { confirmedAt: NOW - 48 * HOUR, nextDueAt: NOW + 48 * HOUR, lastDay: 0 });
  });
  afterEach(async () => {
    await t.close();
  });

  const page = async (path: string) => {
    const response = await app.request(path, { headers: { cookie, accept: "text/html" } });
    expect(response.status).toBe(200);
    return response.text();
  };
  const consolePost = (path: string, headers: Record<string, string> = {}) => app.request(path, form({}, { cookie, accept: "text/html", ...headers }));
  const api = (path: string, init: RequestInit = {}, token = ADMIN) => app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, accept: "application/json" } });

  /** A ledger row for reader `i`; a failed row whose request left `attemptedAgo` ms ago carries that stored request. */
  async function row(i: number, status: SendStatus, options: { attemptedAgo?: number; batchId?: string } = {}): Promise<string> {
    const id = crypto.randomUUID();
    const attempted = options.attemptedAgo !== undefined;
    await t.db
      .insertInto("sends")
      .values({
        id,
        dedupe_key: `test:${id}`,
        kind: "newsletter",
        subscriber_id: readers[i]!,
        batch_id: options.batchId ?? null,
        status,
        attempts: status === "failed" ? 8 : 1,
        provider_id: status === "sent" ? `re_${id}` : null,
        attempted_at: attempted ? NOW - options.attemptedAgo! : null,
        request_key: attempted ? `lessonpost-batch-${options.batchId ?? id}` : null,
        error: status === "failed" ? "gave up after 8 attempts: provider said 503" : null,
        enqueued_at: NOW - 2 * HOUR,
        sent_at: status === "sent" ? NOW - 2 * HOUR : null,
        created_at: NOW - 3 * HOUR,
        updated_at: NOW - 2 * HOUR,
      })
      .execute();
    if (attempted) await t.db.insertInto("send_requests").values({ send_id: id, body: JSON.stringify({ to: `reader${i}@example.com`, subject: "kept bytes" }) }).execute();
    return id;
  }
  const storedBody = async (id: string) => (await t.db.selectFrom("send_requests").select("body").where("send_id", "=", id).executeTakeFirst())?.body ?? null;

  const rowsById = async (ids: string[]) => new Map((await t.db.selectFrom("sends").selectAll().where("id", "in", ids).execute()).map((r) => [r.id, r]));
  const settle = (id: string, status: SendStatus) => t.db.updateTable("sends").set({ status }).where("id", "=", id).execute();

  /** Three failed rows (one plain, one whose batch request may have reached the provider an hour ago, one whose request is too old to replay) and one sent. */
  async function failures() {
    const batchId = crypto.randomUUID();
    const plain = await row(0, "failed");
    const replay = await row(1, "failed", { attemptedAgo: HOUR, batchId });
    const stale = await row(2, "failed", { attemptedAgo: REPLAY_WINDOW_MS + HOUR, batchId: crypto.randomUUID() });
    const sent = await row(3, "sent");
    return { plain, replay, stale, sent, batchId, failed: [plain, replay, stale] };
  }

  it("the failed-sends page counts every failed email on its retry-all button", async () => {
    await failures();
    const html = await page("/admin/failed");
    expect(html).toContain("3 emails gave up after every retry");
    expect(html).toMatch(/<form method="post" action="\/admin\/failed\/retry-all" class="action"><button type="submit" class="">Retry all 3 failed<\/button><\/form>/);
    expect(html).not.toContain("data-retry-progress");

    await t.db.updateTable("sends").set({ status: "sent" }).where("status", "=", "failed").execute();
    const none = await page("/admin/failed");
    expect(none).toContain("Nothing has failed.");
    expect(none).not.toContain("/admin/failed/retry-all");
  });

  it("the button re-queues every failed email (replaying a request that may have reached the provider) and answers with a progress view that moves as they settle", async () => {
    const { plain, replay, stale, sent, batchId, failed } = await failures();
    const response = await consolePost("/admin/failed/retry-all");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/admin/failed?since=${NOW}`);

    const rows = await rowsById([...failed, sent]);
    for (const id of failed) expect(rows.get(id)).toMatchObject({ status: "queued", error: null, attempts: 0, retried_at: NOW });
    expect(rows.get(sent)).toMatchObject({ status: "sent", retried_at: null });
    // Within the provider's idempotency window the batch request is repeated as it was.
    expect(rows.get(replay)).toMatchObject({ batch_id: batchId, request_key: `lessonpost-batch-${batchId}` });
    expect(await storedBody(replay)).toBe(JSON.stringify({ to: "reader1@example.com", subject: "kept bytes" }));
    // Past it, the email is rebuilt as a fresh single send.
    expect(rows.get(stale)).toMatchObject({ batch_id: null, request_key: null, attempted_at: null });
    expect(await storedBody(stale)).toBeNull();
    // The single sends are handed to the queue now, once each; the replayed batch waits for the tick.
    expect([...t.dispatcher.sends].sort()).toEqual([plain, stale].sort());

    const progress = (html: string) => ({
      heading: html.match(/<h2>(Retrying [^<]*)<\/h2>/)?.[1],
      bar: html.match(/<progress max="(\d+)" value="(\d+)">/)?.slice(1),
      figures: ["sent", "waiting", "failed", "cancelled"].map((f) => html.match(new RegExp(`data-field="${f}">(\\d+)<`))?.[1]),
    });
    const first = await page(response.headers.get("location")!);
    expect(progress(first)).toEqual({ heading: "Retrying 3 emails", bar: ["3", "0"], figures: ["0", "3", "0", "0"] });
    expect(first).toContain(`<a href="/admin/failed?since=${NOW}">Refresh</a>`);
    expect(first).toContain("Nothing has failed.");

    await settle(plain, "sent");
    await settle(stale, "failed");
    const middle = await page(`/admin/failed?since=${NOW}`);
    expect(progress(middle)).toEqual({ heading: "Retrying 3 emails", bar: ["3", "2"], figures: ["1", "1", "1", "0"] });
    // The one that failed again is counted (and offered) again.
    expect(middle).toContain("Retry all 1 failed");

    await settle(replay, "sent");
    const done = await page(`/admin/failed?since=${NOW}`);
    expect(progress(done)).toEqual({ heading: "Retrying 3 emails", bar: ["3", "3"], figures: ["2", "0", "1", "0"] });
    expect(done).not.toContain(">Refresh</a>");
  });

  it("a second click with nothing failed any more says so instead of showing the progress of zero emails", async () => {
    await failures();
    expect((await consolePost("/admin/failed/retry-all")).headers.get("location")).toBe(`/admin/failed?since=${NOW}`);
    t.clock.now = NOW + 1_000;
    const again = await consolePost("/admin/failed/retry-all");
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/admin/failed?notice=nothing-to-retry");
    const html = await page(again.headers.get("location")!);
    expect(html).toContain("Nothing was failed any more, so nothing was retried.");
    expect(html).not.toContain("Retrying 0 emails");
  });

  it("the button is a console form like the others: no session, no Origin or another site's Origin re-queues nothing", async () => {
    const { failed } = await failures();
    const anonymous = await app.request("/admin/failed/retry-all", form({}, { accept: "text/html" }));
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toMatch(/^\/admin\/login/);
    const noOrigin = await app.request("/admin/failed/retry-all", { method: "POST", headers: { cookie, accept: "text/html", "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(noOrigin.status).toBe(403);
    expect((await consolePost("/admin/failed/retry-all", { origin: "https://evil.example", "sec-fetch-site": "cross-site" })).status).toBe(403);
    const rows = await rowsById(failed);
    expect([...rows.values()].map((r) => r.status)).toEqual(["failed", "failed", "failed"]);
  });

  it("a bad progress time is a 400 on the page, not a 500", async () => {
    for (const since of ["yesterday", "-5", "1e9", "99999999999999999999"]) {
      const response = await app.request(`/admin/failed?since=${encodeURIComponent(since)}`, { headers: { cookie, accept: "text/html" } });
      expect(response.status, since).toBe(400);
    }
  });

  it("the API retries every failed email, returns the count, and its progress figures move as the rows settle", async () => {
    const { plain, replay, stale, failed } = await failures();
    const response = await api("/admin/api/sends/retry-failed", { method: "POST" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { retried: number; since: number; progress: string };
    expect(body).toEqual({ retried: 3, since: NOW, progress: `/admin/api/sends/retry-progress?since=${NOW}` });
    expect([...(await rowsById(failed)).values()].every((r) => r.status === "queued")).toBe(true);

    const progress = async () => {
      const answer = await api(body.progress);
      expect(answer.status).toBe(200);
      return (await answer.json()) as Progress;
    };
    expect(await progress()).toEqual({ total: 3, sent: 0, failed: 0, waiting: 3, cancelled: 0 });
    await settle(plain, "sent");
    await settle(replay, "cancelled");
    expect(await progress()).toEqual({ total: 3, sent: 1, failed: 0, waiting: 1, cancelled: 1 });
    await settle(stale, "failed");
    expect(await progress()).toEqual({ total: 3, sent: 1, failed: 1, waiting: 0, cancelled: 1 });

    // A second retry counts only what is failed now, and its progress only what it re-queued.
    t.clock.now = NOW + 60_000;
    const again = (await (await api("/admin/api/sends/retry-failed", { method: "POST" })).json()) as { retried: number; since: number };
    expect(again).toMatchObject({ retried: 1, since: NOW + 60_000 });
    expect(await (await api(`/admin/api/sends/retry-progress?since=${again.since}`)).json()).toEqual({ total: 1, sent: 0, failed: 0, waiting: 1, cancelled: 0 });
    expect(await (await api("/admin/api/sends/retry-failed", { method: "POST" })).json()).toMatchObject({ retried: 0 });
  });

  it("the API endpoints need the admin token (401) and refuse a bad progress time with a 400", async () => {
    const { failed } = await failures();
    for (const token of ["", "not-the-admin-token-0000"]) {
      expect((await api("/admin/api/sends/retry-failed", { method: "POST" }, token)).status).toBe(401);
      expect((await api(`/admin/api/sends/retry-progress?since=${NOW}`, {}, token)).status).toBe(401);
    }
    expect((await app.request("/admin/api/sends/retry-failed", { method: "POST" })).status).toBe(401);
    expect((await app.request(`/admin/api/sends/retry-progress?since=${NOW}`)).status).toBe(401);
    expect([...(await rowsById(failed)).values()].map((r) => r.status)).toEqual(["failed", "failed", "failed"]);

    for (const since of ["", "soon", "-1", "12.5", "99999999999999999999"]) {
      const response = await api(`/admin/api/sends/retry-progress?since=${encodeURIComponent(since)}`);
      expect(response.status, since).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "bad_since" } });
    }
    expect((await api("/admin/api/sends/retry-progress")).status).toBe(400);
  });
});
