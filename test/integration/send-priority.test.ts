import { afterEach, describe, expect, it } from "vitest";
import { ENGINES } from "../support/databases.ts";
import { bulkReaders } from "../support/readers.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const ADMIN = "admin-token-for-integration-0123456789";
const DAY = 24 * 3600_000;

/**
 * A reader who signs up while a newsletter is going out gets their confirmation next, not after
 * every batch queued before it. One send at a time (SEND_CONCURRENCY=1) and the provider holding
 * the first batch request make the order visible: whatever the worker takes after that batch is
 * what the queue ranks first.
 */
describe.each(ENGINES)("confirmations ahead of newsletter batches (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    stack?.fake.setFault(undefined);
    await stack?.stop();
    stack = undefined;
  });

  it("a confirmation queued behind nine batches reaches the provider before any of them", async () => {
    stack = await startStack(engine, { env: { ADMIN_TOKEN: ADMIN, SEND_CONCURRENCY: "1", RESEND_RATE_LIMIT: "1000" } });
    const { fake, runtime, baseUrl } = stack;
    const now = Date.now();
    await bulkReaders(runtime.db, runtime.catalogue.primary, 1000, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: 0 });

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    fake.setFault(async (req) => {
      if (req.path !== "/emails/batch" || held) return undefined;
      held = true;
      await released;
      return undefined;
    });

    const created = await fetch(`${baseUrl}/admin/api/newsletters`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ course: runtime.catalogue.primary.slug, subject: "Spring news", markdown: "Hello **everyone**.", audience: "all" }),
    });
    expect(created.status).toBe(201);
    // The first batch is at the provider, held; the other nine wait in the queue.
    await waitFor("nine batches queued behind the held one", async () => {
      const counts = await runtime.producer.sendQueue.getJobCounts("waiting", "prioritized");
      return (counts.waiting ?? 0) + (counts.prioritized ?? 0) >= 9 || undefined;
    });

    const signup = await fetch(`${baseUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "late-reader@example.com", timezone: "UTC" }),
    });
    expect(signup.status).toBe(202);
    await waitFor("the confirmation to be handed to Redis", async () => {
      const row = await runtime.db
        .selectFrom("sends")
        .innerJoin("subscribers", "subscribers.id", "sends.subscriber_id")
        .select("sends.enqueued_at")
        .where("subscribers.email", "=", "late-reader@example.com")
        .executeTakeFirst();
      return row?.enqueued_at != null || undefined;
    });
    release();

    await waitFor("every email to be accepted", () => (fake.emails.length === 1001 ? true : undefined), 60_000);
    const accepted = fake.requests.filter((r) => r.outcome === "accepted").map((r) => r.path);
    // The held batch, then the confirmation, then the nine other batches.
    expect(accepted).toEqual(["/emails/batch", "/emails", ...Array<string>(9).fill("/emails/batch")]);
    expect(fake.emails.filter((e) => e.to.includes("late-reader@example.com"))).toHaveLength(1);
  });
});
