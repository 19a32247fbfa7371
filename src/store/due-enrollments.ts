import type { Database } from "./database.ts";
import { queuedSend } from "./sends.ts";
import type { NewSend } from "./sends.ts";
import { timeOrderedId } from "./row-ids.ts";

/**
 * The scheduler's SQL: read a page of enrollments whose next email is due, and apply a page of
 * decided changes (end, complete, re-file, advance with a new ledger row) in one transaction. The
 * database holds each reader's place (the day of the last email queued) and when the next one is
 * due; Redis only ever sees emails that are due now. What to do with each row is decided by the
 * caller (src/domain/due-decisions.ts): here are only the statements.
 */

export interface DueEnrollmentRow {
  id: string;
  courseSlug: string;
  subscriberId: string;
  subscriberStatus: string;
  startedAt: number;
  lastDay: number;
  lastSentAt: number | null;
  lastDeliveredAt: number | null;
  timezone: string | null;
}

/**
 * Active enrollments of the given courses due by `now` whose reader has nothing in flight in that
 * enrollment, soonest first. Courses not listed (paused, or gone from content/) are left alone.
 */
export async function readDueEnrollments(db: Database, courseSlugs: readonly string[], now: number, options: { limit: number; enrollmentIds?: readonly string[] | undefined }): Promise<DueEnrollmentRow[]> {
  if (courseSlugs.length === 0) return [];
  let query = db
    .selectFrom("enrollments")
    .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
    .select([
      "enrollments.id",
      "enrollments.course_slug as courseSlug",
      "enrollments.subscriber_id as subscriberId",
      "enrollments.started_at as startedAt",
      "enrollments.last_day as lastDay",
      "enrollments.last_sent_at as lastSentAt",
      "subscribers.timezone",
      "subscribers.status as subscriberStatus",
      (eb) => eb.selectFrom("sends").select((s) => s.fn.max("sends.sent_at").as("t")).whereRef("sends.enrollment_id", "=", "enrollments.id").as("lastDeliveredAt"),
    ])
    .where("enrollments.course_slug", "in", [...courseSlugs])
    .where("enrollments.status", "=", "active")
    .where("enrollments.next_due_at", "<=", now)
    // One email at a time per reader: the next waits until the provider has the previous one, so
    // readers get lessons in order even when a send is retried for a while. A lesson that failed
    // for good holds the course (no later lesson, no graduation) until an admin retries or skips it.
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("sends")
            .select("sends.id")
            .whereRef("sends.enrollment_id", "=", "enrollments.id")
            .where((s) => s.or([s("sends.status", "in", ["queued", "sending"]), s.and([s("sends.status", "=", "failed"), s("sends.kind", "=", "lesson")])])),
        ),
      ),
    )
    .orderBy("enrollments.next_due_at")
    .limit(options.limit);
  if (options.enrollmentIds) query = query.where("enrollments.id", "in", options.enrollmentIds);
  return query.execute();
}

export interface RecentCourseEmailRow {
  subscriberId: string;
  enrollmentId: string;
  courseSlug: string;
  kind: "lesson" | "graduation";
  lessonSlug: string | null;
  queuedAt: number;
  sentAt: number | null;
}

/**
 * The lesson and graduation emails, of every course, that the readers of a page of due
 * enrollments have queued or were sent since `since`: the facts of the one-lesson-a-day rule
 * across courses, for the whole page in one query (sends_subscriber_idx covers it). Cancelled,
 * failed and skipped rows never reached the reader, so they take no day.
 */
export async function readRecentCourseEmails(db: Database, page: readonly { subscriberId: string }[], since: number): Promise<RecentCourseEmailRow[]> {
  if (page.length === 0) return [];
  const rows = await db
    .selectFrom("sends")
    .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .select([
      "sends.subscriber_id as subscriberId",
      "sends.enrollment_id as enrollmentId",
      "enrollments.course_slug as courseSlug",
      "sends.kind",
      "sends.lesson_slug as lessonSlug",
      "sends.created_at as queuedAt",
      "sends.sent_at as sentAt",
    ])
    .where("sends.subscriber_id", "in", [...new Set(page.map((e) => e.subscriberId))])
    .where("sends.created_at", ">=", since)
    .where("sends.kind", "in", ["lesson", "graduation"])
    .where("sends.status", "in", ["queued", "sending", "sent"])
    .execute();
  return rows.map((r) => ({
    subscriberId: r.subscriberId,
    enrollmentId: r.enrollmentId!,
    courseSlug: r.courseSlug,
    kind: r.kind as "lesson" | "graduation",
    lessonSlug: r.lessonSlug,
    queuedAt: Number(r.queuedAt),
    sentAt: r.sentAt === null ? null : Number(r.sentAt),
  }));
}

export interface EnrollmentUpdate {
  id: string;
  /** The enrollment is only changed if it still has this last_day (optimistic concurrency). */
  oldLastDay: number;
  lastDay: number;
  lastSentAt: number | null;
  nextSlug: string | null;
  nextDueAt: number | null;
  /** The graduation email was queued: the enrollment is complete. */
  completed: boolean;
}

export interface DueChanges {
  cancel: readonly string[];
  complete: readonly string[];
  refile: readonly EnrollmentUpdate[];
  /** Enrollments that move on, each with the ledger row it gets if it is still where it was read. */
  advance: readonly (EnrollmentUpdate & { email: NewSend })[];
}

export interface QueuedEmails {
  sendIds: string[];
  batchIds: string[];
}

/**
 * Applies a page of decisions in one transaction with a handful of set-based statements: a page of
 * 1,000 readers costs a few round trips, not 4,000. With `batchSize`, the new rows are grouped into
 * provider batches of that size. Returns the ledger rows it created (and their batches).
 */
export async function applyDueChanges(db: Database, changes: DueChanges, now: number, batchSize?: number): Promise<QueuedEmails> {
  const created: string[] = [];
  const batchIds: string[] = [];
  await db.transaction().execute(async (trx) => {
    if (changes.cancel.length > 0) await trx.updateTable("enrollments").set({ status: "cancelled", next_due_at: null, updated_at: now }).where("id", "in", changes.cancel).execute();
    if (changes.complete.length > 0) {
      await trx.updateTable("enrollments").set({ status: "completed", completed_at: now, next_slug: null, next_due_at: null, updated_at: now }).where("id", "in", changes.complete).execute();
    }
    await applyEnrollmentUpdates(trx, changes.refile, now);
    // Only enrollments still where this tick found them advance; another scheduler that got there
    // first owns the ledger row (and the unique key would refuse a second one anyway).
    const advanced = new Set(await applyEnrollmentUpdates(trx, changes.advance, now));
    const rows = changes.advance.filter((a) => advanced.has(a.id)).map((a) => queuedSend(a.email, now));
    // Rows are born with their batch id, in this transaction: a row that existed for a moment
    // without one could be picked up as a single send by another scheduler and go out twice.
    if (batchSize) {
      for (let i = 0; i < rows.length; i += batchSize) {
        const batchId = timeOrderedId();
        for (const row of rows.slice(i, i + batchSize)) row.batch_id = batchId;
      }
    }
    for (let i = 0; i < rows.length; i += 500) {
      const inserted = await trx
        .insertInto("sends")
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.column("dedupe_key").doNothing())
        .returning(["id", "batch_id"])
        .execute();
      for (const row of inserted) {
        created.push(row.id);
        if (row.batch_id && batchIds.at(-1) !== row.batch_id && !batchIds.includes(row.batch_id)) batchIds.push(row.batch_id);
      }
    }
  });
  return { sendIds: created, batchIds };
}

/**
 * Applies enrollment changes with one UPDATE per group of identical changes. Readers who confirmed
 * around the same time in the same zone share their next due time, so a page of 1,000 usually
 * costs a handful of statements (a VALUES-list join was measured slower on SQLite: its prepare
 * cost grows with the list). Returns the ids that were still in the expected state.
 */
async function applyEnrollmentUpdates(trx: Database, changes: readonly EnrollmentUpdate[], now: number): Promise<string[]> {
  const groups = new Map<string, { change: EnrollmentUpdate; ids: string[] }>();
  for (const c of changes) {
    const key = `${c.oldLastDay}|${c.lastDay}|${c.lastSentAt}|${c.nextSlug}|${c.nextDueAt}|${c.completed}`;
    const group = groups.get(key);
    if (group) group.ids.push(c.id);
    else groups.set(key, { change: c, ids: [c.id] });
  }
  const done: string[] = [];
  for (const { change, ids } of groups.values()) {
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await trx
        .updateTable("enrollments")
        .set({
          last_day: change.lastDay,
          last_sent_at: change.lastSentAt,
          next_slug: change.nextSlug,
          next_due_at: change.nextDueAt,
          ...(change.completed ? { status: "completed" as const, completed_at: now } : {}),
          updated_at: now,
        })
        .where("id", "in", ids.slice(i, i + 500))
        .where("last_day", "=", change.oldLastDay)
        .where("status", "=", "active")
        .returning("id")
        .execute();
      done.push(...rows.map((r) => r.id));
    }
  }
  return done;
}

export interface PlacedEnrollmentRow {
  id: string;
  startedAt: number;
  lastDay: number;
  lastSentAt: number | null;
  nextSlug: string | null;
  nextDueAt: number | null;
  timezone: string | null;
}

/** A page of the course's active and paused enrollments, by id after `after`, for re-timing. */
export async function readPlacedEnrollments(db: Database, courseSlug: string, after: string, limit: number): Promise<PlacedEnrollmentRow[]> {
  return db
    .selectFrom("enrollments")
    .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
    .select([
      "enrollments.id",
      "enrollments.started_at as startedAt",
      "enrollments.last_day as lastDay",
      "enrollments.last_sent_at as lastSentAt",
      "enrollments.next_slug as nextSlug",
      "enrollments.next_due_at as nextDueAt",
      "subscribers.timezone",
    ])
    .where("enrollments.course_slug", "=", courseSlug)
    .where("enrollments.status", "in", ["active", "paused"])
    .where("enrollments.id", ">", after)
    .orderBy("enrollments.id")
    .limit(limit)
    .execute();
}

/**
 * Sets a new next email and due time for each group (one UPDATE per group), only where the
 * enrollment still has the group's last_day. Returns how many enrollments changed.
 */
export async function applyRetimings(db: Database, groups: readonly { slug: string | null; due: number; lastDay: number; ids: readonly string[] }[], now: number): Promise<number> {
  let changed = 0;
  for (const group of groups) {
    const result = await db.updateTable("enrollments").set({ next_slug: group.slug, next_due_at: group.due, updated_at: now }).where("id", "in", group.ids).where("last_day", "=", group.lastDay).executeTakeFirst();
    changed += Number(result.numUpdatedRows);
  }
  return changed;
}
