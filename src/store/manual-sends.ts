import { conflict } from "../errors.ts";
import { sendOfCourse } from "./admin-queries.ts";
import type { CourseScope } from "./admin-queries.ts";
import type { Database } from "./database.ts";
import { dropSpentBatchRequests, failedSendIds, queuedSend, removeFromBatchRequests, requeueFailed } from "./sends.ts";
import type { Requeued } from "./sends.ts";

/** Every refusal here is the reader's state forbidding the action: a 409 "not_possible" over HTTP. */
const notPossible = (message: string) => conflict("not_possible", message, "Not possible");

/** A lesson as the ledger needs it; the command has already found it in the course. */
export interface PlacedLesson {
  slug: string;
  day: number;
}

/**
 * An admin's "send lesson N now". It is a ledger row like any other (so it is exactly-once and on
 * the reader's timeline). Sending a lesson ahead of the reader's place moves them on to it; sending
 * one they already had is a re-send and leaves their place alone.
 */
export async function sendLessonNow(
  db: Database,
  courseSlug: string,
  subscriberId: string,
  lesson: PlacedLesson,
  /** What comes after `lesson` in the course plan (null: the course ends with it). */
  nextSlugAfter: string | null,
  now: number,
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select("status").where("id", "=", subscriberId).executeTakeFirst();
    if (!subscriber) throw notPossible("There is no such reader.");
    if (subscriber.status !== "active") throw notPossible(`This reader is ${subscriber.status}; only active readers can be sent lessons.`);
    const enrollment = await trx.selectFrom("enrollments").selectAll().where("subscriber_id", "=", subscriberId).where("course_slug", "=", courseSlug).executeTakeFirst();
    if (!enrollment) throw notPossible("This reader is not enrolled in the course.");
    if (enrollment.status === "cancelled") throw notPossible("This reader stopped the course.");
    // One per reader, lesson and minute: a double click is one email.
    const dedupeKey = `manual:${enrollment.id}:${lesson.slug}:${Math.floor(now / 60_000)}`;
    await trx
      .insertInto("sends")
      .values(queuedSend({ dedupeKey, kind: "lesson", subscriberId, enrollmentId: enrollment.id, lessonSlug: lesson.slug }, now))
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .execute();
    const row = await trx.selectFrom("sends").select("id").where("dedupe_key", "=", dedupeKey).executeTakeFirstOrThrow();
    if (lesson.day > enrollment.last_day) {
      await trx
        .updateTable("enrollments")
        .set({ last_day: lesson.day, last_sent_at: now, next_slug: nextSlugAfter, next_due_at: now, status: enrollment.status === "completed" ? "active" : enrollment.status, updated_at: now })
        .where("id", "=", enrollment.id)
        .execute();
    }
    return row.id;
  });
}

/**
 * Puts a reader at a given lesson: it is their next email, due now (the tick times it).
 * `previousDay` is the day of the lesson before it (-1 for the first), so the reader counts as
 * having had everything up to there.
 */
export async function moveToLesson(db: Database, courseSlug: string, subscriberId: string, lessonSlug: string, previousDay: number, now: number): Promise<void> {
  const result = await db
    .updateTable("enrollments")
    .set({ last_day: previousDay, next_slug: lessonSlug, next_due_at: now, status: "active", completed_at: null, updated_at: now })
    .where("subscriber_id", "=", subscriberId)
    .where("course_slug", "=", courseSlug)
    .where("status", "in", ["active", "paused", "completed"])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notPossible("This reader has no enrollment that can be moved.");
}

/** Retry of a failed email: back in the ledger (see requeueFailed for which key and bytes it reuses). */
export async function retryFailedSend(db: Database, sendId: string, now: number): Promise<Requeued | undefined> {
  const requeued = await requeueFailed(db, [sendId], now);
  return requeued.count > 0 ? requeued : undefined;
}

/**
 * Every failed email back in the queue, a page at a time; `onPage` hears how far it got. Returns
 * what to hand to the queue (the tick offers it anyway if that fails).
 */
export async function retryAllFailed(db: Database, now: number, onPage?: (done: number, total: number) => void, scope?: CourseScope): Promise<Requeued> {
  const scoped = scope && !scope.only ? scope : undefined;
  let counting = db.selectFrom("sends").select((eb) => eb.fn.countAll().as("n")).where("sends.status", "=", "failed");
  if (scoped) counting = counting.where((eb) => sendOfCourse(eb, scoped));
  const total = Number((await counting.executeTakeFirst())?.n ?? 0);
  const all: Requeued = { sendIds: [], batchIds: [], count: 0 };
  let after: string | null = null;
  onPage?.(0, total);
  for (;;) {
    const ids: string[] = scoped ? await failedIdsOfCourse(db, after, 500, scoped) : await failedSendIds(db, after, 500);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    const page = await requeueFailed(db, ids, now);
    all.sendIds.push(...page.sendIds);
    for (const b of page.batchIds) if (!all.batchIds.includes(b)) all.batchIds.push(b);
    all.count += page.count;
    onPage?.(all.count, Math.max(total, all.count));
  }
  return all;
}

/** One course's failed sends by id, a page after `after` (failedSendIds, for one course). */
async function failedIdsOfCourse(db: Database, after: string | null, limit: number, scope: CourseScope): Promise<string[]> {
  let query = db.selectFrom("sends").select("sends.id").where("sends.status", "=", "failed").where((eb) => sendOfCourse(eb, scope));
  if (after !== null) query = query.where("sends.id", ">", after);
  return (await query.orderBy("sends.id").limit(limit).execute()).map((r) => r.id);
}

/** The failed lesson that holds a reader's course, if any. */
export async function heldLesson(db: Database, enrollmentId: string): Promise<{ id: string; lesson_slug: string | null; error: string | null } | undefined> {
  return db.selectFrom("sends").select(["id", "lesson_slug", "error"]).where("enrollment_id", "=", enrollmentId).where("kind", "=", "lesson").where("status", "=", "failed").orderBy("created_at").executeTakeFirst();
}

/** An admin gives up on a held lesson, for a stated reason; the course goes on after it. */
export async function skipHeldLesson(db: Database, enrollmentId: string, reason: string, now: number): Promise<string> {
  const held = await heldLesson(db, enrollmentId);
  if (!held) throw notPossible("No lesson holds this reader's course.");
  const failedLessons = db.selectFrom("sends").select("id").where("enrollment_id", "=", enrollmentId).where("kind", "=", "lesson").where("status", "=", "failed");
  await db.deleteFrom("send_requests").where("send_id", "in", failedLessons).execute();
  // Skipped rows leave their batches' stored requests too, so a replay of a batch never carries them.
  const skipped = await failedLessons.clearSelect().select(["id", "batch_id"]).execute();
  await removeFromBatchRequests(db, skipped.map((r) => r.id));
  await db
    .updateTable("sends")
    .set({ status: "skipped", skip_reason: reason.slice(0, 500), updated_at: now })
    .where("enrollment_id", "=", enrollmentId)
    .where("kind", "=", "lesson")
    .where("status", "=", "failed")
    .execute();
  await dropSpentBatchRequests(db, [...new Set(skipped.flatMap((r) => (r.batch_id ? [r.batch_id] : [])))]);
  // Timed from now: the tick sends what comes next with the usual gap.
  await db.updateTable("enrollments").set({ next_due_at: now, updated_at: now }).where("id", "=", enrollmentId).where("status", "=", "active").execute();
  return held.id;
}

/** An admin retries the held lesson: the same row goes back in the queue. */
export async function retryHeldLesson(db: Database, enrollmentId: string, now: number): Promise<Requeued> {
  const held = await heldLesson(db, enrollmentId);
  if (!held) throw notPossible("No lesson holds this reader's course.");
  const ids = (await db.selectFrom("sends").select("id").where("enrollment_id", "=", enrollmentId).where("kind", "=", "lesson").where("status", "=", "failed").execute()).map((r) => r.id);
  return requeueFailed(db, ids, now);
}
