import { sql } from "kysely";
import type { Expression, ExpressionBuilder, Selectable, SqlBool } from "kysely";
import { DateTime } from "luxon";
import type { ConsentEventsTable, Database, DB, EnrollmentsTable, EnrollmentStatus, SendKind, SendStatus, SubscriberStatus } from "./database.ts";
import { emailKey } from "../email-address.ts";
import { clicksOf } from "./clicks.ts";
import type { ReaderClick } from "./clicks.ts";
import { isCoursePaused } from "./course-state.ts";
import type { Subscriber } from "./subscribers.ts";

/**
 * Read-only questions the admin console asks. Nothing here writes; every change goes through the
 * store module that owns it, so the console cannot bypass the rules the engine relies on.
 */

export type Enrollment = Selectable<EnrollmentsTable>;
export type ConsentEvent = Selectable<ConsentEventsTable>;

/**
 * The course a console view is about. A reader belongs to a course by their enrollment in it; a
 * reader of no course yet (a signup from before courses had folders, an import that started no
 * course) is shown under the default course (`isDefault`: the only course, else the first), the
 * one confirming would enroll them in. Rows of no course (a confirmation email, a newsletter
 * written before newsletters had a course) count for the default course too. With one course
 * (`only`) nothing is filtered: the console is what it was before there were several.
 */
export interface CourseScope {
  slug: string;
  isDefault: boolean;
  only: boolean;
}

/** The subscriber (`subscribers.id`) is a reader of the scope's course. */
export function readerOfCourse(eb: ExpressionBuilder<DB, "subscribers">, scope: CourseScope): Expression<SqlBool> {
  const enrolled = eb.exists(eb.selectFrom("enrollments as scoped").select("scoped.id").whereRef("scoped.subscriber_id", "=", "subscribers.id").where("scoped.course_slug", "=", scope.slug));
  if (!scope.isDefault) return enrolled;
  const inNoCourse = eb.not(eb.exists(eb.selectFrom("enrollments as any_course").select("any_course.id").whereRef("any_course.subscriber_id", "=", "subscribers.id")));
  return eb.or([enrolled, inNoCourse]);
}

/** The ledger row (`sends`) speaks for the scope's course: through its enrollment, or its newsletter. */
export function sendOfCourse(eb: ExpressionBuilder<DB, "sends">, scope: CourseScope): Expression<SqlBool> {
  const byEnrollment = eb("sends.enrollment_id", "in", eb.selectFrom("enrollments as scoped").select("scoped.id").where("scoped.course_slug", "=", scope.slug));
  const byNewsletter = eb(
    "sends.broadcast_id",
    "in",
    eb
      .selectFrom("broadcasts as scoped_b")
      .select("scoped_b.id")
      .where((b) => (scope.isDefault ? b.or([b("scoped_b.course_slug", "=", scope.slug), b("scoped_b.course_slug", "is", null)]) : b("scoped_b.course_slug", "=", scope.slug))),
  );
  if (!scope.isDefault) return eb.or([byEnrollment, byNewsletter]);
  const ofNoCourse = eb.and([eb("sends.enrollment_id", "is", null), eb("sends.broadcast_id", "is", null)]);
  return eb.or([byEnrollment, byNewsletter, ofNoCourse]);
}

/**
 * The readers list filters by the dashboard's buckets (src/store/reader-counts.ts READER_BUCKETS
 * and bucketOf), so a count's link opens a list of exactly that many readers;
 * test/integration/reader-counts.test.ts holds the two to the same numbers. "completed" is kept
 * for links and scripts from before, as "finished".
 */
export const READER_FILTERS = ["pending", "active", "paused", "finished", "left", "unsubscribed", "bounced", "complained", "completed"] as const;
export type ReaderFilter = (typeof READER_FILTERS)[number];

/** The SQL of one bucket, over `subscribers` joined with the course's enrollment (null when none): bucketOf as a condition. */
function bucketCondition(eb: ExpressionBuilder<DB & { enrollments: EnrollmentsTable }, "subscribers" | "enrollments">, filter: ReaderFilter): Expression<SqlBool> {
  const confirmedWith = (...statuses: EnrollmentStatus[]) => eb.and([eb("subscribers.status", "=", "active"), eb("enrollments.status", "in", statuses)]);
  switch (filter) {
    case "pending":
      return eb.or([eb("subscribers.status", "=", "pending"), confirmedWith("pending")]);
    case "active":
      return eb.and([eb("subscribers.status", "=", "active"), eb.or([eb("enrollments.status", "=", "active"), eb("enrollments.status", "is", null)])]);
    case "paused":
      return confirmedWith("paused");
    case "finished":
    case "completed":
      return confirmedWith("completed");
    case "left":
      return confirmedWith("cancelled");
    case "unsubscribed":
    case "bounced":
    case "complained":
      return eb("subscribers.status", "=", filter);
  }
}

export function isReaderFilter(value: string): value is ReaderFilter {
  return (READER_FILTERS as readonly string[]).includes(value);
}

export interface ReaderRow {
  id: string;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  created_at: number;
  enrollment_status: EnrollmentStatus | null;
  next_slug: string | null;
  next_due_at: number | null;
}

export interface ReaderSearch {
  /** The course whose enrollment each row shows. */
  courseSlug: string;
  /** Only this course's readers (see CourseScope); absent: every reader. */
  scope?: CourseScope | undefined;
  q?: string | undefined;
  status?: ReaderFilter | undefined;
  /** Keyset position: rows older than this one (the next page). */
  after?: ReaderCursor | undefined;
  /** Keyset position: rows newer than this one (the previous page). */
  before?: ReaderCursor | undefined;
  limit: number;
}

export interface ReaderCursor {
  createdAt: number;
  id: string;
}

export interface ReaderPage {
  items: ReaderRow[];
  /** Cursor for the page after this one (older readers), or null on the last page. */
  next: string | null;
  /** Cursor for the page before this one (newer readers), or null on the first page. */
  prev: string | null;
}

export function encodeCursor(row: { created_at: number; id: string }): string {
  return `${row.created_at}~${row.id}`;
}

/** Null for anything that is not a cursor this module wrote. */
export function decodeCursor(value: string): ReaderCursor | null {
  const match = /^(\d{1,16})~([\w-]{1,64})$/.exec(value);
  if (!match) return null;
  return { createdAt: Number(match[1]), id: match[2]! };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** LIKE pattern for "contains", with the wildcards a reader's name may hold taken literally. */
function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * Readers, newest first, by keyset on (created_at, id): the page after a cursor costs the same at
 * reader 100,000 as at reader 100. Search is a case-insensitive "contains" on address and name, or
 * an exact id.
 */
export async function searchReaders(db: Database, search: ReaderSearch): Promise<ReaderPage> {
  const backwards = search.before !== undefined;
  const cursor = search.before ?? search.after;
  let query = db
    .selectFrom("subscribers")
    .leftJoin("enrollments", (join) => join.onRef("enrollments.subscriber_id", "=", "subscribers.id").on("enrollments.course_slug", "=", search.courseSlug))
    .select([
      "subscribers.id",
      "subscribers.email",
      "subscribers.name",
      "subscribers.status",
      "subscribers.created_at",
      "enrollments.status as enrollment_status",
      "enrollments.next_slug",
      "enrollments.next_due_at",
    ]);
  const scope = search.scope;
  if (scope && !scope.only) query = query.where((eb) => readerOfCourse(eb, scope));
  const q = search.q?.trim();
  if (q) {
    if (UUID.test(q)) {
      query = query.where("subscribers.id", "=", q.toLowerCase());
    } else {
      const pattern = containsPattern(q);
      query = query.where((eb) =>
        eb.or([
          eb(sql.ref("subscribers.email_key"), "like", sql`${pattern} escape '\\'`),
          ...(q.includes("@") ? [] : [eb(sql`lower(${sql.ref("subscribers.name")})`, "like", sql`${pattern} escape '\\'`)]),
        ]),
      );
    }
  }
  const status = search.status;
  if (status) query = query.where((eb) => bucketCondition(eb, status));
  if (cursor) {
    query = query.where((eb) =>
      eb(eb.refTuple("subscribers.created_at", "subscribers.id"), backwards ? ">" : "<", eb.tuple(cursor.createdAt, cursor.id)),
    );
  }
  const direction = backwards ? "asc" : "desc";
  const rows = await query
    .orderBy("subscribers.created_at", direction)
    .orderBy("subscribers.id", direction)
    .limit(search.limit + 1)
    .execute();
  const more = rows.length > search.limit;
  const items = rows.slice(0, search.limit).map((r) => ({ ...r, created_at: Number(r.created_at), next_due_at: r.next_due_at === null ? null : Number(r.next_due_at) }));
  if (backwards) items.reverse();
  const first = items[0];
  const last = items.at(-1);
  // Going back, there is always a next page (the one we came from); going forward, a previous one
  // exists exactly when we started from a cursor.
  return {
    items,
    next: last && (backwards || more) ? encodeCursor(last) : null,
    prev: first && (backwards ? more : cursor !== undefined) ? encodeCursor(first) : null,
  };
}

export interface DayPoint {
  /** ISO date (yyyy-mm-dd) in the zone the series was drawn for. */
  day: string;
  signups: number;
  sends: number;
}

const HOUR_MS = 3_600_000;

/**
 * Signups and emails accepted by the provider per day, for the `days` days ending today in `zone`.
 * The database groups by hour since the first local midnight (the same integer arithmetic on both
 * engines, at most 24 × days rows back); hours are then put on local days here, which stays right
 * across a DST change, where a fixed 24-hour bucket would not.
 */
export async function dailySeries(db: Database, zone: string, now: number, days = 30, scope?: CourseScope): Promise<DayPoint[]> {
  const today = DateTime.fromMillis(now, { zone }).startOf("day");
  const first = today.minus({ days: days - 1 });
  const start = first.toMillis();
  const points: DayPoint[] = [];
  const index = new Map<string, DayPoint>();
  for (let i = 0; i < days; i++) {
    const point = { day: first.plus({ days: i }).toISODate()!, signups: 0, sends: 0 };
    points.push(point);
    index.set(point.day, point);
  }
  // Literals, not parameters: better-sqlite3 binds numbers as REAL, and a REAL here would turn the
  // integer division into one group per row. Both are integers computed above, never input.
  const hourOf = (column: "subscribers.created_at" | "sends.sent_at" | "enrollments.created_at") => sql<number>`(${sql.ref(column)} - ${sql.lit(start)}) / ${sql.lit(HOUR_MS)}`;
  const scoped = scope && !scope.only ? scope : undefined;
  // A course's signup is the day a reader joined it (their enrollment), which for a second course
  // is not the day they first signed up; a reader of no course counts on their signup day.
  let subscriberSignups = db
    .selectFrom("subscribers")
    .select([hourOf("subscribers.created_at").as("hour"), (eb) => eb.fn.countAll().as("n")])
    .where("subscribers.created_at", ">=", start);
  if (scoped) subscriberSignups = subscriberSignups.where((eb) => eb.not(eb.exists(eb.selectFrom("enrollments").select("enrollments.id").whereRef("enrollments.subscriber_id", "=", "subscribers.id"))));
  const signups = !scoped || scoped.isDefault ? await subscriberSignups.groupBy(sql`1`).execute() : [];
  if (scoped) {
    signups.push(
      ...(await db
        .selectFrom("enrollments")
        .select([hourOf("enrollments.created_at").as("hour"), (eb) => eb.fn.countAll().as("n")])
        .where("enrollments.course_slug", "=", scoped.slug)
        .where("enrollments.created_at", ">=", start)
        .groupBy(sql`1`)
        .execute()),
    );
  }
  let sendQuery = db
    .selectFrom("sends")
    .select([hourOf("sends.sent_at").as("hour"), (eb) => eb.fn.countAll().as("n")])
    .where("sends.sent_at", ">=", start);
  if (scoped) sendQuery = sendQuery.where((eb) => sendOfCourse(eb, scoped));
  const sends = await sendQuery.groupBy(sql`1`).execute();
  const add = (rows: { hour: number; n: unknown }[], key: "signups" | "sends") => {
    for (const row of rows) {
      const day = DateTime.fromMillis(start + Math.floor(Number(row.hour)) * HOUR_MS, { zone }).toISODate();
      const point = day ? index.get(day) : undefined;
      if (point) point[key] += Number(row.n);
    }
  };
  add(signups, "signups");
  add(sends, "sends");
  return points;
}

export interface FailedSendRow {
  id: string;
  kind: SendKind;
  lesson_slug: string | null;
  subscriber_id: string;
  email: string;
  error: string | null;
  attempts: number;
  updated_at: number;
  created_at: number;
  /** The newsletter's subject, for a newsletter row. */
  broadcast_subject: string | null;
}

/** The newest failed sends; `scope`: only that course's (see sendOfCourse). */
export async function failedSends(db: Database, limit: number, scope?: CourseScope): Promise<FailedSendRow[]> {
  let query = db
    .selectFrom("sends")
    .innerJoin("subscribers", "subscribers.id", "sends.subscriber_id")
    .leftJoin("broadcasts", "broadcasts.id", "sends.broadcast_id")
    .select(["sends.id", "sends.kind", "sends.lesson_slug", "sends.subscriber_id", "subscribers.email", "sends.error", "sends.attempts", "sends.updated_at", "sends.created_at", "broadcasts.subject as broadcast_subject"])
    .where("sends.status", "=", "failed");
  if (scope && !scope.only) query = query.where((eb) => sendOfCourse(eb, scope));
  const rows = await query
    .orderBy("sends.updated_at", "desc")
    .orderBy("sends.id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts), updated_at: Number(r.updated_at), created_at: Number(r.created_at) }));
}

export async function countFailedSends(db: Database, scope?: CourseScope): Promise<number> {
  let query = db.selectFrom("sends").select((eb) => eb.fn.countAll().as("n")).where("sends.status", "=", "failed");
  if (scope && !scope.only) query = query.where((eb) => sendOfCourse(eb, scope));
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface ReaderSend {
  id: string;
  kind: SendKind;
  lesson_slug: string | null;
  enrollment_id: string | null;
  /** The course of the row's enrollment (null: a row of no enrollment). */
  course_slug: string | null;
  status: SendStatus;
  attempts: number;
  error: string | null;
  skip_reason: string | null;
  broadcast_subject: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  delayed_at: number | null;
  opened_at: number | null;
  clicked_at: number | null;
  bounced_at: number | null;
  complained_at: number | null;
}

export interface ReaderDetail {
  subscriber: Subscriber;
  /** Their enrollment in the course asked about. */
  enrollment: Enrollment | undefined;
  /** Every enrollment of theirs, one per course, oldest first. */
  enrollments: Enrollment[];
  sends: ReaderSend[];
  consent: ConsentEvent[];
  coursePaused: boolean;
  /** Tracked links they followed (src/store/clicks.ts). */
  clicks: ReaderClick[];
}

/** Every enrollment of one reader, one per course, oldest first. */
export async function enrollmentsOf(db: Database, subscriberId: string): Promise<Enrollment[]> {
  return db.selectFrom("enrollments").selectAll().where("subscriber_id", "=", subscriberId).orderBy("created_at").orderBy("course_slug").execute();
}

export async function readerDetail(db: Database, subscriberId: string, courseSlug: string): Promise<ReaderDetail | undefined> {
  const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirst();
  if (!subscriber) return undefined;
  const enrollments = await enrollmentsOf(db, subscriberId);
  const enrollment = enrollments.find((e) => e.course_slug === courseSlug);
  const sends = await db
    .selectFrom("sends")
    .leftJoin("broadcasts", "broadcasts.id", "sends.broadcast_id")
    .leftJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .select([
      "sends.id",
      "sends.kind",
      "sends.lesson_slug",
      "sends.enrollment_id",
      "enrollments.course_slug",
      "sends.status",
      "sends.attempts",
      "sends.error",
      "sends.skip_reason",
      "broadcasts.subject as broadcast_subject",
      "sends.created_at",
      "sends.updated_at",
      "sends.sent_at",
      "sends.delivered_at",
      "sends.delayed_at",
      "sends.opened_at",
      "sends.clicked_at",
      "sends.bounced_at",
      "sends.complained_at",
    ])
    .where("sends.subscriber_id", "=", subscriberId)
    .orderBy("sends.created_at")
    .orderBy("sends.id")
    .execute();
  const consent = await db.selectFrom("consent_events").selectAll().where("subscriber_id", "=", subscriberId).orderBy("at").orderBy("id").execute();
  const coursePaused = await isCoursePaused(db, courseSlug);
  const clicks = await clicksOf(db, subscriberId);
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    subscriber,
    enrollment,
    enrollments,
    sends: sends.map((s) => ({
      ...s,
      attempts: Number(s.attempts),
      created_at: Number(s.created_at),
      updated_at: Number(s.updated_at),
      sent_at: n(s.sent_at),
      delivered_at: n(s.delivered_at),
      delayed_at: n(s.delayed_at),
      opened_at: n(s.opened_at),
      clicked_at: n(s.clicked_at),
      bounced_at: n(s.bounced_at),
      complained_at: n(s.complained_at),
    })),
    consent,
    coursePaused,
    clicks,
  };
}

/** A reader by id or by address (any spelling of it), for previews and the CLI. */
export async function findReaderByIdOrEmail(db: Database, idOrEmail: string): Promise<Subscriber | undefined> {
  return db
    .selectFrom("subscribers")
    .selectAll()
    .where((eb) => eb.or([eb("id", "=", idOrEmail), eb("email_key", "=", emailKey(idOrEmail))]))
    .executeTakeFirst();
}

export interface CourseStageRow {
  next_slug: string | null;
  status: EnrollmentStatus;
  n: number;
}

export interface LastDayRow {
  last_day: number;
  n: number;
}

/**
 * Where readers are in the course: enrollments by next lesson and status, and the active or
 * paused ones by the day of the last lesson they had.
 */
export async function courseStages(db: Database, courseSlug: string): Promise<{ stages: CourseStageRow[]; days: LastDayRow[] }> {
  const [stages, days] = await Promise.all([
    db
      .selectFrom("enrollments")
      .select((eb) => ["next_slug", "status", eb.fn.countAll<number>().as("n")])
      .where("course_slug", "=", courseSlug)
      .groupBy(["next_slug", "status"])
      .execute(),
    db
      .selectFrom("enrollments")
      .select((eb) => ["last_day", eb.fn.countAll<number>().as("n")])
      .where("course_slug", "=", courseSlug)
      .where("status", "in", ["active", "paused"])
      .groupBy("last_day")
      .execute(),
  ]);
  return { stages: stages.map((r) => ({ ...r, n: Number(r.n) })), days: days.map((r) => ({ last_day: Number(r.last_day), n: Number(r.n) })) };
}
