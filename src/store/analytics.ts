import { sql } from "kysely";
import type { ExpressionBuilder, RawBuilder } from "kysely";
import type { Database, DB } from "./database.ts";

/**
 * Aggregate questions about one course's mail, for the analytics page, API and CLI. Each function
 * is one grouped query, whatever the number of readers or lessons: the database counts, this
 * module only renames. A course's emails are its lessons and its graduation (sends of kind
 * "lesson" or "graduation" on one of the course's enrollments); newsletters are not lessons.
 */

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: shifted by three days, whole weeks from the epoch start on Mondays (ISO weeks, UTC). */
const MONDAY_SHIFT_MS = 3 * DAY_MS;

/**
 * The week a time falls in, as whole weeks since the Monday before the epoch. Literals, not
 * parameters: better-sqlite3 binds numbers as REAL, and a REAL would turn the integer division
 * into one group per row (see dailySeries). Both engines divide integers exactly the same way.
 */
function weekOf(column: "enrollments.created_at"): RawBuilder<number> {
  return sql<number>`(${sql.ref(column)} + ${sql.lit(MONDAY_SHIFT_MS)}) / ${sql.lit(WEEK_MS)}`;
}

/** The Monday 00:00 UTC that starts week `index` of weekOf. */
export function weekStart(index: number): number {
  return index * WEEK_MS - MONDAY_SHIFT_MS;
}

/** The course's ledger rows that are its own emails, accepted by the provider. */
function courseEmailsSent(eb: ExpressionBuilder<DB, "sends" | "enrollments">, courseSlug: string) {
  return eb.and([eb("enrollments.course_slug", "=", courseSlug), eb("sends.kind", "in", ["lesson", "graduation"]), eb("sends.status", "=", "sent")]);
}

export interface EmailFigureRow {
  kind: "lesson" | "graduation";
  /** The lesson's slug; null for the graduation email. */
  lessonSlug: string | null;
  /** Emails the provider accepted. */
  sent: number;
  /** Of those, the ones each provider event was recorded for (first time only, once per email). */
  delivered: number;
  opened: number;
  clicked: number;
  /** Hard bounces: the ones that suppress the address (a soft bounce leaves no mark here). */
  bounced: number;
  complained: number;
}

/** Per lesson (and the graduation): emails sent, and how many of them each provider event reached. */
export async function emailFigures(db: Database, courseSlug: string): Promise<EmailFigureRow[]> {
  const rows = await db
    .selectFrom("sends")
    .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .where((eb) => courseEmailsSent(eb, courseSlug))
    .select((eb) => [
      "sends.kind",
      "sends.lesson_slug",
      eb.fn.countAll().as("sent"),
      eb.fn.count("sends.delivered_at").as("delivered"),
      eb.fn.count("sends.opened_at").as("opened"),
      eb.fn.count("sends.clicked_at").as("clicked"),
      eb.fn.count("sends.bounced_at").as("bounced"),
      eb.fn.count("sends.complained_at").as("complained"),
    ])
    .groupBy(["sends.kind", "sends.lesson_slug"])
    .execute();
  return rows.map((r) => ({
    kind: r.kind === "graduation" ? "graduation" : "lesson",
    lessonSlug: r.kind === "graduation" ? null : r.lesson_slug,
    sent: Number(r.sent),
    delivered: Number(r.delivered),
    opened: Number(r.opened),
    clicked: Number(r.clicked),
    bounced: Number(r.bounced),
    complained: Number(r.complained),
  }));
}

export interface LeaverRow {
  kind: "lesson" | "graduation";
  lessonSlug: string | null;
  /** Readers whose last email of the course before they left was this one, sent less than `withinMs` before. */
  readers: number;
}

/**
 * Readers who left the course after each email. Leaving is a consent record of kind "unsubscribe"
 * about this course ("stop this course") or about all email ("stop all email"); each is put on
 * the course's latest email the provider had accepted for that reader at that moment, and counts
 * only if it came less than `withinMs` after that email was sent. A reader who left twice (after
 * coming back) counts once per email. One query: the latest email is a correlated subquery that
 * the (subscriber_id, created_at) index of sends answers per leaving, not per reader.
 */
export async function leaversByEmail(db: Database, courseSlug: string, withinMs: number): Promise<LeaverRow[]> {
  const leavings = db
    .selectFrom("consent_events")
    .where("consent_events.kind", "=", "unsubscribe")
    .where((eb) => eb.or([eb("consent_events.course_slug", "=", courseSlug), eb("consent_events.course_slug", "is", null)]))
    .select((eb) => [
      "consent_events.subscriber_id",
      "consent_events.at",
      eb
        .selectFrom("sends")
        .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
        .select("sends.id")
        .whereRef("sends.subscriber_id", "=", "consent_events.subscriber_id")
        .where((inner) => courseEmailsSent(inner, courseSlug))
        .whereRef("sends.sent_at", "<=", "consent_events.at")
        .orderBy("sends.sent_at", "desc")
        .orderBy("sends.id", "desc")
        .limit(1)
        .as("send_id"),
    ])
    .as("leaving");
  const rows = await db
    .selectFrom(leavings)
    .innerJoin("sends", "sends.id", "leaving.send_id")
    .where(sql<boolean>`${sql.ref("leaving.at")} - ${sql.ref("sends.sent_at")} < ${sql.lit(Math.floor(withinMs))}`)
    .select((eb) => ["sends.kind", "sends.lesson_slug", eb.fn.count("leaving.subscriber_id").distinct().as("readers")])
    .groupBy(["sends.kind", "sends.lesson_slug"])
    .execute();
  return rows.map((r) => ({ kind: r.kind === "graduation" ? "graduation" : "lesson", lessonSlug: r.kind === "graduation" ? null : r.lesson_slug, readers: Number(r.readers) }));
}

export interface CohortRow {
  /** Whole weeks since the Monday before the epoch (weekStart gives its Monday). */
  week: number;
  /** Enrollments in the course made that week: every reader who asked for it, however they came. */
  readers: number;
  /** Of those, readers who have confirmed their address. */
  confirmed: number;
}

/** The course's readers by the ISO week (UTC) they joined it, and how many of them confirmed. */
export async function cohorts(db: Database, courseSlug: string): Promise<CohortRow[]> {
  const rows = await db
    .selectFrom("enrollments")
    .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
    .where("enrollments.course_slug", "=", courseSlug)
    .select((eb) => [weekOf("enrollments.created_at").as("week"), eb.fn.countAll().as("readers"), eb.fn.count("subscribers.confirmed_at").as("confirmed")])
    .groupBy(sql`1`)
    .execute();
  return rows.map((r) => ({ week: Number(r.week), readers: Number(r.readers), confirmed: Number(r.confirmed) })).sort((a, b) => a.week - b.week);
}

export interface CohortStepRow {
  week: number;
  kind: "lesson" | "graduation";
  lessonSlug: string | null;
  /** Readers of that week's cohort who were sent this email (at least once). */
  readers: number;
}

/** For each signup week, how many of its readers each of the course's emails reached. */
export async function cohortSteps(db: Database, courseSlug: string): Promise<CohortStepRow[]> {
  const rows = await db
    .selectFrom("sends")
    .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .where((eb) => courseEmailsSent(eb, courseSlug))
    .select((eb) => [weekOf("enrollments.created_at").as("week"), "sends.kind", "sends.lesson_slug", eb.fn.count("sends.enrollment_id").distinct().as("readers")])
    .groupBy([sql`1`, "sends.kind", "sends.lesson_slug"])
    .execute();
  return rows.map((r) => ({
    week: Number(r.week),
    kind: r.kind === "graduation" ? "graduation" : "lesson",
    lessonSlug: r.kind === "graduation" ? null : r.lesson_slug,
    readers: Number(r.readers),
  }));
}
