import { brotliCompressSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { catalogueOf } from "../../src/content/catalogue.ts";
import { loadCourse } from "../../src/content/load.ts";
import { queueDueEmails } from "../../src/commands/queue-due-emails.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { eraseReader } from "../../src/store/reader-data.ts";
import { batchIdempotencyKeyFor, batchRequest, claimBatch, recordBatchRequest, requeueFailed, settleBatch } from "../../src/store/sends.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";

/** An email shaped like a lesson: ~15 KB shared by every reader, their address and a link their own. */
const lessonFor = (to: string) => ({ to, subject: "Lesson 2", html: `<p>Hello ${to}</p>${"<p style=\"margin:0\">The same paragraph for every reader.</p>".repeat(250)}<a href="https://x.test/u/${to}">stop</a>` });

/** A request body as the worker builds it: a JSON array of the emails, as bytes (the store reads no further). */
const bodyOf = (emails: readonly unknown[]) => Buffer.from(JSON.stringify(emails));
const requestOf = (rows: readonly { id: string; email: unknown }[]) => ({ ids: rows.map((r) => r.id), body: bodyOf(rows.map((r) => r.email)) });

for (const engine of ENGINES) {
  describe(`a batch's stored request (${engine})`, () => {
    let testDb: TestDatabase;
    let db: Database;
    afterEach(async () => {
      await db.destroy();
      await testDb.drop();
    });

    /** Three readers with their lesson in one claimed batch; rows in the batch's order. */
    async function claimedBatch() {
      testDb = await createTestDatabase(engine);
      db = await openDatabase(testDb.url);
      const course = await loadCourse("content/couples-therapy-up-close");
      const now = Date.now();
      const readers = [];
      for (const email of ["ann@example.com", "bob@example.com", "cat@example.com"]) readers.push({ email, ...(await confirmedReader(db, course, { email, confirmedAt: now })) });
      const { batchIds } = await queueDueEmails({ db, catalogue: catalogueOf([course]), now: () => now }, { batchSize: 100 });
      expect(batchIds).toHaveLength(1);
      const batchId = batchIds[0]!;
      const rows = await claimBatch(db, batchId, now);
      const emailOf = new Map(readers.map((r) => [r.subscriberId, r.email]));
      return { now, batchId, key: batchIdempotencyKeyFor(batchId), readers, rows: rows.map((row) => ({ id: row.id, subscriberId: row.subscriber_id, email: lessonFor(emailOf.get(row.subscriber_id)!) })) };
    }

    it("is stored once, compressed, with the key on each row; a second worker's request is not stored and the first one's is read back", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      const stored = await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      expect(stored).toEqual(requestOf(rows));
      const { body } = await db.selectFrom("batch_requests").select("body").where("batch_id", "=", batchId).executeTakeFirstOrThrow();
      // Three emails of ~15 KB each that differ in a few words compress to a small fraction.
      expect(body.byteLength).toBeLessThan(requestOf(rows).body.byteLength / 10);
      const ledger = await db.selectFrom("sends").select(["request_key", "attempted_at"]).where("batch_id", "=", batchId).execute();
      expect(ledger).toEqual(rows.map(() => ({ request_key: key, attempted_at: now })));

      const rebuilt = rows.map((r) => ({ id: r.id, email: { ...r.email, subject: "Rendered again" } }));
      expect(await recordBatchRequest(db, batchId, key, requestOf(rebuilt), now + 1)).toBeUndefined();
      const read = await batchRequest(db, batchId);
      expect(read).toEqual(stored);
      // The bytes that left are the bytes read back, not an equal value written anew.
      expect(read && "body" in read && read.body.equals(requestOf(rows).body)).toBe(true);
    });

    it("leaves out a row that stopped being sent after its batch was claimed", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      await db.updateTable("sends").set({ status: "cancelled", batch_id: null }).where("id", "=", rows[1]!.id).execute();
      const stored = await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      expect(stored).toEqual(requestOf([rows[0]!, rows[2]!]));
      expect(await batchRequest(db, batchId)).toEqual(stored);
      expect((await db.selectFrom("sends").select("request_key").where("id", "=", rows[1]!.id).executeTakeFirstOrThrow()).request_key).toBeNull();
    });

    it("loses an erased reader's email and keeps the others' in their order", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      await eraseReader(db, rows[1]!.subscriberId, now);
      const left = await batchRequest(db, batchId);
      expect(left).toEqual(requestOf([rows[0]!, rows[2]!]));
      expect(left && "body" in left && left.body.toString()).not.toContain(rows[1]!.email.to);
    });

    it("settles each row with its own answer: an accepted row gets its own provider id, a refused one fails with its reason, and a second answer changes nothing", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      const ledger = async () => new Map((await db.selectFrom("sends").select(["id", "status", "provider_id", "error", "sent_at"]).where("id", "in", rows.map((r) => r.id)).execute()).map((r) => [r.id, r]));
      await settleBatch(db, [{ id: rows[0]!.id, providerId: "p-ann" }, { id: rows[1]!.id, error: "invalid address" }, { id: rows[2]!.id, providerId: "p-cat" }], now + 5, batchId);
      const settled = await ledger();
      expect(settled.get(rows[0]!.id)).toMatchObject({ status: "sent", provider_id: "p-ann", error: null, sent_at: now + 5 });
      expect(settled.get(rows[1]!.id)).toMatchObject({ status: "failed", provider_id: null, error: "invalid address" });
      expect(settled.get(rows[2]!.id)).toMatchObject({ status: "sent", provider_id: "p-cat", error: null, sent_at: now + 5 });
      await settleBatch(db, rows.map((r, i) => ({ id: r.id, providerId: `late-${i}` })), now + 9, batchId);
      expect(await ledger()).toEqual(settled);
    });

    it("is dropped once the provider has answered for every row", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      await settleBatch(db, rows.map((r, i) => (i === 1 ? { id: r.id, error: "refused" } : { id: r.id, providerId: `p-${i}` })), now, batchId);
      expect(await batchRequest(db, batchId)).toBeUndefined();
    });

    it("is kept for a retry of rows whose answer was lost, without a row rebuilt as a single send", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      // The request's answer was lost and every attempt gave up; Bob's row was refused on its own
      // by an earlier answer (never accepted), so a retry builds it afresh instead.
      await db.updateTable("sends").set({ status: "failed" }).where("batch_id", "=", batchId).execute();
      await db.updateTable("sends").set({ attempted_at: null }).where("id", "=", rows[1]!.id).execute();
      const requeued = await requeueFailed(db, rows.map((r) => r.id), now + 1000);
      expect(requeued).toMatchObject({ count: 3, sendIds: [rows[1]!.id], batchIds: [batchId] });
      expect(await batchRequest(db, batchId)).toEqual(requestOf([rows[0]!, rows[2]!]));
      const bob = await db.selectFrom("sends").select(["batch_id", "request_key"]).where("id", "=", rows[1]!.id).executeTakeFirstOrThrow();
      expect(bob).toEqual({ batch_id: null, request_key: null });
    });

    it("stored in the earlier layout (the emails as handed to the mailer) is read back as such, and an erased reader still leaves it", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      const earlier = { ids: rows.map((r) => r.id), emails: rows.map((r) => r.email) };
      await db.insertInto("batch_requests").values({ batch_id: batchId, body: brotliCompressSync(Buffer.from(JSON.stringify(earlier))) }).execute();
      await db.updateTable("sends").set({ request_key: key, attempted_at: now }).where("batch_id", "=", batchId).execute();
      expect(await batchRequest(db, batchId)).toEqual(earlier);
      await eraseReader(db, rows[1]!.subscriberId, now);
      expect(await batchRequest(db, batchId)).toEqual({ ids: [rows[0]!.id, rows[2]!.id], emails: [rows[0]!.email, rows[2]!.email] });
    });

    it("goes once no row of its batch can be retried from it any more", async () => {
      const { now, batchId, key, rows } = await claimedBatch();
      await recordBatchRequest(db, batchId, key, requestOf(rows), now);
      // Past the provider's 24 h window every row is rebuilt, and nothing is left to replay.
      await db.updateTable("sends").set({ status: "failed" }).where("batch_id", "=", batchId).execute();
      const requeued = await requeueFailed(db, rows.map((r) => r.id), now + 25 * 3600_000);
      expect(requeued.sendIds).toHaveLength(3);
      expect(await db.selectFrom("batch_requests").select("batch_id").execute()).toEqual([]);
    });
  });
}
