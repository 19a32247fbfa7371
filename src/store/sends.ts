import type { Selectable } from "kysely";
import type { Database, SendsTable } from "./database.ts";

export type Send = Selectable<SendsTable>;

/**
 * The sends ledger: one row per email that should exist, unique by what it is (dedupe_key).
 * Workers claim a row before talking to the provider and settle it afterwards; the provider's
 * Idempotency-Key comes from the row id, so every retry of the same row is the same request.
 */

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

/**
 * Rows that Redis may not know about: never handed over (Redis was down, or the process died
 * between commit and enqueue), or handed over long enough ago that the job may have been lost
 * with a Redis restart. Re-adding a job whose id still exists is a no-op in BullMQ.
 */
export async function findUnqueuedSends(db: Database, now: number, staleMs: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("sends")
    .select("id")
    .where("status", "in", ["queued", "sending"])
    .where((eb) => eb.or([eb("enqueued_at", "is", null), eb("enqueued_at", "<=", now - staleMs)]))
    .orderBy("created_at")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export async function markEnqueued(db: Database, ids: readonly string[], now: number): Promise<void> {
  // Chunked so a large catch-up never exceeds SQLite's bound-parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    await db.updateTable("sends").set({ enqueued_at: now }).where("id", "in", ids.slice(i, i + 500)).execute();
  }
}
