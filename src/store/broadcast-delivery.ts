import { COURSE_READER_STATES, parseAudience } from "./broadcasts.ts";
import type { Broadcast } from "./broadcasts.ts";
import type { Database } from "./database.ts";
import { queuedSend } from "./sends.ts";
import { timeOrderedId } from "./row-ids.ts";

/**
 * Newsletters go out through the same ledger as lessons. The tick turns a sending newsletter's
 * audience into ledger rows a page at a time (one row per reader, unique per newsletter and reader,
 * batched in hundreds), and the send worker does the rest. The cursor only records which readers
 * already have a row; progress is the count of rows the provider accepted, so a crash can neither
 * skip readers nor send anyone a second copy.
 */

/** Scheduled newsletters whose time has come start sending. Returns how many started. */
export async function startDueBroadcasts(db: Database, now: number): Promise<number> {
  const due = await db.updateTable("broadcasts").set({ status: "sending", started_at: now, updated_at: now }).where("status", "=", "scheduled").where("scheduled_at", "<=", now).executeTakeFirst();
  return Number(due.numUpdatedRows);
}

export async function sendingBroadcasts(db: Database): Promise<Broadcast[]> {
  return db.selectFrom("broadcasts").selectAll().where("status", "=", "sending").orderBy("started_at").execute();
}

export interface NewsletterRows {
  rows: number;
  batchIds: string[];
}

/**
 * Writes ledger rows for the next `page` readers of the newsletter's audience after its cursor, in
 * batches of `batchSize`, and moves the cursor past them in the same transaction. A short page
 * marks the audience fully materialized.
 */
export async function writeNewsletterRows(db: Database, broadcast: Broadcast, now: number, options: { page: number; batchSize: number }): Promise<NewsletterRows> {
  const result: NewsletterRows = { rows: 0, batchIds: [] };
  const audience = parseAudience(broadcast.audience);
  let query = db.selectFrom("subscribers").select("subscribers.id").where("subscribers.status", "=", "active").orderBy("subscribers.id").limit(options.page);
  if (broadcast.cursor) query = query.where("subscribers.id", ">", broadcast.cursor);
  // "all" is every active reader; "course" and "stage:" are the newsletter's course's readers. A
  // newsletter of no course (older than courses) has no "course" audience, and its stage is any
  // enrollment's, as it was written for.
  const course = broadcast.course_slug;
  if (audience.kind === "stage") {
    query = query.where((eb) => {
      let enrolled = eb.selectFrom("enrollments").select("enrollments.id").whereRef("enrollments.subscriber_id", "=", "subscribers.id").where("enrollments.status", "=", "active").where("enrollments.next_slug", "=", audience.lessonSlug);
      if (course !== null) enrolled = enrolled.where("enrollments.course_slug", "=", course);
      return eb.exists(enrolled);
    });
  } else if (audience.kind === "course" && course !== null) {
    query = query.where((eb) =>
      eb.exists(
        eb.selectFrom("enrollments").select("enrollments.id").whereRef("enrollments.subscriber_id", "=", "subscribers.id").where("enrollments.course_slug", "=", course).where("enrollments.status", "in", [...COURSE_READER_STATES]),
      ),
    );
  }
  // A "course" audience needs a course; a row without one reaches nobody rather than everyone.
  const readers = audience.kind === "course" && course === null ? [] : await query.execute();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < readers.length; i += options.batchSize) {
      const chunk = readers.slice(i, i + options.batchSize);
      const batchId = timeOrderedId();
      const inserted = await trx
        .insertInto("sends")
        .values(chunk.map((r) => queuedSend({ dedupeKey: `newsletter:${broadcast.id}:${r.id}`, kind: "newsletter", subscriberId: r.id, broadcastId: broadcast.id, batchId }, now)))
        .onConflict((oc) => oc.column("dedupe_key").doNothing())
        .executeTakeFirst();
      const count = Number(inserted.numInsertedOrUpdatedRows ?? 0n);
      if (count > 0) result.batchIds.push(batchId);
      result.rows += count;
    }
    const last = readers.at(-1)?.id ?? broadcast.cursor;
    await trx
      .updateTable("broadcasts")
      .set({ cursor: last, materialized: readers.length < options.page ? 1 : 0, updated_at: now })
      .where("id", "=", broadcast.id)
      .where("status", "=", "sending")
      .execute();
  });
  return result;
}

/** Marks a sending newsletter sent once none of its rows is still queued or sending; true if it was. */
export async function finishIfDelivered(db: Database, broadcastId: string, now: number): Promise<boolean> {
  const open = await db.selectFrom("sends").select("id").where("broadcast_id", "=", broadcastId).where("status", "in", ["queued", "sending"]).limit(1).executeTakeFirst();
  if (open) return false;
  await db.updateTable("broadcasts").set({ status: "sent", finished_at: now, updated_at: now }).where("id", "=", broadcastId).where("status", "=", "sending").execute();
  return true;
}

/** What the send worker renders a newsletter from. */
export interface NewsletterText {
  subject: string;
  markdown: string | null;
  lessonSlug: string | null;
  preview: string | null;
}

export async function newsletterText(db: Database, broadcastId: string): Promise<NewsletterText | undefined> {
  const b = await db.selectFrom("broadcasts").select(["subject", "markdown", "lesson_slug", "preview"]).where("id", "=", broadcastId).executeTakeFirst();
  return b ? { subject: b.subject, markdown: b.markdown, lessonSlug: b.lesson_slug, preview: b.preview } : undefined;
}
