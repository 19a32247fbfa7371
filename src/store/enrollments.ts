import type { Database, EnrollmentStatus } from "./database.ts";

/**
 * Pausing a reader keeps their place. Emails already queued for them stay in the ledger, parked,
 * and go out after resume: nothing is dropped by a pause (listmonk #3022 is the bug to avoid).
 */
export async function pauseEnrollment(db: Database, enrollmentId: string, now: number, until: number | null = null): Promise<boolean> {
  const result = await db
    .updateTable("enrollments")
    .set({ status: "paused", paused_until: until, updated_at: now })
    .where("id", "=", enrollmentId)
    .where("status", "=", "active")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Resumes where the reader left off; the tick re-times the next lesson, keeping the minimum gap. */
export async function resumeEnrollment(db: Database, enrollmentId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("enrollments")
    .set({ status: "active", next_due_at: now, paused_until: null, updated_at: now })
    .where("id", "=", enrollmentId)
    .where("status", "=", "paused")
    .where("next_slug", "is not", null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0) return true;
  // Paused after the graduation email was queued: nothing left to schedule, just let it go out.
  const done = await db.updateTable("enrollments").set({ status: "completed", paused_until: null, updated_at: now }).where("id", "=", enrollmentId).where("status", "=", "paused").executeTakeFirst();
  return Number(done.numUpdatedRows) > 0;
}

/** Ends "pause for a week" pauses whose time is up; run by the tick. */
export async function resumeExpiredPauses(db: Database, now: number): Promise<number> {
  const expired = await db.selectFrom("enrollments").select("id").where("status", "=", "paused").where("paused_until", "<=", now).limit(1000).execute();
  let resumed = 0;
  for (const { id } of expired) if (await resumeEnrollment(db, id, now)) resumed += 1;
  return resumed;
}

/** A reader's enrollment in a course (id and status), if they have one. */
export async function findEnrollment(db: Database, subscriberId: string, courseSlug: string): Promise<{ id: string; status: EnrollmentStatus } | undefined> {
  return db.selectFrom("enrollments").select(["id", "status"]).where("subscriber_id", "=", subscriberId).where("course_slug", "=", courseSlug).executeTakeFirst();
}

/**
 * Enrolls a confirmed reader, due at once for `firstSlug`; a returning (cancelled) reader resumes
 * where they left off. Returns the enrollment's id.
 */
export async function upsertEnrollment(db: Database, subscriberId: string, courseSlug: string, firstSlug: string | null, now: number): Promise<string> {
  await db
    .insertInto("enrollments")
    .values({
      id: crypto.randomUUID(),
      subscriber_id: subscriberId,
      course_slug: courseSlug,
      status: "active",
      started_at: now,
      next_slug: firstSlug,
      next_due_at: now,
      last_day: -1,
      last_sent_at: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(["subscriber_id", "course_slug"]).doUpdateSet({ status: "active", next_due_at: now, updated_at: now }).where("enrollments.status", "=", "cancelled"),
    )
    .execute();
  const row = await db.selectFrom("enrollments").select("id").where("subscriber_id", "=", subscriberId).where("course_slug", "=", courseSlug).executeTakeFirstOrThrow();
  return row.id;
}
