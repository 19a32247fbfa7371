import type { Database } from "../store/database.ts";
import { parseAudience } from "../store/broadcasts.ts";
import { queuedSend } from "../store/sends.ts";

/**
 * Newsletters go out through the same ledger as lessons. The tick turns a sending newsletter's
 * audience into ledger rows a page at a time (one row per reader, unique per newsletter and reader,
 * batched in hundreds), and the send worker does the rest. The cursor only records which readers
 * already have a row; progress is the count of rows the provider accepted, so a crash can neither
 * skip readers nor send anyone a second copy.
 */

const PAGE = 1000;

export interface BroadcastTickResult {
  started: number;
  rows: number;
  batchIds: string[];
  finished: number;
}

export async function advanceBroadcasts(db: Database, now: number, batchSize: number): Promise<BroadcastTickResult> {
  const result: BroadcastTickResult = { started: 0, rows: 0, batchIds: [], finished: 0 };
  const due = await db.updateTable("broadcasts").set({ status: "sending", started_at: now, updated_at: now }).where("status", "=", "scheduled").where("scheduled_at", "<=", now).executeTakeFirst();
  result.started = Number(due.numUpdatedRows);

  const sending = await db.selectFrom("broadcasts").selectAll().where("status", "=", "sending").orderBy("started_at").execute();
  for (const broadcast of sending) {
    if (broadcast.materialized === 0) {
      const audience = parseAudience(broadcast.audience);
      let query = db.selectFrom("subscribers").select("subscribers.id").where("subscribers.status", "=", "active").orderBy("subscribers.id").limit(PAGE);
      if (broadcast.cursor) query = query.where("subscribers.id", ">", broadcast.cursor);
      if (audience.kind === "stage") {
        query = query.where((eb) =>
          eb.exists(
            eb.selectFrom("enrollments").select("enrollments.id").whereRef("enrollments.subscriber_id", "=", "subscribers.id").where("enrollments.status", "=", "active").where("enrollments.next_slug", "=", audience.lessonSlug),
          ),
        );
      }
      const readers = await query.execute();
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < readers.length; i += batchSize) {
          const chunk = readers.slice(i, i + batchSize);
          const batchId = crypto.randomUUID();
          const inserted = await trx
            .insertInto("sends")
            .values(
              chunk.map((r) => queuedSend({ dedupeKey: `newsletter:${broadcast.id}:${r.id}`, kind: "newsletter", subscriberId: r.id, broadcastId: broadcast.id, batchId }, now)),
            )
            .onConflict((oc) => oc.column("dedupe_key").doNothing())
            .executeTakeFirst();
          const count = Number(inserted.numInsertedOrUpdatedRows ?? 0n);
          if (count > 0) result.batchIds.push(batchId);
          result.rows += count;
        }
        const last = readers.at(-1)?.id ?? broadcast.cursor;
        await trx
          .updateTable("broadcasts")
          .set({ cursor: last, materialized: readers.length < PAGE ? 1 : 0, updated_at: now })
          .where("id", "=", broadcast.id)
          .where("status", "=", "sending")
          .execute();
      });
      continue;
    }
    const open = await db.selectFrom("sends").select("id").where("broadcast_id", "=", broadcast.id).where("status", "in", ["queued", "sending"]).limit(1).executeTakeFirst();
    if (!open) {
      await db.updateTable("broadcasts").set({ status: "sent", finished_at: now, updated_at: now }).where("id", "=", broadcast.id).where("status", "=", "sending").execute();
      result.finished += 1;
    }
  }
  return result;
}
