import type { Insertable, Selectable } from "kysely";
import type { Database, SendKind, SendsTable } from "./database.ts";

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
    id: crypto.randomUUID(),
    dedupe_key: send.dedupeKey,
    kind: send.kind,
    subscriber_id: send.subscriberId,
    enrollment_id: send.enrollmentId ?? null,
    lesson_slug: send.lessonSlug ?? null,
    broadcast_id: send.broadcastId ?? null,
    batch_id: send.batchId ?? null,
    status: "queued",
    provider_id: null,
    error: null,
    enqueued_at: send.enqueuedAt ?? null,
    sent_at: null,
    created_at: now,
    updated_at: now,
  };
}

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
export async function findUnqueuedSends(db: Database, now: number, staleMs: number, limit: number, pausedCourses: readonly string[] = []): Promise<UnqueuedSend[]> {
  let query = db
    .selectFrom("sends")
    .leftJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .select(["sends.id", "sends.batch_id"])
    .where("sends.status", "in", ["queued", "sending"])
    .where((eb) => eb.or([eb("sends.enqueued_at", "is", null), eb("sends.enqueued_at", "<=", now - staleMs)]))
    .where((eb) => eb.or([eb("enrollments.status", "is", null), eb("enrollments.status", "!=", "paused")]));
  if (pausedCourses.length > 0) {
    query = query.where((eb) => eb.or([eb("enrollments.course_slug", "is", null), eb("enrollments.course_slug", "not in", pausedCourses)]));
  }
  return query.orderBy("sends.created_at").limit(limit).execute();
}

export async function batchMembers(db: Database, batchId: string): Promise<Send[]> {
  return db.selectFrom("sends").selectAll().where("batch_id", "=", batchId).orderBy("id").execute();
}

/**
 * Claims every unsettled row of a batch and returns the batch's full membership: every row that
 * was part of its first request (claimed at least once), settled or not. A retry must repeat that
 * request exactly, even if some rows were already marked, or the provider would see a different
 * body under the same key.
 */
export async function claimBatch(db: Database, batchId: string, now: number): Promise<Send[]> {
  await db
    .updateTable("sends")
    .set((eb) => ({ status: "sending", attempts: eb("attempts", "+", 1), updated_at: now }))
    .where("batch_id", "=", batchId)
    .where("status", "in", ["queued", "sending"])
    .execute();
  return db.selectFrom("sends").selectAll().where("batch_id", "=", batchId).where("attempts", ">", 0).where("status", "!=", "cancelled").orderBy("id").execute();
}

/** Settles a batch's rows in one transaction, so a crash never leaves it half-marked. */
export async function settleBatch(db: Database, outcomes: readonly { id: string; providerId?: string; error?: string }[], now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const outcome of outcomes) {
      if (outcome.providerId) {
        await trx.updateTable("sends").set({ status: "sent", provider_id: outcome.providerId, sent_at: now, error: null, updated_at: now }).where("id", "=", outcome.id).where("status", "=", "sending").execute();
      } else {
        await trx.updateTable("sends").set({ status: "failed", error: (outcome.error ?? "refused by the provider").slice(0, 1000), updated_at: now }).where("id", "=", outcome.id).where("status", "=", "sending").execute();
      }
    }
  });
}

export async function markEnqueued(db: Database, ids: readonly string[], now: number): Promise<void> {
  // Chunked so a large catch-up never exceeds SQLite's bound-parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    await db.updateTable("sends").set({ enqueued_at: now }).where("id", "in", ids.slice(i, i + 500)).execute();
  }
}

export async function markBatchEnqueued(db: Database, batchIds: readonly string[], now: number): Promise<void> {
  for (let i = 0; i < batchIds.length; i += 500) {
    await db.updateTable("sends").set({ enqueued_at: now }).where("batch_id", "in", batchIds.slice(i, i + 500)).execute();
  }
}
