import { afterEach, describe, expect, it } from "vitest";
import { ENGINES } from "../support/databases.ts";
import { bulkReaders } from "../support/readers.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const ADMIN = "admin-token-for-integration-0123456789";
const DAY = 24 * 3600_000;

interface Progress {
  status: string;
  total: number;
  materialized: boolean;
  queued: number;
  sent: number;
  failed: number;
  cancelled: number;
  percent: number;
  done: boolean;
}

/**
 * Newsletters through the whole service: the admin console's compose form over real HTTP, the
 * tick turning the audience into batched ledger rows, the send worker on real Redis, and the real
 * Resend SDK against the fake provider. Once per database engine.
 */
describe.each(ENGINES)("broadcasts end to end (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  /** Admin credentials: the console's session cookie when /admin/login exists, else the bearer token. */
  async function login(s: Stack): Promise<Record<string, string>> {
    const response = await fetch(`${s.baseUrl}/admin/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.baseUrl },
      body: new URLSearchParams({ secret: ADMIN }),
    });
    const cookies = response.headers.getSetCookie().map((c) => c.split(";")[0]!);
    return cookies.length > 0 ? { cookie: cookies.join("; ") } : { authorization: `Bearer ${ADMIN}` };
  }

  /** Submits the compose form as the console page does; returns the new newsletter's id. */
  async function compose(s: Stack, auth: Record<string, string>, fields: Record<string, string>): Promise<string> {
    const response = await fetch(`${s.baseUrl}/admin/broadcasts`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.baseUrl, ...auth },
      body: new URLSearchParams({ markdown: "Hello **everyone**.", audience: "all", when: "now", intent: "go", ...fields }),
    });
    expect(response.status).toBe(303);
    const id = response.headers.get("location")?.match(/^\/admin\/broadcasts\/([0-9a-f-]{36})\?notice=started$/)?.[1];
    if (!id) throw new Error(`unexpected redirect ${response.headers.get("location")}`);
    return id;
  }

  async function progress(s: Stack, auth: Record<string, string>, id: string): Promise<Progress> {
    const response = await fetch(`${s.baseUrl}/admin/broadcasts/${id}/progress.json`, { headers: { accept: "application/json", ...auth } });
    expect(response.status).toBe(200);
    return (await response.json()) as Progress;
  }

  async function emailsOf(s: Stack, ids: readonly string[]): Promise<string[]> {
    const rows = await s.runtime.db.selectFrom("subscribers").select("email").where("id", "in", ids).execute();
    return rows.map((r) => r.email).sort();
  }

  it("a newsletter to 1,000 readers goes out in provider batches, each reader exactly once", async () => {
    stack = await startStack(engine, { env: { ADMIN_TOKEN: ADMIN } });
    const { fake, runtime } = stack;
    const now = Date.now();
    // No lesson is due for days: only the newsletter moves.
    const readers = await bulkReaders(runtime.db, runtime.catalogue.primary, 1000, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: 0 });
    const auth = await login(stack);

    const id = await compose(stack, auth, { subject: `Spring news (${engine})` });
    const final = await waitFor("the newsletter to finish", async () => {
      const p = await progress(stack!, auth, id);
      return p.status === "sent" ? p : undefined;
    }, 60_000);

    expect(final).toMatchObject({ status: "sent", total: 1000, sent: 1000, failed: 0, cancelled: 0, queued: 0, materialized: true, percent: 100, done: true });
    const newsletters = fake.emails.filter((e) => e.subject === `Spring news (${engine})`);
    expect(newsletters).toHaveLength(1000);
    expect(newsletters.every((e) => e.batch)).toBe(true);
    expect(newsletters.flatMap((e) => e.to).sort()).toEqual(await emailsOf(stack, readers));
    expect(newsletters.every((e) => e.headers["List-Unsubscribe-Post"] === "List-Unsubscribe=One-Click")).toBe(true);
    expect(fake.emails).toHaveLength(1000);
    expect(fake.duplicates()).toEqual([]);
    const rows = await runtime.db.selectFrom("sends").select(["status", "provider_id"]).where("broadcast_id", "=", id).execute();
    expect(rows).toHaveLength(1000);
    expect(rows.every((r) => r.status === "sent" && r.provider_id)).toBe(true);
  });

  it("a course-stage audience reaches only the readers whose next lesson is that one", async () => {
    stack = await startStack(engine, { env: { ADMIN_TOKEN: ADMIN } });
    const { fake, runtime } = stack;
    const [, second, third] = runtime.catalogue.primary.lessons;
    const now = Date.now();
    await bulkReaders(runtime.db, runtime.catalogue.primary, 40, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: 0 });
    const atThird = await bulkReaders(runtime.db, runtime.catalogue.primary, 60, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: second!.day });
    // A paused reader at the same stage is not "at" it for a newsletter.
    await bulkReaders(runtime.db, runtime.catalogue.primary, 5, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: second!.day, status: "paused" });
    const auth = await login(stack);

    const id = await compose(stack, auth, { subject: "Before lesson 3", audience: `stage:${third!.slug}` });
    const final = await waitFor("the stage newsletter to finish", async () => {
      const p = await progress(stack!, auth, id);
      return p.status === "sent" ? p : undefined;
    }, 60_000);

    expect(final).toMatchObject({ total: 60, sent: 60, percent: 100, done: true });
    const newsletters = fake.emails.filter((e) => e.subject === "Before lesson 3");
    expect(newsletters.flatMap((e) => e.to).sort()).toEqual(await emailsOf(stack, atThird));
    expect(fake.emails).toHaveLength(60);
    expect(fake.duplicates()).toEqual([]);
  });

  it("a cancelled newsletter sends nothing more", async () => {
    // One provider request per second, so the send is still under way when it is cancelled.
    stack = await startStack(engine, { env: { ADMIN_TOKEN: ADMIN, RESEND_RATE_LIMIT: "1" } });
    const { fake, runtime } = stack;
    const now = Date.now();
    await bulkReaders(runtime.db, runtime.catalogue.primary, 1000, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: 0 });
    const auth = await login(stack);

    const id = await compose(stack, auth, { subject: "Cancel me" });
    await waitFor("the first batch at the provider", () => (fake.emails.length >= 100 ? true : undefined), 30_000);
    const cancel = await fetch(`${stack.baseUrl}/admin/broadcasts/${id}/cancel`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", origin: stack.baseUrl, ...auth } });
    expect(cancel.status).toBe(303);

    // A batch already handed to the provider may finish; after that, nothing moves.
    const settled = await waitFor("the cancellation to settle", async () => {
      const p = await progress(stack!, auth, id);
      return p.done ? p : undefined;
    }, 30_000);
    expect(settled.status).toBe("cancelled");
    expect(settled.percent).toBe(100);
    expect(settled.cancelled).toBeGreaterThan(0);
    expect(settled.sent + settled.failed + settled.cancelled).toBe(settled.total);
    expect(fake.emails.filter((e) => e.subject === "Cancel me")).toHaveLength(settled.sent);

    // Several more ticks (TICK_MS=200) and rate-limit windows: still nothing new.
    const seen = fake.emails.length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(fake.emails.length).toBe(seen);
    expect(await progress(stack, auth, id)).toMatchObject({ status: "cancelled", sent: settled.sent, cancelled: settled.cancelled, queued: 0 });
    const open = await runtime.db.selectFrom("sends").select("id").where("broadcast_id", "=", id).where("status", "in", ["queued", "sending"]).execute();
    expect(open).toEqual([]);
    expect(fake.duplicates()).toEqual([]);
  });
});
