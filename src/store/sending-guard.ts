import type { Selectable } from "kysely";
import type { Database, SendingGuardTable, SendingPausesTable } from "./database.ts";

/**
 * The complaint-rate guard's facts: the counts it decides on, the pauses it made (with who resumed
 * them), and its latest check. The rules are in src/domain/sending-guard.ts.
 */

export type SendingPause = Selectable<SendingPausesTable>;
export type GuardCheck = Selectable<SendingGuardTable>;

const GUARD_ROW = "install";

/**
 * Of the emails the provider accepted between `start` and `end`: how many are known delivered (a
 * complaint proves delivery too) and how many drew a complaint. One range over an index that
 * holds all three columns.
 */
export async function complaintCounts(db: Database, start: number, end: number): Promise<{ complaints: number; delivered: number }> {
  const row = await db
    .selectFrom("sends")
    .select((eb) => [eb.fn.count<number>(eb.fn.coalesce("delivered_at", "complained_at")).as("delivered"), eb.fn.count<number>("complained_at").as("complaints")])
    .where("sent_at", ">=", start)
    .where("sent_at", "<=", end)
    .executeTakeFirst();
  return { complaints: Number(row?.complaints ?? 0), delivered: Number(row?.delivered ?? 0) };
}

/** Complaints about emails sent since `windowStart` whose events were received after `since` (an admin's resume). */
export async function complaintsReceivedSince(db: Database, since: number, windowStart: number): Promise<number> {
  const row = await db
    .selectFrom("webhook_events")
    .innerJoin("sends", "sends.id", "webhook_events.send_id")
    .select((eb) => eb.fn.count<number>("sends.id").distinct().as("n"))
    .where("webhook_events.type", "=", "email.complained")
    .where("webhook_events.received_at", ">", since)
    .where("sends.sent_at", ">=", windowStart)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The pause in force, if any. */
export async function sendingPauseInForce(db: Database): Promise<SendingPause | undefined> {
  return db.selectFrom("sending_pauses").selectAll().where("in_force", "=", 1).executeTakeFirst();
}

export async function isSendingPaused(db: Database): Promise<boolean> {
  return (await sendingPauseInForce(db)) !== undefined;
}

/** When an admin last resumed sending, if ever. */
export async function lastSendingResume(db: Database): Promise<number | null> {
  const row = await db.selectFrom("sending_pauses").select("resumed_at").where("resumed_at", "is not", null).orderBy("resumed_at", "desc").limit(1).executeTakeFirst();
  return row?.resumed_at === undefined || row.resumed_at === null ? null : Number(row.resumed_at);
}

export interface PauseRecord {
  complaints: number;
  delivered: number;
  windowStart: number;
  windowEnd: number;
  reason: string;
}

/**
 * Pauses course and newsletter mail, keeping why and when. The row is the `sending.paused` event:
 * outgoing webhooks read these rows by `paused_at`. Returns the new pause, or undefined when one
 * was already in force (another process decided first: the unique `in_force` keeps one).
 */
export async function recordSendingPaused(db: Database, pause: PauseRecord, now: number): Promise<SendingPause | undefined> {
  const row: SendingPause = {
    id: crypto.randomUUID(),
    in_force: 1,
    paused_at: now,
    complaints: pause.complaints,
    delivered: pause.delivered,
    window_start: pause.windowStart,
    window_end: pause.windowEnd,
    reason: pause.reason,
    resumed_at: null,
    resumed_by: null,
  };
  const inserted = await db
    .insertInto("sending_pauses")
    .values(row)
    .onConflict((oc) => oc.column("in_force").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted ? row : undefined;
}

/** Ends the pause in force, recording who and when. Returns it, or undefined when none was in force. */
export async function resumeSendingPause(db: Database, by: string, now: number): Promise<SendingPause | undefined> {
  const current = await sendingPauseInForce(db);
  if (!current) return undefined;
  const result = await db
    .updateTable("sending_pauses")
    .set({ in_force: null, resumed_at: now, resumed_by: by.slice(0, 200) })
    .where("id", "=", current.id)
    .where("in_force", "=", 1)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return undefined;
  return { ...current, in_force: null, resumed_at: now, resumed_by: by.slice(0, 200) };
}

/** Pauses made since `since`, oldest first: what the outgoing webhooks turn into `sending.paused`. */
export async function sendingPausesSince(db: Database, since: number): Promise<SendingPause[]> {
  return db.selectFrom("sending_pauses").selectAll().where("paused_at", ">", since).orderBy("paused_at").execute();
}

export async function lastGuardCheck(db: Database): Promise<GuardCheck | undefined> {
  return db.selectFrom("sending_guard").selectAll().where("id", "=", GUARD_ROW).executeTakeFirst();
}

export async function storeGuardCheck(db: Database, check: Omit<GuardCheck, "id">): Promise<void> {
  await db
    .insertInto("sending_guard")
    .values({ id: GUARD_ROW, ...check })
    .onConflict((oc) => oc.column("id").doUpdateSet({ ...check }))
    .execute();
}
