import { catalogueOf } from "../../src/content/catalogue.ts";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { checkComplaintRate } from "../../src/commands/sending-guard.ts";
import { silentLogger } from "../../src/log.ts";
import { recordSendingPaused } from "../../src/store/sending-guard.ts";
import { queuedSend } from "../../src/store/sends.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { ENGINES } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { runEntry } from "../support/processes.ts";
import { bulkReaders, confirmedReader } from "../support/readers.ts";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const SECRET = `whsec_${Buffer.from("lessonpost-guard-test-secret-012345").toString("base64")}`;
const ADMIN = "admin-token-for-guard-tests-0123";
const DAY = 24 * 3600_000;

/**
 * The complaint-rate guard on the real service (HTTP, send worker, tick, Redis) and both
 * databases: complaints arrive through the signed Resend webhook against 1,000 delivered emails.
 * At 2 (0.2%) the console warns and mail flows; the 3rd (0.3%) pauses lessons while a confirmation
 * still goes out; the admin's resume lets the parked lesson and the held newsletter go, and only a
 * new complaint pauses again.
 */
describe.each(ENGINES)("the complaint-rate guard (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it("warns at 0.2%, pauses course mail at 0.3% while confirmations flow, and resumes on the admin's word", async () => {
    stack = await startStack(engine, { env: { RESEND_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: ADMIN } });
    const { baseUrl, fake, runtime } = stack;
    const { db } = runtime;
    const course = runtime.catalogue.primary;
    const lesson1 = course.lessons[0]!;

    // 1,000 readers, each with one lesson the provider accepted yesterday and delivered.
    const now = Date.now();
    const readers = await bulkReaders(db, course, 1000, { confirmedAt: now - 3 * DAY, nextDueAt: now + 30 * DAY, lastDay: 0, status: "completed" });
    const seeded = readers.map((subscriberId, i) => ({
      ...queuedSend({ dedupeKey: `seed:${i}`, kind: "lesson", subscriberId, lessonSlug: lesson1.slug }, now - DAY),
      status: "sent" as const,
      provider_id: `seed-email-${i}`,
      sent_at: now - DAY,
      delivered_at: now - DAY + 60_000,
      enqueued_at: now - DAY,
    }));
    for (let i = 0; i < seeded.length; i += 250) await db.insertInto("sends").values(seeded.slice(i, i + 250)).execute();

    let delivery = 0;
    /** A complaint about seeded email `i`, signed and posted as Resend does. */
    const complain = async (i: number) => {
      const raw = JSON.stringify({ type: "email.complained", created_at: new Date().toISOString(), data: { email_id: `seed-email-${i}`, to: [`reader${i}@example.com`] } });
      const id = `msg_guard_${++delivery}`;
      const signedAt = new Date();
      const response = await fetch(`${baseUrl}/webhooks/resend`, {
        method: "POST",
        headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(Math.floor(signedAt.getTime() / 1000)), "svix-signature": new Webhook(SECRET).sign(id, signedAt, raw) },
        body: raw,
      });
      expect(response.status).toBe(200);
    };
    const admin = { authorization: `Bearer ${ADMIN}` };
    const status = async () => (await (await fetch(`${baseUrl}/admin/api/sending`, { headers: admin })).json()) as { paused: boolean; pause: Record<string, unknown> | null; check: Record<string, unknown> | null };

    // 2 of 1,000: a warning in the console, nothing paused.
    await complain(0);
    await complain(1);
    expect(await status()).toMatchObject({ paused: false, pause: null, check: { level: "warn", complaints: 2, delivered: 1000, rate: 0.002 } });
    const console = await fetch(`${baseUrl}/admin/readers`, { headers: admin });
    expect(await console.text()).toContain("Complaint rate: 0.20%");

    // The 3rd: 0.3%, course and newsletter mail stops at once.
    await complain(2);
    expect(await status()).toMatchObject({ paused: true, pause: { complaints: 3, delivered: 1000, rate: 0.003, resumedAt: null } });
    expect(await db.selectFrom("sending_pauses").select(["complaints", "delivered", "reason"]).execute()).toEqual([
      { complaints: 3, delivered: 1000, reason: expect.stringMatching(/^Complaints reached 0\.30% \(3 of 1000 delivered\)/) },
    ]);

    // A new reader still gets their confirmation; their lesson 1 is parked, not sent or dropped.
    expect((await formPost(`${baseUrl}/subscribe`, { email: "new@example.com", name: "Noor" })).status).toBe(200);
    const confirmation = await waitFor("the confirmation email", () => fake.emails.find((e) => e.to.some((to) => to.includes("new@example.com")) && e.subject.startsWith("Confirm")));
    expect((await formPost(`${baseUrl}${linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/)}`)).status).toBe(200);
    const newReader = (await db.selectFrom("subscribers").select("id").where("email", "=", "new@example.com").executeTakeFirstOrThrow()).id;
    const lessonRow = () => db.selectFrom("sends").select(["status", "error", "enqueued_at"]).where("subscriber_id", "=", newReader).where("kind", "=", "lesson").executeTakeFirst();
    await waitFor("lesson 1 to be parked", async () => ((await lessonRow())?.error === "sending paused: complaint rate" ? true : undefined));
    expect(await lessonRow()).toEqual({ status: "queued", error: "sending paused: complaint rate", enqueued_at: null });
    expect(fake.emails.filter((e) => e.subject === lesson1.subject)).toEqual([]);

    // The tick turns no due enrollment into a lesson, and no newsletter into rows, while the pause holds.
    const due = await confirmedReader(db, course, { email: "due@example.com", confirmedAt: now - 2 * DAY });
    const newsletter = await fetch(`${baseUrl}/admin/api/newsletters`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ subject: "A note while paused", markdown: "Between lessons.", audience: `stage:${course.lessons[1]!.slug}` }),
    });
    expect(newsletter.status).toBe(201);
    const ticked = await runTick({ db, catalogue: catalogueOf([course]), dispatcher: createFakeDispatcher(db) }, Date.now());
    expect(ticked).toMatchObject({ queued: 0, newsletter: 0 });
    expect(await db.selectFrom("sends").select("id").where("subscriber_id", "=", due.subscriberId).where("kind", "=", "lesson").execute()).toEqual([]);
    expect(await db.selectFrom("sends").select("id").where("kind", "=", "newsletter").execute()).toEqual([]);
    expect(await db.selectFrom("enrollments").select("next_slug").where("id", "=", due.enrollmentId).executeTakeFirstOrThrow()).toEqual({ next_slug: lesson1.slug });

    // The admin resumes: the parked lesson and the waiting one go out.
    const resumed = await fetch(`${baseUrl}/admin/api/sending/resume`, { method: "POST", headers: admin });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ resumed: true, pause: { resumedBy: "api" } });
    const resumedAt = Date.now();
    await waitFor("lesson 1 for the new reader", () => fake.emails.find((e) => e.subject === lesson1.subject && e.to.some((to) => to.includes("new@example.com"))));
    await waitFor("lesson 1 for the waiting reader", () => fake.emails.find((e) => e.subject === lesson1.subject && e.to.some((to) => to.includes("due@example.com"))));
    await waitFor("the newsletter for the reader at lesson 2", () => fake.emails.find((e) => e.subject === "A note while paused" && e.to.some((to) => to.includes("new@example.com"))));
    expect(fake.duplicates()).toEqual([]);

    // Still 0.3%, but the admin saw these figures: no pause again until a new complaint arrives.
    const recheck = await checkComplaintRate({ db, log: silentLogger, now: () => Date.now() });
    expect(recheck).toMatchObject({ level: "pause", pausedNow: false, pause: undefined });
    await waitFor("the clock to pass the resume", () => Date.now() > resumedAt || undefined);
    await complain(3);
    expect(await status()).toMatchObject({ paused: true, pause: { complaints: 4, delivered: 1000 } });
    expect(await db.selectFrom("sending_pauses").select("id").execute()).toHaveLength(2);
  });
});

describe("npm run admin -- resume-sending", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it("resumes a pause, records the CLI and its user, and exits 1 when nothing is paused", async () => {
    stack = await startStack("sqlite", { roles: ["http"] });
    const { db } = stack.runtime;
    const now = Date.now();
    await recordSendingPaused(db, { complaints: 4, delivered: 1200, windowStart: now - 7 * DAY, windowEnd: now, reason: "Complaints reached 0.33% (4 of 1200 delivered)." }, now);
    const cli = async () => {
      const child = runEntry("src/cli/admin-cli.ts", stack!.env, ["resume-sending"]);
      const { code } = await child.exited;
      return { code, output: child.output() };
    };

    const resumed = await cli();
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain("Sending resumed; it was paused at");
    expect(resumed.output).toContain("Complaints reached 0.33% (4 of 1200 delivered).");
    const row = await db.selectFrom("sending_pauses").select(["in_force", "resumed_at", "resumed_by"]).executeTakeFirstOrThrow();
    expect(row.in_force).toBeNull();
    expect(row.resumed_at).toBeGreaterThanOrEqual(now);
    expect(row.resumed_by).toMatch(/^cli \(.+\)$/);

    const again = await cli();
    expect(again.code).toBe(1);
    expect(again.output).toContain("admin: Sending is not paused.");
  });
});
