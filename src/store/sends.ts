import { promisify } from "node:util";
import { brotliCompress, brotliDecompress, constants } from "node:zlib";
import { sql } from "kysely";
import type { ExpressionBuilder, Insertable, Selectable, Transaction } from "kysely";
import type { Database, DB, SendKind, SendsTable } from "./database.ts";
import { timeOrderedId } from "./row-ids.ts";
import { reusableQuery } from "./reusable-query.ts";

export type Send = Selectable<SendsTable>;

/**
 * The sends ledger: one row per email that should exist, unique by what it is (dedupe_key).
 * Workers claim a row before talking to the provider and settle it afterwards; the provider's
 * Idempotency-Key comes from the row id, so every retry of the same row is the same request.
 */

/** What differs between one new ledger row and another; everything else starts the same. */
export interface NewSend {
  dedupeKey: string;
  kind: SendKind;
  subscriberId: string;
  enrollmentId?: string | null;
  lessonSlug?: string | null;
  broadcastId?: string | null;
  batchId?: string | null;
  enqueuedAt?: number | null;
}

/** A fresh, queued ledger row, ready for insertInto("sends"). */
export function queuedSend(send: NewSend, now: number): Insertable<SendsTable> & { id: string; batch_id: string | null } {
  return {
    id: timeOrderedId(),
    dedupe_key: send.dedupeKey,
    kind: send.kind,
    subscriber_id: send.subscriberId,
    enrollment_id: send.enrollmentId ?? null,
    lesson_slug: send.lessonSlug ?? null,
    broadcast_id: send.broadcastId ?? null,
    batch_id: send.batchId ?? null,
    status: "queued",
    provider_id: null,
    attempted_at: null,
    request_key: null,
    error: null,
    enqueued_at: send.enqueuedAt ?? null,
    sent_at: null,
    created_at: now,
    updated_at: now,
  };
}

/** One new ledger row (a confirmation, a preferences link): compiled once, bound per row. */
export const insertSend = reusableQuery((db, row: Insertable<SendsTable>) => db.insertInto("sends").values(row));

export function idempotencyKeyFor(sendId: string): string {
  return `lessonpost-send-${sendId}`;
}

/**
 * Takes a row for sending. A row left in `sending` by a worker that died is taken again: the
 * idempotency key makes the provider treat that retry as the same email.
 */
export async function claimSend(db: Database, id: string, now: number): Promise<Send | undefined> {
  const claimed = await db
    .updateTable("sends")
    .set((eb) => ({ status: "sending", attempts: eb("attempts", "+", 1), updated_at: now }))
    .where("id", "=", id)
    .where("status", "in", ["queued", "sending"])
    // A row that belongs to a batch goes out only with its batch, under the batch's key.
    .where("batch_id", "is", null)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) return undefined;
  return db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function markSent(db: Database, id: string, providerId: string, now: number): Promise<void> {
  await db.updateTable("sends").set({ status: "sent", provider_id: providerId, sent_at: now, error: null, updated_at: now }).where("id", "=", id).execute();
  await db.deleteFrom("send_requests").where("send_id", "=", id).execute();
}

export async function markFailed(db: Database, id: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable("sends")
    .set({ status: "failed", error: reason.slice(0, 1000), updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["queued", "sending"])
    .execute();
}

export async function markCancelled(db: Database, id: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable("sends")
    .set({ status: "cancelled", error: reason, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["queued", "sending"])
    .execute();
}

/** Keeps the last transient error visible on the row while the job waits for its retry. */
export async function noteAttemptError(db: Database, id: string, reason: string, now: number): Promise<void> {
  await db.updateTable("sends").set({ error: reason.slice(0, 1000), updated_at: now }).where("id", "=", id).where("status", "=", "sending").execute();
}

export function batchIdempotencyKeyFor(batchId: string): string {
  return `lessonpost-batch-${batchId}`;
}

/**
 * Puts a row back to wait, unsent and off Redis: its reader or the course is paused. The tick
 * offers it again once the pause ends.
 */
export async function parkSend(db: Database, id: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable("sends")
    .set({ status: "queued", enqueued_at: null, batch_id: null, error: reason, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["queued", "sending"])
    .execute();
}

export interface UnqueuedSend {
  id: string;
  batch_id: string | null;
}

/**
 * Rows that Redis may not know about: never handed over (Redis was down, or the process died
 * between commit and enqueue), or handed over long enough ago that the job may have been lost
 * with a Redis restart. Re-adding a job whose id still exists is a no-op in BullMQ. Rows parked by
 * a pause stay out until it ends.
 */
export async function findUnqueuedSends(
  db: Database,
  now: number,
  staleMs: number,
  limit: number,
  pausedCourses: readonly string[] = [],
  /** Kinds held back install-wide (the complaint-rate guard's pause). */
  heldKinds: readonly SendKind[] = [],
): Promise<UnqueuedSend[]> {
  const unqueued = (handedOver: "never" | "long ago", n: number) => {
    let query = db
      .selectFrom("sends")
      .leftJoin("enrollments", "enrollments.id", "sends.enrollment_id")
      .select(["sends.id", "sends.batch_id"])
      .where("sends.status", "in", ["queued", "sending"])
      .where((eb) => (handedOver === "never" ? eb("sends.enqueued_at", "is", null) : eb("sends.enqueued_at", "<=", now - staleMs)))
      .where((eb) => eb.or([eb("enrollments.status", "is", null), eb("enrollments.status", "!=", "paused")]));
    if (pausedCourses.length > 0) {
      query = query.where((eb) => eb.or([eb("enrollments.course_slug", "is", null), eb("enrollments.course_slug", "not in", pausedCourses)]));
    }
    if (heldKinds.length > 0) query = query.where("sends.kind", "not in", [...heldKinds]);
    return query.orderBy("sends.created_at").limit(n).execute();
  };
  // Two lookups, not one with "never or long ago": each is a range of the (status, enqueued_at)
  // index, while the OR could only seek on status and read every queued row on every tick (50 ms
  // a tick with 100,000 emails queued). The stale ones first: they are the older.
  const stale = await unqueued("long ago", limit);
  return stale.length < limit ? [...stale, ...(await unqueued("never", limit - stale.length))] : stale;
}

export async function batchMembers(db: Database, batchId: string): Promise<Send[]> {
  return db.selectFrom("sends").selectAll().where("batch_id", "=", batchId).orderBy("id").execute();
}

/**
 * Claims every unsettled row of a batch and returns all its rows, settled or not. Once any row
 * carries a stored request (the batch's first request left), the batch is frozen: a retry must
 * repeat that request exactly, even if some rows were already marked, or the provider would see a
 * different body under the same key.
 */
export async function claimBatch(db: Database, batchId: string, now: number): Promise<Send[]> {
  await db
    .updateTable("sends")
    .set((eb) => ({ status: "sending", attempts: eb("attempts", "+", 1), updated_at: now }))
    .where("batch_id", "=", batchId)
    .where("status", "in", ["queued", "sending"])
    .execute();
  return batchMembers(db, batchId);
}

/**
 * The stored requests of these rows, by row id. A row with one is frozen: it is part of a request
 * that may have reached the provider, and its retries repeat that request.
 */
export async function storedRequests(db: Database, ids: readonly string[]): Promise<Map<string, string>> {
  const bodies = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom("send_requests").select(["send_id", "body"]).where("send_id", "in", ids.slice(i, i + 500)).execute();
    for (const row of rows) bodies.set(row.send_id, row.body);
  }
  return bodies;
}

/**
 * Rows of `sends` that have a stored request: their own (a single send, or a batch stored before
 * batch_requests), or a place in their batch's (a batch row keeps request_key while it has one).
 */
const hasStoredRequest = (eb: ExpressionBuilder<DB, "sends">) =>
  eb.or([
    eb.exists(eb.selectFrom("send_requests").select("send_id").whereRef("send_requests.send_id", "=", "sends.id")),
    eb.and([eb("sends.request_key", "is not", null), eb.exists(eb.selectFrom("batch_requests").select("batch_id").whereRef("batch_requests.batch_id", "=", "sends.batch_id"))]),
  ]);

/**
 * A batch's request as stored: its rows' ids and the request body, byte for byte as it leaves (a
 * JSON array whose i-th element is the email of ids[i]; the store reads no further into it). A
 * request stored before bodies were stored as sent has the rows' emails instead, as they were
 * handed to the mailer, for the worker to encode the way it did then.
 */
export type BatchRequest = { ids: string[]; body: Buffer } | { ids: string[]; emails: unknown[] };

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);
const NEWLINE = 0x0a;

// Stored as the ids' JSON, a newline, then the body (JSON never has a raw newline, so the first one
// ends the ids; the earlier layout, {"ids":…,"emails":…}, begins with a brace instead).
// Quality 1 compresses a batch of 100 lessons (~1.7 MB of JSON) to ~40 KB in ~5 ms; deflate at
// level 1 took as long for 120 KB, and higher brotli qualities cost several times the time for
// less than half the size again. In the thread pool, off the event loop.
async function encodeBatchRequest(request: BatchRequest): Promise<Buffer> {
  const bytes = "body" in request ? Buffer.concat([Buffer.from(JSON.stringify(request.ids)), Buffer.of(NEWLINE), request.body]) : Buffer.from(JSON.stringify(request));
  return compress(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
}

async function decodeBatchRequest(stored: Uint8Array): Promise<BatchRequest> {
  const bytes = await decompress(stored);
  if (bytes[0] === 0x7b /* { */) return JSON.parse(bytes.toString("utf8")) as BatchRequest;
  const end = bytes.indexOf(NEWLINE);
  return { ids: JSON.parse(bytes.subarray(0, end).toString("utf8")) as string[], body: bytes.subarray(end + 1) };
}

/** The request without the emails at the positions `keep` says no to, in the same layout. */
function keeping(request: BatchRequest, keep: readonly boolean[]): BatchRequest {
  const ids = request.ids.filter((_, i) => keep[i]);
  if (!("body" in request)) return { ids, emails: request.emails.filter((_, i) => keep[i]) };
  // Re-serialising parsed JSON gives back the same bytes for what is left: every value is a
  // string, an object or an array, which JSON.stringify writes one way only.
  const emails = (JSON.parse(request.body.toString("utf8")) as unknown[]).filter((_, i) => keep[i]);
  return { ids, body: Buffer.from(JSON.stringify(emails)) };
}

/** The stored request of a batch, if it has one in batch_requests. */
export async function batchRequest(db: Database, batchId: string): Promise<BatchRequest | undefined> {
  const row = await db.selectFrom("batch_requests").select("body").where("batch_id", "=", batchId).executeTakeFirst();
  return row ? decodeBatchRequest(row.body) : undefined;
}

/**
 * Stores a batch's request before it leaves, as one compressed row, with the key on each of its
 * rows. A row no longer being sent (cancelled since it was claimed) is left out. Returns the
 * request as stored, or undefined when the batch already had one: another worker on a stalled copy
 * of the job stored first, and its request is the one to send.
 */
export async function recordBatchRequest(db: Database, batchId: string, key: string, all: { ids: string[]; body: Buffer }, now: number): Promise<BatchRequest | undefined> {
  const encoded = await encodeBatchRequest(all);
  return db.transaction().execute(async (trx) => {
    const open = new Set<string>();
    for (let i = 0; i < all.ids.length; i += 500) {
      const found = await trx.selectFrom("sends").select("id").where("id", "in", all.ids.slice(i, i + 500)).where("batch_id", "=", batchId).where("status", "=", "sending").execute();
      for (const row of found) open.add(row.id);
    }
    const request = open.size === all.ids.length ? all : keeping(all, all.ids.map((id) => open.has(id)));
    if (request.ids.length === 0) return request;
    const body = request === all ? encoded : await encodeBatchRequest(request);
    const inserted = await trx.insertInto("batch_requests").values({ batch_id: batchId, body }).onConflict((oc) => oc.column("batch_id").doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
    for (let i = 0; i < request.ids.length; i += 500) {
      await trx.updateTable("sends").set({ attempted_at: now, request_key: key, updated_at: now }).where("id", "in", request.ids.slice(i, i + 500)).execute();
    }
    return request;
  });
}

type Writer = Database | Transaction<DB>;

/**
 * Takes rows out of their batches' stored requests (an erased reader's, or rows rebuilt as single
 * sends), as deleting their own stored email did before batches were stored whole: a retry of the
 * batch then carries the others only.
 */
export async function removeFromBatchRequests(db: Writer, sendIds: readonly string[]): Promise<void> {
  const gone = new Set(sendIds);
  const batchIds = new Set<string>();
  for (let i = 0; i < sendIds.length; i += 500) {
    const rows = await db.selectFrom("sends").select("batch_id").where("id", "in", sendIds.slice(i, i + 500)).where("batch_id", "is not", null).where("request_key", "is not", null).execute();
    for (const row of rows) batchIds.add(row.batch_id!);
  }
  for (const batchId of batchIds) {
    const row = await db.selectFrom("batch_requests").select("body").where("batch_id", "=", batchId).executeTakeFirst();
    if (!row) continue;
    const request = await decodeBatchRequest(row.body);
    const keep = request.ids.map((id) => !gone.has(id));
    if (keep.every(Boolean)) continue;
    const rest = keeping(request, keep);
    if (rest.ids.length === 0) await db.deleteFrom("batch_requests").where("batch_id", "=", batchId).execute();
    else await db.updateTable("batch_requests").set({ body: await encodeBatchRequest(rest) }).where("batch_id", "=", batchId).execute();
  }
}

/**
 * Drops the stored requests of these batches that nothing can replay any more: no row of the
 * batch is both unsettled (or failed, and so retryable) and part of the request as it left.
 */
export async function dropSpentBatchRequests(db: Writer, batchIds: readonly string[]): Promise<void> {
  for (let i = 0; i < batchIds.length; i += 500) {
    await db
      .deleteFrom("batch_requests")
      .where("batch_id", "in", batchIds.slice(i, i + 500))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("sends")
              .select("sends.id")
              .whereRef("sends.batch_id", "=", "batch_requests.batch_id")
              .where("sends.request_key", "is not", null)
              .where("sends.attempted_at", "is not", null)
              .where("sends.status", "in", ["queued", "sending", "failed"]),
          ),
        ),
      )
      .execute();
  }
}

/**
 * Stores the request before it leaves: its key and each row's email. A row that already has one
 * keeps it (a second worker racing on a stalled job must send the first one's bytes, not its own).
 * Returns the ids this call stored.
 */
export async function recordAttempt(db: Database, key: string, rows: readonly { id: string; body: string }[], now: number): Promise<Set<string>> {
  return db.transaction().execute(async (trx) => {
    const stored = new Set<string>();
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      const open = await trx
        .selectFrom("sends")
        .select("id")
        .where("id", "in", chunk.map((r) => r.id))
        .where("status", "=", "sending")
        .where((eb) => eb.not(hasStoredRequest(eb)))
        .execute();
      const ids = new Set(open.map((r) => r.id));
      const fresh = chunk.filter((r) => ids.has(r.id));
      if (fresh.length === 0) continue;
      await trx.insertInto("send_requests").values(fresh.map((r) => ({ send_id: r.id, body: r.body }))).execute();
      await trx.updateTable("sends").set({ attempted_at: now, request_key: key, updated_at: now }).where("id", "in", [...ids]).execute();
      for (const id of ids) stored.add(id);
    }
    return stored;
  });
}

/**
 * The provider said no for certain (a refusal of this email, or a 4xx other than 409 for the
 * request): nothing was accepted under the key, so a later retry may build the email afresh.
 */
export async function releaseRequest(db: Database, ids: readonly string[], now: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom("sends").select(["id", "batch_id"]).where("id", "in", ids.slice(i, i + 500)).where("status", "!=", "sent").execute();
      const open = rows.map((r) => r.id);
      if (open.length === 0) return;
      await trx.deleteFrom("send_requests").where("send_id", "in", open).execute();
      await trx.updateTable("sends").set({ attempted_at: null, request_key: null, updated_at: now }).where("id", "in", open).execute();
      await dropSpentBatchRequests(trx, [...new Set(rows.flatMap((r) => (r.batch_id ? [r.batch_id] : [])))]);
    });
  }
}

/**
 * Resend answers 409 invalid_idempotent_request only when an email was already sent under the key
 * in the last 24 hours: the email was accepted. It counts as sent, with the provider id unknown.
 */
export async function markAcceptedEarlier(db: Database, ids: readonly string[], note: string, now: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.updateTable("sends").set({ status: "sent", sent_at: now, error: note.slice(0, 1000), updated_at: now }).where("id", "in", ids.slice(i, i + 500)).where("status", "in", ["queued", "sending"]).execute();
  }
}

/** A batch row screened out before its batch's first request: it leaves the batch, which goes without it. */
export async function cancelUnattempted(db: Database, id: string, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("sends")
    .set({ status: "cancelled", error: reason, batch_id: null, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["queued", "sending"])
    .where("attempted_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * An unsubscribe or suppression: every unsettled email of the reader that certainly never reached
 * the provider is cancelled (and leaves its batch, which is then built without it), and so is
 * every single send (a single send's retry can always be dropped). Batch rows whose request may
 * have reached the provider stay: their retry must be the identical request.
 */
export async function cancelUnsentFor(db: Database, subscriberId: string, reason: string, now: number, options: { courseOnly?: boolean } = {}): Promise<void> {
  let query = db
    .updateTable("sends")
    .set({ status: "cancelled", error: reason, batch_id: null, updated_at: now })
    .where("subscriber_id", "=", subscriberId)
    .where("status", "in", ["queued", "sending"])
    .where((eb) => eb.or([eb("attempted_at", "is", null), eb("batch_id", "is", null)]));
  if (options.courseOnly) query = query.where("enrollment_id", "is not", null);
  await query.execute();
}

/** Past this age a stored request is not repeated: the provider keeps idempotency keys for 24 h. */
export const REPLAY_WINDOW_MS = 23 * 60 * 60 * 1000;

export interface Requeued {
  /** Rows put back in the queue. */
  count: number;
  sendIds: string[];
  batchIds: string[];
}

/**
 * Puts failed rows back in the queue. A row whose request may have reached the provider within
 * the replay window keeps its batch, key and stored bytes, so the provider answers the retry with
 * the original outcome instead of sending a second copy; any other row is rebuilt as a fresh
 * single send.
 */
export async function requeueFailed(db: Database, ids: readonly string[], now: number): Promise<Requeued> {
  const sendIds: string[] = [];
  const batchIds = new Set<string>();
  let count = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db.transaction().execute(async (trx) => {
      // A row rebuilt as a single send leaves its batch's stored request first, so a replay of the
      // batch never carries it too.
      const rebuilt = trx
        .selectFrom("sends")
        .select("id")
        .where("id", "in", chunk)
        .where("status", "=", "failed")
        .where((eb) => eb.or([eb("attempted_at", "is", null), eb("attempted_at", "<", now - REPLAY_WINDOW_MS), eb.not(hasStoredRequest(eb))]));
      const leaving = await trx.selectFrom("sends").select(["id", "batch_id"]).where("id", "in", rebuilt).where("batch_id", "is not", null).execute();
      await removeFromBatchRequests(trx, leaving.map((r) => r.id));
      const replay = await trx
        .updateTable("sends")
        .set({ status: "queued", error: null, attempts: 0, enqueued_at: null, retried_at: now, updated_at: now })
        .where("id", "in", chunk)
        .where("status", "=", "failed")
        .where(hasStoredRequest)
        .where("attempted_at", ">=", now - REPLAY_WINDOW_MS)
        .returning(["id", "batch_id"])
        .execute();
      const rebuild = await trx
        .updateTable("sends")
        .set({ status: "queued", error: null, attempts: 0, batch_id: null, enqueued_at: null, attempted_at: null, request_key: null, retried_at: now, updated_at: now })
        .where("id", "in", chunk)
        .where("status", "=", "failed")
        .returning(["id", "batch_id"])
        .execute();
      if (rebuild.length > 0) await trx.deleteFrom("send_requests").where("send_id", "in", rebuild.map((r) => r.id)).execute();
      await dropSpentBatchRequests(trx, [...new Set(leaving.map((r) => r.batch_id!))]);
      for (const row of [...replay, ...rebuild]) {
        count += 1;
        if (row.batch_id) batchIds.add(row.batch_id);
        else sendIds.push(row.id);
      }
    });
  }
  return { count, sendIds, batchIds: [...batchIds] };
}

/** Ids of failed rows, oldest first, a page at a time. */
export async function failedSendIds(db: Database, after: string | null, limit: number): Promise<string[]> {
  let query = db.selectFrom("sends").select("id").where("status", "=", "failed");
  if (after !== null) query = query.where("id", ">", after);
  return (await query.orderBy("id").limit(limit).execute()).map((r) => r.id);
}

export interface RetryProgress {
  total: number;
  sent: number;
  failed: number;
  waiting: number;
  cancelled: number;
}

/** How the rows re-queued at `since` or later are doing. */
export async function retryProgress(db: Database, since: number): Promise<RetryProgress> {
  const rows = await db.selectFrom("sends").select(["status", (eb) => eb.fn.countAll().as("n")]).where("retried_at", ">=", since).groupBy("status").execute();
  const by = (...statuses: string[]) => rows.filter((r) => statuses.includes(r.status)).reduce((n, r) => n + Number(r.n), 0);
  return { total: by("queued", "sending", "sent", "failed", "cancelled", "skipped"), sent: by("sent"), failed: by("failed"), waiting: by("queued", "sending"), cancelled: by("cancelled", "skipped") };
}

/**
 * Settles a batch's rows in one transaction, so a crash never leaves it half-marked. A row the
 * provider refused is marked as never accepted (a retry rebuilds it) but keeps its place in the
 * stored request, which other rows of the batch may still have to repeat. Once nothing in the batch
 * can be replayed any more, the stored bodies are dropped.
 */
export async function settleBatch(db: Database, outcomes: readonly { id: string; providerId?: string; error?: string }[], now: number, batchId?: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Accepted rows in one statement per 300, each given its own provider id by a CASE: a batch
    // settled row by row was 100 statements to build and run (6-7% of a worker's CPU per email).
    const accepted = outcomes.filter((o): o is { id: string; providerId: string } => Boolean(o.providerId));
    for (let i = 0; i < accepted.length; i += 300) {
      const chunk = accepted.slice(i, i + 300);
      const providerIds = sql<string>`case ${sql.ref("id")} ${sql.join(
        chunk.map((o) => sql`when ${o.id} then ${o.providerId}`),
        sql` `,
      )} end`;
      await trx
        .updateTable("sends")
        .set({ status: "sent", provider_id: providerIds, sent_at: now, error: null, updated_at: now })
        .where("id", "in", chunk.map((o) => o.id))
        .where("status", "=", "sending")
        .execute();
    }
    for (const outcome of outcomes) {
      if (!outcome.providerId) {
        await trx
          .updateTable("sends")
          .set({ status: "failed", error: (outcome.error ?? "refused by the provider").slice(0, 1000), attempted_at: null, updated_at: now })
          .where("id", "=", outcome.id)
          .where("status", "=", "sending")
          .execute();
      }
    }
    if (!batchId) return;
    const replayable = await trx
      .selectFrom("sends")
      .select("id")
      .where("batch_id", "=", batchId)
      .where(hasStoredRequest)
      .where("attempted_at", "is not", null)
      .where("status", "in", ["queued", "sending", "failed"])
      .executeTakeFirst();
    if (!replayable) {
      await trx.deleteFrom("send_requests").where("send_id", "in", trx.selectFrom("sends").select("id").where("batch_id", "=", batchId)).execute();
      await trx.deleteFrom("batch_requests").where("batch_id", "=", batchId).execute();
    }
  });
}

export async function markEnqueued(db: Database, ids: readonly string[], now: number): Promise<void> {
  await setHandedOver(db, "id", ids, now);
}

export async function markBatchEnqueued(db: Database, batchIds: readonly string[], now: number): Promise<void> {
  await setHandedOver(db, "batch_id", batchIds, now);
}

/** Undoes markEnqueued when Redis refused the rows: the next tick offers them again. */
export async function clearEnqueued(db: Database, ids: readonly string[]): Promise<void> {
  await setHandedOver(db, "id", ids, null);
}

/** The hand-over mark of the rows with these ids (or batch ids): when Redis got them, or null for "not yet". */
async function setHandedOver(db: Database, by: "id" | "batch_id", keys: readonly string[], at: number | null): Promise<void> {
  // Chunked so a large catch-up never exceeds SQLite's bound-parameter limit.
  for (let i = 0; i < keys.length; i += 500) {
    await db.updateTable("sends").set({ enqueued_at: at }).where(by, "in", keys.slice(i, i + 500)).execute();
  }
}

/** The course a newsletter belongs to (null: every course, or written before newsletters had one). */
export async function broadcastCourseSlug(db: Database, broadcastId: string): Promise<string | null> {
  const row = await db.selectFrom("broadcasts").select("course_slug").where("id", "=", broadcastId).executeTakeFirst();
  return row?.course_slug ?? null;
}
