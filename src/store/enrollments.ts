import { sql } from "kysely";
import type { Insertable } from "kysely";
import type { Database, EnrollmentStatus, EnrollmentsTable } from "./database.ts";
import { timeOrderedId } from "./row-ids.ts";
import { reusableQuery } from "./reusable-query.ts";

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
 * where they left off, and a course they asked for before confirming (pending) starts now. Returns
 * the enrollment's id.
 */
export async function upsertEnrollment(db: Database, subscriberId: string, courseSlug: string, firstSlug: string | null, now: number): Promise<string> {
  const activated = await enrollConfirmedReader(db, subscriberId, courseSlug, firstSlug, now);
  if (activated) return activated;
  // Already in the course (active, paused or finished): that enrollment, as it is.
  return (await findEnrollment(db, subscriberId, courseSlug))!.id;
}

/** A new enrollment row: nothing sent yet, so its schedule starts `now`. */
function newEnrollment(subscriberId: string, courseSlug: string, status: EnrollmentStatus, firstSlug: string | null, dueAt: number | null, now: number) {
  return { id: timeOrderedId(), subscriber_id: subscriberId, course_slug: courseSlug, status, started_at: now, next_slug: firstSlug, next_due_at: dueAt, last_day: -1, last_sent_at: null, completed_at: null, created_at: now, updated_at: now };
}

/**
 * Where an enrollment that has never sent anything starts its schedule: at the moment it becomes
 * active (`now`). One that already ran (a returning reader's) keeps its start, so it resumes where
 * it stopped instead of starting over.
 */
function startedAtOnActivation(now: number) {
  return sql<number>`case when enrollments.last_day = -1 and enrollments.last_sent_at is null then ${now} else enrollments.started_at end`;
}

/**
 * A course asked for on the signup form by a reader who has not confirmed their address yet: a
 * `pending` enrollment, not due (the tick ignores it) until confirmation activates it. A course the
 * reader had left (cancelled) waits as pending again, keeping its place; one that is active,
 * paused, completed or already pending is left as it is.
 */
export async function requestEnrollment(db: Database, subscriberId: string, courseSlug: string, firstSlug: string | null, now: number): Promise<void> {
  await insertPendingEnrollment(db, newEnrollment(subscriberId, courseSlug, "pending", firstSlug, null, now));
}

const insertPendingEnrollment = reusableQuery((db, row: Insertable<EnrollmentsTable>) =>
  db
    .insertInto("enrollments")
    .values(row)
    .onConflict((oc) => oc.columns(["subscriber_id", "course_slug"]).doUpdateSet({ status: "pending", next_due_at: null, updated_at: row.updated_at }).where("enrollments.status", "=", "cancelled")),
);

/**
 * A confirmed reader joins a course from its signup form: active at once, due now for `firstSlug`
 * (a course they had left, or were still waiting for, resumes or starts now). Returns the
 * enrollment's id when it became active here; null when the reader is already in the course
 * (active, paused or completed), so nothing new is queued.
 */
export async function enrollConfirmedReader(db: Database, subscriberId: string, courseSlug: string, firstSlug: string | null, now: number): Promise<string | null> {
  const row = await db
    .insertInto("enrollments")
    .values(newEnrollment(subscriberId, courseSlug, "active", firstSlug, now, now))
    .onConflict((oc) =>
      oc
        .columns(["subscriber_id", "course_slug"])
        .doUpdateSet({ status: "active", started_at: startedAtOnActivation(now), next_due_at: now, updated_at: now })
        .where("enrollments.status", "in", ["cancelled", "pending"]),
    )
    .returning("id")
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * Confirmation: every course the reader asked for while unconfirmed becomes active, due now (lesson
 * 1 goes out at once) with its schedule counted from now. A conditional update, so two confirms
 * at once activate each enrollment once. Returns what it activated.
 */
export async function activatePendingEnrollments(db: Database, subscriberId: string, now: number): Promise<{ id: string; courseSlug: string }[]> {
  const rows = await db
    .updateTable("enrollments")
    .set({ status: "active", started_at: startedAtOnActivation(now), next_due_at: now, updated_at: now })
    .where("subscriber_id", "=", subscriberId)
    .where("status", "=", "pending")
    .returning(["id", "course_slug"])
    .execute();
  return rows.map((row) => ({ id: row.id, courseSlug: row.course_slug })).sort((a, b) => (a.courseSlug < b.courseSlug ? -1 : 1));
}

/** Where each of these enrollments stands: what comes next and when, for the "you're in" page. */
export async function upcomingOf(
  db: Database,
  enrollmentIds: readonly string[],
): Promise<{ id: string; courseSlug: string; status: EnrollmentStatus; nextSlug: string | null; nextDueAt: number | null; lastDay: number }[]> {
  if (enrollmentIds.length === 0) return [];
  const rows = await db
    .selectFrom("enrollments")
    .select(["id", "course_slug", "status", "next_slug", "next_due_at", "last_day"])
    .where("id", "in", enrollmentIds)
    .orderBy("course_slug")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    courseSlug: row.course_slug,
    status: row.status,
    nextSlug: row.next_slug,
    nextDueAt: row.next_due_at === null ? null : Number(row.next_due_at),
    lastDay: row.last_day,
  }));
}

/** The reader's enrollments in these states (ids and courses), by course. */
export async function enrollmentsInState(db: Database, subscriberId: string, statuses: readonly EnrollmentStatus[]): Promise<{ id: string; courseSlug: string }[]> {
  const rows = await db.selectFrom("enrollments").select(["id", "course_slug"]).where("subscriber_id", "=", subscriberId).where("status", "in", statuses).orderBy("course_slug").execute();
  return rows.map((row) => ({ id: row.id, courseSlug: row.course_slug }));
}

export type JoinOutcome = { joined: true; enrollmentId: string } | { joined: false; status: EnrollmentStatus };

/**
 * A confirmed reader joins a course by their own click (the "join the next course" button of a
 * graduation email): enrolled and due at once for `firstSlug`, or, if they had left it, back where
 * they left off. One statement decides, so two clicks at once enroll once; a reader already in the
 * course (or through it) is left as they are. The opt-in is recorded with the course, in the same
 * transaction as the enrollment it explains.
 */
export async function joinCourse(
  db: Database,
  input: { subscriberId: string; courseSlug: string; firstSlug: string | null; ip: string | null; userAgent: string | null; how: string; detail?: Record<string, unknown> },
  now: number,
): Promise<JoinOutcome> {
  return db.transaction().execute(async (trx) => {
    const joined = await trx
      .insertInto("enrollments")
      .values(newEnrollment(input.subscriberId, input.courseSlug, "active", input.firstSlug, now, now))
      .onConflict((oc) =>
        oc.columns(["subscriber_id", "course_slug"]).doUpdateSet({ status: "active", next_due_at: now, updated_at: now }).where("enrollments.status", "=", "cancelled").where("enrollments.completed_at", "is", null),
      )
      .returning("id")
      .executeTakeFirst();
    if (!joined) {
      const current = await trx.selectFrom("enrollments").select("status").where("subscriber_id", "=", input.subscriberId).where("course_slug", "=", input.courseSlug).executeTakeFirstOrThrow();
      return { joined: false, status: current.status };
    }
    await trx
      .insertInto("consent_events")
      .values({
        id: timeOrderedId(),
        subscriber_id: input.subscriberId,
        kind: "opt_in",
        at: now,
        ip: input.ip,
        user_agent: input.userAgent,
        detail: JSON.stringify({ how: input.how, ...input.detail }),
        course_slug: input.courseSlug,
      })
      .execute();
    return { joined: true, enrollmentId: joined.id };
  });
}

/**
 * The graduation email a "join the next course" link names: its reader and the course it closed.
 * Undefined when the row is not a graduation email (or is gone, with its reader's erasure).
 */
export async function graduationOf(db: Database, sendId: string): Promise<{ subscriberId: string; courseSlug: string } | undefined> {
  const row = await db
    .selectFrom("sends")
    .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .select(["sends.subscriber_id", "enrollments.course_slug"])
    .where("sends.id", "=", sendId)
    .where("sends.kind", "=", "graduation")
    .executeTakeFirst();
  return row ? { subscriberId: row.subscriber_id, courseSlug: row.course_slug } : undefined;
}
