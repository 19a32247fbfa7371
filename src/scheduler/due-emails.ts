import type { Course } from "../content/schema.ts";
import type { Database } from "../store/database.ts";
import { queuedSend } from "../store/sends.ts";
import { resolveTimezone, sendableAt } from "../domain/schedule.ts";
import { nextItem, plannedDueAt, scheduleRulesFor } from "../domain/course-plan.ts";
import type { CourseItem } from "../domain/course-plan.ts";

/**
 * Turns enrollments whose next email is due into rows of the sends ledger. The database holds
 * each reader's place (the day of the last email queued) and when the next one is due; Redis
 * only ever sees emails that are due now.
 */

/** Enrolls a confirmed reader; a returning reader resumes where they left off. */
export async function enroll(db: Database, subscriberId: string, course: Course, now: number): Promise<string> {
  const first = nextItem(course, -1);
  await db
    .insertInto("enrollments")
    .values({
      id: crypto.randomUUID(),
      subscriber_id: subscriberId,
      course_slug: course.slug,
      status: "active",
      started_at: now,
      next_slug: first?.slug ?? null,
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
  const row = await db
    .selectFrom("enrollments")
    .select("id")
    .where("subscriber_id", "=", subscriberId)
    .where("course_slug", "=", course.slug)
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Re-times every active enrollment against the current course after an edit, so a lesson
 * inserted before a reader's next one is picked up on its own day rather than after it. Readers
 * keep their place (the day of their last email); only the next slug and its due time change.
 */
export async function rescheduleEnrollments(db: Database, course: Course, now: number, daySeconds: number | undefined): Promise<number> {
  const rules = scheduleRulesFor(course, daySeconds);
  let changed = 0;
  let after = "";
  for (;;) {
    const page = await db
      .selectFrom("enrollments")
      .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
      .select(["enrollments.id", "enrollments.started_at", "enrollments.last_day", "enrollments.last_sent_at", "enrollments.next_slug", "enrollments.next_due_at", "subscribers.timezone"])
      .where("enrollments.course_slug", "=", course.slug)
      .where("enrollments.status", "in", ["active", "paused"])
      .where("enrollments.id", ">", after)
      .orderBy("enrollments.id")
      .limit(1000)
      .execute();
    // Grouped like applyEnrollmentChanges: readers who share a new due time share one UPDATE.
    const groups = new Map<string, { slug: string | null; due: number; lastDay: number; ids: string[] }>();
    for (const enrollment of page) {
      const item = nextItem(course, enrollment.last_day);
      const due = item ? plannedDueAt(course, { startedAt: enrollment.started_at, lastSentAt: enrollment.last_sent_at, timezone: enrollment.timezone }, item, rules) : now;
      const slug = item?.slug ?? null;
      if (slug === enrollment.next_slug && due === enrollment.next_due_at) continue;
      const key = `${slug}|${due}|${enrollment.last_day}`;
      const group = groups.get(key) ?? { slug, due, lastDay: enrollment.last_day, ids: [] };
      group.ids.push(enrollment.id);
      groups.set(key, group);
    }
    for (const group of groups.values()) {
      const result = await db.updateTable("enrollments").set({ next_slug: group.slug, next_due_at: group.due, updated_at: now }).where("id", "in", group.ids).where("last_day", "=", group.lastDay).executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    if (page.length < 1000) return changed;
    after = page[page.length - 1]!.id;
  }
}

export interface QueueDueOptions {
  daySeconds?: number | undefined;
  limit?: number;
  /** Only these enrollments (used right after confirmation, so lesson 1 needs no tick). */
  enrollmentIds?: readonly string[];
  /**
   * Group the new rows into provider batches of this size. The batch id is written with the row,
   * in the same transaction: a row that existed for a moment without one could be picked up as a
   * single send by another scheduler and then go out twice.
   */
  batchSize?: number;
}

export interface QueuedEmails {
  sendIds: string[];
  batchIds: string[];
}

/** Returns the ledger rows it created (and their batches); the caller hands them to the queue. */
export async function queueDueEmails(db: Database, course: Course, now: number, options: QueueDueOptions = {}): Promise<QueuedEmails> {
  const rules = scheduleRulesFor(course, options.daySeconds);
  let query = db
    .selectFrom("enrollments")
    .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
    .select([
      "enrollments.id",
      "enrollments.subscriber_id",
      "enrollments.started_at",
      "enrollments.last_day",
      "enrollments.last_sent_at",
      "enrollments.next_slug",
      "subscribers.timezone",
      "subscribers.status as subscriber_status",
      (eb) => eb.selectFrom("sends").select((s) => s.fn.max("sends.sent_at").as("t")).whereRef("sends.enrollment_id", "=", "enrollments.id").as("last_delivered_at"),
    ])
    .where("enrollments.course_slug", "=", course.slug)
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
    .limit(options.limit ?? 1000);
  if (options.enrollmentIds) query = query.where("enrollments.id", "in", options.enrollmentIds);
  const due = await query.execute();

  // Decide for every due enrollment first (pure), then apply the decisions in one transaction with
  // a handful of set-based statements: a page of 1,000 readers costs a few round trips, not 4,000.
  const cancel: string[] = [];
  const complete: string[] = [];
  const refile: EnrollmentChange[] = [];
  const advance: (EnrollmentChange & { subscriberId: string; item: CourseItem })[] = [];
  for (const enrollment of due) {
    if (enrollment.subscriber_status !== "active") {
      cancel.push(enrollment.id);
      continue;
    }
    const zone = resolveTimezone(enrollment.timezone, course.schedule.timezone);
    const item = nextItem(course, enrollment.last_day);
    if (!item) {
      complete.push(enrollment.id);
      continue;
    }
    // The gap counts from when the provider actually took the previous email, if that was later.
    const delivered = enrollment.last_delivered_at === null ? null : Number(enrollment.last_delivered_at);
    const lastSent = delivered === null ? enrollment.last_sent_at : Math.max(delivered, enrollment.last_sent_at ?? 0);
    // Overdue emails go now, but still only on an allowed weekday.
    const itemDue = Math.max(plannedDueAt(course, { startedAt: enrollment.started_at, lastSentAt: lastSent, timezone: enrollment.timezone }, item, rules), sendableAt(now, zone, rules));
    if (itemDue > now) {
      // The course changed or the gap rule moved it: re-file, don't send.
      refile.push({ id: enrollment.id, oldLastDay: enrollment.last_day, lastDay: enrollment.last_day, lastSentAt: enrollment.last_sent_at, nextSlug: item.slug, nextDueAt: itemDue, completed: false });
      continue;
    }
    const after = nextItem(course, item.day);
    advance.push({
      id: enrollment.id,
      subscriberId: enrollment.subscriber_id,
      item,
      oldLastDay: enrollment.last_day,
      lastDay: item.day,
      lastSentAt: now,
      nextSlug: after?.slug ?? null,
      nextDueAt: after ? plannedDueAt(course, { startedAt: enrollment.started_at, lastSentAt: now, timezone: enrollment.timezone }, after, rules) : null,
      completed: item.kind === "graduation",
    });
  }

  const created: string[] = [];
  const batchIds: string[] = [];
  await db.transaction().execute(async (trx) => {
    if (cancel.length > 0) await trx.updateTable("enrollments").set({ status: "cancelled", next_due_at: null, updated_at: now }).where("id", "in", cancel).execute();
    if (complete.length > 0) {
      await trx.updateTable("enrollments").set({ status: "completed", completed_at: now, next_slug: null, next_due_at: null, updated_at: now }).where("id", "in", complete).execute();
    }
    await applyEnrollmentChanges(trx, refile, now);
    // Only enrollments still where this tick found them advance; another scheduler that got there
    // first owns the ledger row (and the unique key would refuse a second one anyway).
    const advanced = new Set(await applyEnrollmentChanges(trx, advance, now));
    const rows = advance
      .filter((a) => advanced.has(a.id))
      .map((a) =>
        queuedSend(
          {
            dedupeKey: a.item.kind === "graduation" ? `graduation:${a.id}` : `lesson:${a.id}:${a.item.slug}`,
            kind: a.item.kind,
            subscriberId: a.subscriberId,
            enrollmentId: a.id,
            lessonSlug: a.item.kind === "lesson" ? a.item.slug : null,
          },
          now,
        ),
      );
    // Rows are born with their batch id, in this transaction: a row that existed for a moment
    // without one could be picked up as a single send by another scheduler and go out twice.
    if (options.batchSize) {
      for (let i = 0; i < rows.length; i += options.batchSize) {
        const batchId = crypto.randomUUID();
        for (const row of rows.slice(i, i + options.batchSize)) row.batch_id = batchId;
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

interface EnrollmentChange {
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

/**
 * Applies enrollment changes with one UPDATE per group of identical changes. Readers who confirmed
 * around the same time in the same zone share their next due time, so a page of 1,000 usually
 * costs a handful of statements (a VALUES-list join was measured slower on SQLite: its prepare
 * cost grows with the list). Returns the ids that were still in the expected state.
 */
async function applyEnrollmentChanges(trx: Database, changes: readonly EnrollmentChange[], now: number): Promise<string[]> {
  const groups = new Map<string, { change: EnrollmentChange; ids: string[] }>();
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
