import { sql } from "kysely";
import type { Database } from "./database.ts";
import { queuedSend } from "./sends.ts";

/** The ledger key of a reader's one reminder: unique, so however often the tick runs, it exists once. */
export const confirmReminderKey = (subscriberId: string) => `confirm-reminder:${subscriberId}`;

/**
 * Queues the confirmation reminder for readers still pending whose last confirmation email was
 * queued in (from, until], and who have never had one. Returns the new ledger rows' ids; the
 * tick's re-offer pass hands them to Redis (they are born with no enqueued_at).
 */
export async function queueConfirmReminders(db: Database, window: { from: number; until: number }, limit: number, now: number): Promise<string[]> {
  const due = await db
    .selectFrom("subscribers")
    .select("subscribers.id")
    .where("subscribers.status", "=", "pending")
    .where("subscribers.confirmation_sent_at", ">", window.from)
    .where("subscribers.confirmation_sent_at", "<=", window.until)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("sends").select("sends.id").where("sends.dedupe_key", "=", sql<string>`${sql.lit(confirmReminderKey(""))} || ${sql.ref("subscribers.id")}`))),
    )
    .orderBy("subscribers.confirmation_sent_at")
    .limit(limit)
    .execute();
  if (due.length === 0) return [];
  const rows = due.map((reader) => queuedSend({ dedupeKey: confirmReminderKey(reader.id), kind: "confirm-reminder", subscriberId: reader.id }, now));
  // A tick running beside another (or a crash between select and insert) meets the unique key.
  const inserted = await db
    .insertInto("sends")
    .values(rows)
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("id")
    .execute();
  return inserted.map((row) => row.id);
}
