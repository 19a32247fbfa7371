import { catalogueOf } from "../../src/content/catalogue.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { queueDueEmails } from "../../src/commands/queue-due-emails.ts";
import { createOutbox } from "../../src/send/outbox.ts";
import { classifyResendError } from "../../src/send/resend-mailer.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { claimBatch, recordAttempt } from "../../src/store/sends.ts";
import { unsubscribe } from "../../src/store/subscribers.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const ADMIN_TOKEN = "engine-holds-admin-token-0123456789";
// A course day of a quarter second: the whole course (graduation on day 21) runs in about five
// seconds, still longer than a tick (200 ms), so every lesson is its own step.
const DAY_SECONDS = 0.25;

for (const engine of ENGINES) {
  describe(`held lessons (${engine})`, () => {
    let stack: Stack;
    afterEach(async () => {
      await stack.stop();
    });

    it("a lesson that failed for good holds the course until an admin skips it with a reason; then graduation follows", async () => {
      stack = await startStack(engine, { env: { COURSE_DAY_SECONDS: String(DAY_SECONDS), SEND_ATTEMPTS: "1", ADMIN_TOKEN } });
      const { catalogue, db } = stack.runtime;
      const course = catalogue.primary;
      const last = course.lessons.at(-1)!;
      // The provider refuses the last lesson for good.
      stack.fake.setFault((req) =>
        (req.body as { subject?: string } | undefined)?.subject === last.subject || (Array.isArray(req.body) && (req.body as { subject?: string }[]).some((e) => e.subject === last.subject))
          ? Response.json({ statusCode: 422, name: "validation_error", message: "The `to` field has an invalid domain." }, { status: 422 })
          : undefined,
      );
      const { subscriberId, enrollmentId } = await confirmedReader(db, course, { email: "held@example.com", confirmedAt: Date.now() });
      const failed = await waitFor("the last lesson to fail", () =>
        db.selectFrom("sends").selectAll().where("enrollment_id", "=", enrollmentId).where("lesson_slug", "=", last.slug).where("status", "=", "failed").executeTakeFirst(),
      60_000);
      expect(failed.error).toContain("invalid domain");

      // However late the scheduler looks, nothing follows a held lesson.
      const later = await queueDueEmails({ db, catalogue, courseDaySeconds: DAY_SECONDS, now: () => Date.now() + 365 * 24 * 3600_000 });
      expect(later.sendIds).toEqual([]);
      const api = (path: string, init: RequestInit = {}) => fetch(`${stack.baseUrl}/admin/api${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" } });
      const view = (await (await api(`/subscribers/${subscriberId}`)).json()) as { next: { sentence: string }; timeline: { text: string }[] };
      expect(view.timeline.map((t) => t.text)).toContain(`Course held: nothing more is sent until lesson ${last.number} is retried or skipped`);
      // The reason is given once, on the failure's own line.
      expect(view.timeline.filter((t) => t.text.includes("invalid domain"))).toHaveLength(1);
      expect(view.next.sentence).toMatch(/^Held: lesson \d+ failed: /);
      expect(await db.selectFrom("sends").select("id").where("enrollment_id", "=", enrollmentId).where("kind", "=", "graduation").execute()).toEqual([]);

      const noReason = await api(`/subscribers/${subscriberId}/skip-lesson`, { method: "POST", body: JSON.stringify({}) });
      expect(noReason.status).toBe(400);
      const skipped = await api(`/subscribers/${subscriberId}/skip-lesson`, { method: "POST", body: JSON.stringify({ reason: "address fixed by hand; lesson sent from Gmail" }) });
      expect(skipped.status).toBe(200);

      await waitFor("the graduation email", () => stack.fake.emails.find((e) => e.tags.some((t) => t.value === "graduation")), 30_000);
      const row = await db.selectFrom("sends").selectAll().where("id", "=", failed.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: "skipped", skip_reason: "address fixed by hand; lesson sent from Gmail" });
      const after = (await (await api(`/subscribers/${subscriberId}`)).json()) as { timeline: { text: string }[] };
      expect(after.timeline.some((t) => t.text.includes("skipped by an admin: address fixed by hand"))).toBe(true);
    }, 90_000);

    it("an admin retry of a held lesson re-queues that lesson and the course goes on", async () => {
      stack = await startStack(engine, { env: { COURSE_DAY_SECONDS: String(DAY_SECONDS), SEND_ATTEMPTS: "1", ADMIN_TOKEN } });
      const { catalogue, db } = stack.runtime;
      const course = catalogue.primary;
      const first = course.lessons[0]!;
      stack.fake.failNext(1, { status: 500 });
      const { subscriberId, enrollmentId } = await confirmedReader(db, course, { email: "retry@example.com", confirmedAt: Date.now() });
      await waitFor("lesson 1 to fail", () => db.selectFrom("sends").select("id").where("enrollment_id", "=", enrollmentId).where("status", "=", "failed").executeTakeFirst(), 30_000);
      const res = await fetch(`${stack.baseUrl}/admin/api/subscribers/${subscriberId}/retry-lesson`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(200);
      await waitFor("every lesson and the graduation", async () => {
        const rows = await db.selectFrom("sends").select(["status"]).where("enrollment_id", "=", enrollmentId).execute();
        return rows.length === course.lessons.length + 1 && rows.every((r) => r.status === "sent") ? true : undefined;
      }, 60_000);
      expect(stack.fake.emails.filter((e) => e.subject === first.subject)).toHaveLength(1);
    }, 90_000);
  });

  describe(`unsubscribes and batches (${engine})`, () => {
    let testDb: TestDatabase;
    let db: Database;
    afterEach(async () => {
      await db.destroy();
      await testDb.drop();
    });

    it("an unsubscribe cancels a claimed batch row that never reached the provider, and leaves a batch that may have reached it byte-identical", async () => {
      testDb = await createTestDatabase(engine);
      db = await openDatabase(testDb.url);
      const course = await loadCourse("content/couples-therapy-up-close");
      const now = Date.now();
      const ann = await confirmedReader(db, course, { email: "ann@example.com", confirmedAt: now });
      const bob = await confirmedReader(db, course, { email: "bob@example.com", confirmedAt: now });
      const { batchIds } = await queueDueEmails({ db, catalogue: catalogueOf([course]), now: () => now }, { batchSize: 100 });
      expect(batchIds).toHaveLength(1);
      const batchId = batchIds[0]!;
      // A worker claimed the batch and died before its request left.
      await claimBatch(db, batchId, now);
      await unsubscribe(db, ann.subscriberId, { ip: null, userAgent: null, how: "test" }, now);
      const annRow = await db.selectFrom("sends").selectAll().where("subscriber_id", "=", ann.subscriberId).where("kind", "=", "lesson").executeTakeFirstOrThrow();
      expect(annRow).toMatchObject({ status: "cancelled", batch_id: null });

      // Bob's batch request leaves (and may reach the provider); then he unsubscribes.
      const bobRow = await db.selectFrom("sends").selectAll().where("subscriber_id", "=", bob.subscriberId).where("kind", "=", "lesson").executeTakeFirstOrThrow();
      await recordAttempt(db, "lessonpost-batch-x", [{ id: bobRow.id, body: '{"to":"bob@example.com"}' }], now);
      await unsubscribe(db, bob.subscriberId, { ip: null, userAgent: null, how: "test" }, now);
      const kept = await db.selectFrom("sends").selectAll().where("id", "=", bobRow.id).executeTakeFirstOrThrow();
      expect(kept).toMatchObject({ status: "sending", batch_id: batchId });
      expect(await db.selectFrom("send_requests").select("body").where("send_id", "=", bobRow.id).executeTakeFirst()).toEqual({ body: '{"to":"bob@example.com"}' });
    });
  });
}

describe("provider answers and the outbox", () => {
  it("a 409 invalid_idempotent_request means the provider already sent under that key, not a failure", () => {
    expect(classifyResendError({ name: "invalid_idempotent_request", message: "Same idempotency key used with a different request payload.", statusCode: 409 }, null).kind).toBe("accepted_earlier");
    expect(classifyResendError({ name: "concurrent_idempotent_requests", message: "in progress", statusCode: 409 }, null).kind).toBe("transient");
  });

  it("a failed outbox directory recovers without a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "outbox-"));
    try {
      const blocked = join(dir, "outbox");
      writeFileSync(blocked, "not a directory");
      const outbox = createOutbox(blocked);
      const email = { from: "a@example.com", to: "b@example.com", subject: "s", html: "<p>h</p>", text: "h", headers: {}, idempotencyKey: "k-1" };
      await expect(outbox.send(email)).rejects.toThrow();
      rmSync(blocked);
      await expect(outbox.send(email)).resolves.toEqual({ id: "k-1" });
      expect(await outbox.list()).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
