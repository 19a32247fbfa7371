import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, describe, expect, it } from "vitest";
import { start } from "../../src/boot.ts";
import type { Runtime } from "../../src/boot.ts";
import { silentLogger } from "../../src/log.ts";
import { unsubscribeUrlFor } from "../../src/render/compose.ts";
import { queueDueEmails } from "../../src/commands/queue-due-emails.ts";
import { batchRequest, claimBatch } from "../../src/store/sends.ts";
import { ENGINES } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";
import { startStack, TEST_SECRET, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * Issue #10 point 19, end to end: a one-click unsubscribe stops a batch member whose request
 * never left, and the batch goes without them; where the provider may already hold the batch,
 * its retry is the identical request and the provider's replay keeps everyone at one email.
 */

const READERS = ["ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"];

interface BatchRequest {
  key: string | undefined;
  body: string;
  to: string[];
}

for (const engine of ENGINES) {
  describe(`unsubscribes against a batch, end to end (${engine})`, () => {
    let stack: Stack;
    let workers: Runtime | undefined;
    /** Lets a request held at the provider through; also on failure, so the workers can stop. */
    let release = () => {};
    afterEach(async () => {
      release();
      await workers?.shutdown();
      workers = undefined;
      await stack.stop();
    });

    /**
     * The HTTP side only, so nothing sends until the test has set the scene; then four readers
     * whose first lesson is due, turned into one batch of four exactly as the tick would.
     */
    async function scene(): Promise<{ readers: Map<string, string>; batchId: string; batchRequests: BatchRequest[] }> {
      stack = await startStack(engine, { roles: ["http"], env: { SEND_RETRY_DELAY_MS: "100" } });
      const { db, catalogue } = stack.runtime;
      const course = catalogue.primary;
      const now = Date.now();
      const readers = new Map<string, string>();
      for (const email of READERS) readers.set(email, (await confirmedReader(db, course, { email, confirmedAt: now })).subscriberId);
      const { batchIds, sendIds } = await queueDueEmails({ db, catalogue: catalogueOf([course]), now: () => now }, { batchSize: 100 });
      expect(sendIds).toHaveLength(READERS.length);
      expect(batchIds).toHaveLength(1);
      const batchRequests: BatchRequest[] = [];
      return { readers, batchId: batchIds[0]!, batchRequests };
    }

    /** The RFC 8058 POST a mailbox provider makes: no cookie, no Origin. */
    async function oneClick(subscriberId: string): Promise<void> {
      const link = new URL(await unsubscribeUrlFor({ appUrl: "https://lessons.example.test", secretKey: TEST_SECRET }, subscriberId));
      const body = new FormData();
      body.set("List-Unsubscribe", "One-Click");
      const response = await fetch(`${stack.baseUrl}${link.pathname}`, { method: "POST", body });
      expect(response.status).toBe(200);
    }

    const startWorkers = async () => {
      workers = await start(["workers"], stack.env, { log: silentLogger });
    };

    const lessonRow = (subscriberId: string) =>
      stack.runtime.db.selectFrom("sends").selectAll().where("subscriber_id", "=", subscriberId).where("kind", "=", "lesson").executeTakeFirstOrThrow();

    it("a batch claimed by a worker that died before its request left is rebuilt without the reader who unsubscribed; everyone else gets one email", async () => {
      const { readers, batchId, batchRequests } = await scene();
      const { db } = stack.runtime;
      stack.fake.setFault((req) => {
        if (req.path === "/emails/batch") batchRequests.push({ key: req.idempotencyKey, body: JSON.stringify(req.body), to: (req.body as { to: string[] }[]).flatMap((e) => e.to) });
        return undefined;
      });
      // A worker claimed the whole batch and died before storing (let alone sending) its request.
      const claimed = await claimBatch(db, batchId, Date.now());
      expect(claimed.map((r) => [r.status, r.attempted_at])).toEqual(READERS.map(() => ["sending", null]));

      const bob = readers.get("bob@example.com")!;
      await oneClick(bob);
      const bobRow = await lessonRow(bob);
      expect(bobRow).toMatchObject({ status: "cancelled", batch_id: null });

      // The retry: the tick offers the unsettled batch again, and a live worker sends it.
      await startWorkers();
      const others = READERS.filter((e) => e !== "bob@example.com");
      await waitFor("every reader's lesson to settle", async () => {
        const open = await db.selectFrom("sends").select("id").where("kind", "=", "lesson").where("status", "in", ["queued", "sending"]).executeTakeFirst();
        return open ? undefined : true;
      }, 30_000);
      const batch = await db.selectFrom("sends").select(["subscriber_id", "status"]).where("batch_id", "=", batchId).execute();
      expect(batch.map((r) => r.subscriber_id).sort()).toEqual(others.map((e) => readers.get(e)!).sort());
      expect(batch.every((r) => r.status === "sent")).toBe(true);

      expect(batchRequests).toHaveLength(1);
      expect(batchRequests[0]!.key).toBe(`lessonpost-batch-${batchId}`);
      expect(batchRequests[0]!.to.sort()).toEqual(others);
      const received = stack.fake.emails.flatMap((e) => e.to);
      expect(received.sort()).toEqual(others);
      expect(stack.fake.duplicates()).toEqual([]);
      expect(await lessonRow(bob)).toMatchObject({ status: "cancelled", provider_id: null });
    }, 60_000);

    it("a batch the provider accepted but whose answer was lost is retried byte for byte, even after a member unsubscribed, and no one gets a second copy", async () => {
      const { readers, batchId, batchRequests } = await scene();
      const { db } = stack.runtime;
      // The first batch request is held at the provider until the test lets it through, so the
      // unsubscribe lands while the request is in flight; it is then accepted and its answer lost.
      const gate = new Promise<void>((resolve) => (release = resolve));
      stack.fake.setFault(async (req) => {
        if (req.path !== "/emails/batch") return undefined;
        batchRequests.push({ key: req.idempotencyKey, body: JSON.stringify(req.body), to: (req.body as { to: string[] }[]).flatMap((e) => e.to) });
        if (batchRequests.length === 1) await gate;
        return undefined;
      });
      stack.fake.failNext(1, { status: "disconnect", afterAccept: true });

      await startWorkers();
      await waitFor("the batch request to reach the provider", () => (batchRequests.length === 1 ? true : undefined), 30_000);
      const bob = readers.get("bob@example.com")!;
      await oneClick(bob);
      // Bob's email is part of a request the provider may hold: it stays, frozen, in the batch.
      const kept = await lessonRow(bob);
      expect(kept).toMatchObject({ status: "sending", batch_id: batchId });
      expect(kept.request_key).toBe(`lessonpost-batch-${batchId}`);
      expect((await batchRequest(db, batchId))?.ids).toContain(kept.id);
      expect(await db.selectFrom("subscribers").select("status").where("id", "=", bob).executeTakeFirstOrThrow()).toEqual({ status: "unsubscribed" });
      release();

      await waitFor("every batch row to settle as sent", async () => {
        const rows = await db.selectFrom("sends").select("status").where("batch_id", "=", batchId).execute();
        return rows.length === READERS.length && rows.every((r) => r.status === "sent") ? true : undefined;
      }, 30_000);

      expect(stack.fake.stats().faultsFired.afterAccept).toBe(1);
      expect(batchRequests).toHaveLength(2);
      const [first, retry] = batchRequests;
      expect(retry!.key).toBe(first!.key);
      expect(retry!.key).toBe(`lessonpost-batch-${batchId}`);
      expect(retry!.body).toBe(first!.body);
      expect(first!.to.sort()).toEqual(READERS);
      expect(stack.fake.requests.filter((r) => r.path === "/emails/batch").map((r) => r.outcome)).toEqual(["fault", "replayed"]);
      // One email each, Bob's included: it was accepted before he left, and never again after.
      expect(stack.fake.emails.flatMap((e) => e.to).sort()).toEqual(READERS);
      expect(stack.fake.duplicates()).toEqual([]);
      const providerIds = (await db.selectFrom("sends").select("provider_id").where("batch_id", "=", batchId).execute()).map((r) => r.provider_id).sort();
      expect(providerIds).toEqual(stack.fake.emails.map((e) => e.id).sort());
    }, 60_000);
  });
}
