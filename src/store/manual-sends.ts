import type { Course } from "../content/schema.ts";
import { nextItem } from "../scheduler/due-emails.ts";
import type { Database } from "./database.ts";
import { queuedSend } from "./sends.ts";

export class ManualSendError extends Error {
  override name = "ManualSendError";
}

/**
 * An admin's "send lesson N now". It is a ledger row like any other (so it is exactly-once and on
 * the reader's timeline). Sending a lesson ahead of the reader's place moves them on to it; sending
 * one they already had is a re-send and leaves their place alone.
 */
export async function sendLessonNow(db: Database, course: Course, subscriberId: string, lessonSlug: string, now: number): Promise<string> {
  const lesson = course.lessons.find((l) => l.slug === lessonSlug);
  if (!lesson) throw new ManualSendError(`There is no lesson "${lessonSlug}".`);
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select("status").where("id", "=", subscriberId).executeTakeFirst();
    if (!subscriber) throw new ManualSendError("There is no such reader.");
    if (subscriber.status !== "active") throw new ManualSendError(`This reader is ${subscriber.status}; only active readers can be sent lessons.`);
    const enrollment = await trx.selectFrom("enrollments").selectAll().where("subscriber_id", "=", subscriberId).where("course_slug", "=", course.slug).executeTakeFirst();
    if (!enrollment) throw new ManualSendError("This reader is not enrolled in the course.");
    if (enrollment.status === "cancelled") throw new ManualSendError("This reader stopped the course.");
    // One per reader, lesson and minute: a double click is one email.
    const dedupeKey = `manual:${enrollment.id}:${lesson.slug}:${Math.floor(now / 60_000)}`;
    await trx
      .insertInto("sends")
      .values(queuedSend({ dedupeKey, kind: "lesson", subscriberId, enrollmentId: enrollment.id, lessonSlug: lesson.slug }, now))
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .execute();
    const row = await trx.selectFrom("sends").select("id").where("dedupe_key", "=", dedupeKey).executeTakeFirstOrThrow();
    if (lesson.day > enrollment.last_day) {
      const after = nextItem(course, lesson.day);
      await trx
        .updateTable("enrollments")
        .set({ last_day: lesson.day, last_sent_at: now, next_slug: after?.slug ?? null, next_due_at: now, status: enrollment.status === "completed" ? "active" : enrollment.status, updated_at: now })
        .where("id", "=", enrollment.id)
        .execute();
    }
    return row.id;
  });
}

/** Puts a reader at a given lesson: it is their next email, due now (the tick times it). */
export async function moveToLesson(db: Database, course: Course, subscriberId: string, lessonSlug: string, now: number): Promise<void> {
  const index = course.lessons.findIndex((l) => l.slug === lessonSlug);
  if (index < 0) throw new ManualSendError(`There is no lesson "${lessonSlug}".`);
  const previousDay = index === 0 ? -1 : course.lessons[index - 1]!.day;
  const result = await db
    .updateTable("enrollments")
    .set({ last_day: previousDay, next_slug: lessonSlug, next_due_at: now, status: "active", completed_at: null, updated_at: now })
    .where("subscriber_id", "=", subscriberId)
    .where("course_slug", "=", course.slug)
    .where("status", "in", ["active", "paused", "completed"])
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new ManualSendError("This reader has no enrollment that can be moved.");
}

/** Retry of a failed email: back in the ledger as a fresh single send (new attempts, same row). */
export async function retryFailedSend(db: Database, sendId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("sends")
    .set({ status: "queued", error: null, attempts: 0, batch_id: null, enqueued_at: null, updated_at: now })
    .where("id", "=", sendId)
    .where("status", "=", "failed")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
