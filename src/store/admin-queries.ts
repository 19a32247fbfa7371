import { sql } from "kysely";
import type { Selectable } from "kysely";
import { DateTime } from "luxon";
import type { Course } from "../content/schema.ts";
import { GRADUATION_SLUG, nextItem, plannedDueAt, scheduleRulesFor } from "../domain/course-plan.ts";
import { resolveTimezone, sendableAt } from "../domain/schedule.ts";
import type { ConsentEventsTable, Database, EnrollmentsTable, EnrollmentStatus, SendKind, SendStatus, SubscriberStatus } from "./database.ts";
import type { Subscriber } from "./subscribers.ts";

/**
 * Read-only questions the admin console asks. Nothing here writes; every change goes through the
 * store module that owns it, so the console cannot bypass the rules the engine relies on.
 */

export type Enrollment = Selectable<EnrollmentsTable>;
export type ConsentEvent = Selectable<ConsentEventsTable>;

/** Subscriber statuses, plus the course states an admin thinks of as statuses too. */
export const READER_FILTERS = ["pending", "active", "paused", "completed", "unsubscribed", "bounced", "complained"] as const;
export type ReaderFilter = (typeof READER_FILTERS)[number];

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
  courseSlug: string;
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
  if (search.status === "paused" || search.status === "completed") {
    query = query.where("enrollments.status", "=", search.status);
  } else if (search.status) {
    query = query.where("subscribers.status", "=", search.status);
  }
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

export interface DashboardCounts {
  signups: number;
  pending: number;
  active: number;
  completed: number;
  paused: number;
  unsubscribed: number;
  bounced: number;
  complained: number;
}

export async function dashboardCounts(db: Database, courseSlug: string): Promise<DashboardCounts> {
  const subscribers = await db.selectFrom("subscribers").select(["status", (eb) => eb.fn.countAll().as("n")]).groupBy("status").execute();
  const enrollments = await db
    .selectFrom("enrollments")
    .select(["status", (eb) => eb.fn.countAll().as("n")])
    .where("course_slug", "=", courseSlug)
    .where("status", "in", ["paused", "completed"])
    .groupBy("status")
    .execute();
  const by = (rows: { status: string; n: unknown }[], status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return {
    signups: subscribers.reduce((sum, r) => sum + Number(r.n), 0),
    pending: by(subscribers, "pending"),
    active: by(subscribers, "active"),
    completed: by(enrollments, "completed"),
    paused: by(enrollments, "paused"),
    unsubscribed: by(subscribers, "unsubscribed"),
    bounced: by(subscribers, "bounced"),
    complained: by(subscribers, "complained"),
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
export async function dailySeries(db: Database, zone: string, now: number, days = 30): Promise<DayPoint[]> {
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
  const hourOf = (column: "subscribers.created_at" | "sends.sent_at") => sql<number>`(${sql.ref(column)} - ${sql.lit(start)}) / ${sql.lit(HOUR_MS)}`;
  const signups = await db
    .selectFrom("subscribers")
    .select([hourOf("subscribers.created_at").as("hour"), (eb) => eb.fn.countAll().as("n")])
    .where("subscribers.created_at", ">=", start)
    .groupBy(sql`1`)
    .execute();
  const sends = await db
    .selectFrom("sends")
    .select([hourOf("sends.sent_at").as("hour"), (eb) => eb.fn.countAll().as("n")])
    .where("sends.sent_at", ">=", start)
    .groupBy(sql`1`)
    .execute();
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
}

export async function failedSends(db: Database, limit: number): Promise<FailedSendRow[]> {
  const rows = await db
    .selectFrom("sends")
    .innerJoin("subscribers", "subscribers.id", "sends.subscriber_id")
    .select(["sends.id", "sends.kind", "sends.lesson_slug", "sends.subscriber_id", "subscribers.email", "sends.error", "sends.attempts", "sends.updated_at", "sends.created_at"])
    .where("sends.status", "=", "failed")
    .orderBy("sends.updated_at", "desc")
    .orderBy("sends.id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts), updated_at: Number(r.updated_at), created_at: Number(r.created_at) }));
}

export async function countFailedSends(db: Database): Promise<number> {
  const row = await db.selectFrom("sends").select((eb) => eb.fn.countAll().as("n")).where("status", "=", "failed").executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface ReaderSend {
  id: string;
  kind: SendKind;
  lesson_slug: string | null;
  enrollment_id: string | null;
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
  enrollment: Enrollment | undefined;
  sends: ReaderSend[];
  consent: ConsentEvent[];
  coursePaused: boolean;
}

export async function readerDetail(db: Database, subscriberId: string, courseSlug: string): Promise<ReaderDetail | undefined> {
  const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirst();
  if (!subscriber) return undefined;
  const enrollment = await db.selectFrom("enrollments").selectAll().where("subscriber_id", "=", subscriberId).where("course_slug", "=", courseSlug).executeTakeFirst();
  const sends = await db
    .selectFrom("sends")
    .leftJoin("broadcasts", "broadcasts.id", "sends.broadcast_id")
    .select([
      "sends.id",
      "sends.kind",
      "sends.lesson_slug",
      "sends.enrollment_id",
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
  const state = await db.selectFrom("course_state").select("paused").where("course_slug", "=", courseSlug).executeTakeFirst();
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    subscriber,
    enrollment,
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
    coursePaused: Number(state?.paused ?? 0) === 1,
  };
}

export type TimelineKind =
  | "signup"
  | "opt_in"
  | "confirm"
  | "enrolled"
  | "queued"
  | "sent"
  | "delivered"
  | "delayed"
  | "opened"
  | "clicked"
  | "bounced"
  | "complained"
  | "failed"
  | "held"
  | "skipped"
  | "cancelled"
  | "unsubscribe"
  | "resubscribe"
  | "suppress"
  | "preferences"
  | "completed";

export interface TimelineEvent {
  at: number;
  kind: TimelineKind;
  text: string;
  /** The ledger row the event belongs to, if any. */
  sendId?: string;
}

/** Curly quotes around a title, unless it already carries its own (lesson 1's title does). */
const quoted = (title: string) => (/^["“'‘«]/.test(title) ? title : `“${title}”`);

/** What an email is, in words: "Lesson 2 “Blame to compassion”", "Confirmation email", … */
export function describeSend(course: Course, send: Pick<ReaderSend, "kind" | "lesson_slug" | "broadcast_subject">): string {
  if (send.kind === "confirm") return "Confirmation email";
  if (send.kind === "graduation") return "Graduation email";
  if (send.kind === "preferences-link") return "Preferences link email";
  if (send.kind === "newsletter") return send.broadcast_subject ? `Newsletter ${quoted(send.broadcast_subject)}` : "Newsletter";
  const lesson = course.lessons.find((l) => l.slug === send.lesson_slug);
  return lesson ? `Lesson ${lesson.number} ${quoted(lesson.title)}` : `Lesson “${send.lesson_slug ?? "?"}” (no longer in the course)`;
}

function consentDetail(event: ConsentEvent): Record<string, unknown> {
  if (!event.detail) return {};
  try {
    const parsed: unknown = JSON.parse(event.detail);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const CONSENT_TEXT: Record<ConsentEvent["kind"], string> = {
  opt_in: "Opted in",
  confirm: "Confirmed their address",
  unsubscribe: "Unsubscribed",
  resubscribe: "Resubscribed",
  suppress: "Suppressed",
  preferences: "Changed preferences",
};

/** Everything that happened to one reader, oldest first, from the rows the engine already keeps. */
export function buildTimeline(course: Course, detail: ReaderDetail): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const { subscriber, enrollment } = detail;
  // The form is on the opt-in events: the subscriber row only keeps the latest one.
  events.push({ at: Number(subscriber.created_at), kind: "signup", text: "Signed up" });
  for (const event of detail.consent) {
    const extra = consentDetail(event);
    const parts: string[] = [];
    if (typeof extra.how === "string") parts.push(`by ${extra.how}`);
    if (typeof extra.scope === "string") parts.push(extra.scope === "course" ? "course only" : "all email");
    if (typeof extra.form === "string" && event.kind === "opt_in") parts.push(`form “${extra.form}”`);
    if (typeof extra.consentTextVersion === "string") parts.push(`consent text ${extra.consentTextVersion}`);
    if (event.ip) parts.push(`from ${event.ip}`);
    events.push({ at: Number(event.at), kind: event.kind, text: `${CONSENT_TEXT[event.kind]}${parts.length ? ` (${parts.join(", ")})` : ""}` });
  }
  if (subscriber.confirmed_at !== null && !detail.consent.some((e) => e.kind === "confirm")) {
    events.push({ at: Number(subscriber.confirmed_at), kind: "confirm", text: CONSENT_TEXT.confirm });
  }
  if (enrollment) events.push({ at: Number(enrollment.started_at), kind: "enrolled", text: `Started the course “${course.name}”` });
  for (const send of detail.sends) {
    const what = describeSend(course, send);
    const add = (at: number | null, kind: TimelineKind, text: string) => {
      if (at !== null) events.push({ at, kind, text, sendId: send.id });
    };
    add(send.created_at, "queued", `${what} scheduled`);
    add(send.sent_at, "sent", `${what} sent (accepted by the provider)`);
    add(send.delayed_at, "delayed", `${what} delayed by the receiving server`);
    add(send.delivered_at, "delivered", `${what} delivered`);
    add(send.opened_at, "opened", `${what} opened`);
    add(send.clicked_at, "clicked", `${what} clicked`);
    add(send.bounced_at, "bounced", `${what} bounced`);
    add(send.complained_at, "complained", `${what} marked as spam`);
    if (send.status === "failed") add(send.updated_at, "failed", `${what} failed after ${send.attempts} attempt${send.attempts === 1 ? "" : "s"}: ${send.error ?? "no reason recorded"}`);
    const lesson = send.kind === "lesson" ? course.lessons.find((l) => l.slug === send.lesson_slug) : undefined;
    const lessonName = lesson ? `lesson ${lesson.number}` : `lesson “${send.lesson_slug ?? "?"}”`;
    if (send.status === "failed" && send.kind === "lesson" && send.enrollment_id) add(send.updated_at, "held", `held: ${lessonName} failed: ${send.error ?? "no reason recorded"}`);
    if (send.status === "skipped") add(send.updated_at, "skipped", `${what} skipped by an admin: ${send.skip_reason ?? "no reason recorded"} (it had failed: ${send.error ?? "no reason recorded"})`);
    if (send.status === "cancelled") add(send.updated_at, "cancelled", `${what} cancelled${send.error ? ` (${send.error})` : ""}`);
  }
  if (enrollment?.completed_at !== null && enrollment?.completed_at !== undefined) {
    events.push({ at: Number(enrollment.completed_at), kind: "completed", text: "Finished the course" });
  }
  // Stable: events at the same instant keep the order above (queued before sent, and so on).
  return events.map((e, i) => [e, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([e]) => e);
}

/** "Tue 9 Dec 09:00 Europe/Paris"; the year only when it is not this year's. */
export function formatMoment(at: number, zone: string, now: number): string {
  const local = DateTime.fromMillis(at, { zone });
  const sameYear = local.year === DateTime.fromMillis(now, { zone }).year;
  return `${local.toFormat(sameYear ? "ccc d LLL HH:mm" : "ccc d LLL yyyy HH:mm")} ${zone}`;
}

function itemLabel(course: Course, slug: string): string {
  if (slug === GRADUATION_SLUG) return "The graduation email";
  const lesson = course.lessons.find((l) => l.slug === slug);
  return lesson ? `Lesson ${lesson.number} (${quoted(lesson.title)})` : `Lesson “${slug}”`;
}

export interface NextLesson {
  /** A plain sentence for the admin. */
  sentence: string;
  /** When the next email is expected, if one is. */
  dueAt: number | null;
  /** The slug of the next email ("#graduation" for the graduation email), if any. */
  slug: string | null;
  /** The failed lesson that holds the course, if one does. */
  held?: { sendId: string; slug: string | null } | undefined;
}

/**
 * Why the reader's next email is, or is not, on its way. It follows the scheduler's own rules
 * (place by day, minimum gap after the last accepted email, allowed weekdays, one email in flight
 * at a time), so what it says is what the tick will do.
 */
export function explainNextLesson(course: Course, detail: ReaderDetail, now: number, daySeconds?: number): NextLesson {
  const { subscriber, enrollment } = detail;
  const zone = resolveTimezone(subscriber.timezone, course.schedule.timezone);
  const at = (t: number | null) => (t === null ? "an unknown date" : formatMoment(Number(t), zone, now));
  const none = (sentence: string): NextLesson => ({ sentence, dueAt: null, slug: null });

  switch (subscriber.status) {
    case "pending":
      return none(
        subscriber.confirmation_sent_at === null
          ? "Waiting for the reader to confirm their address; no confirmation email has gone out yet."
          : `Waiting for the reader to confirm their address (confirmation email sent ${at(subscriber.confirmation_sent_at)}).`,
      );
    case "unsubscribed":
      return none(`Unsubscribed on ${at(subscriber.unsubscribed_at)}: no more email.`);
    case "bounced":
      return none("Their address bounced, so nothing more is sent to it.");
    case "complained":
      return none("They marked an email as spam, so nothing more is sent to them.");
    case "deleted":
      return none("This reader was erased.");
    case "active":
      break;
  }
  if (!enrollment) return none("Confirmed, but not enrolled in the course.");
  if (enrollment.status === "cancelled") return none(`Stopped the course on ${at(enrollment.updated_at)}; newsletters still reach them.`);
  if (enrollment.status === "completed") return none(`Course finished${enrollment.completed_at !== null ? ` on ${at(enrollment.completed_at)}` : ""}.`);

  const item = nextItem(course, enrollment.last_day);
  const held = detail.sends.find((s) => s.enrollment_id === enrollment.id && s.kind === "lesson" && s.status === "failed");
  if (held) {
    const lesson = course.lessons.find((l) => l.slug === held.lesson_slug);
    return {
      sentence: `Held: lesson ${lesson ? lesson.number : `“${held.lesson_slug ?? "?"}”`} failed: ${held.error ?? "no reason recorded"}. Nothing more is sent until it is retried or skipped.`,
      dueAt: null,
      slug: held.lesson_slug,
      held: { sendId: held.id, slug: held.lesson_slug },
    };
  }
  const inFlight = detail.sends.find((s) => s.enrollment_id === enrollment.id && (s.status === "queued" || s.status === "sending"));
  if (inFlight) {
    const what = describeSend(course, inFlight);
    return {
      sentence: `Waiting for ${what.charAt(0).toLowerCase()}${what.slice(1)} to be accepted by the provider (${inFlight.status} since ${at(inFlight.created_at)}${inFlight.attempts > 0 ? `, ${inFlight.attempts} attempt${inFlight.attempts === 1 ? "" : "s"} so far` : ""}).`,
      dueAt: null,
      slug: inFlight.kind === "graduation" ? GRADUATION_SLUG : inFlight.lesson_slug,
    };
  }
  if (!item) return none("Course finished: every email has gone out.");
  const label = itemLabel(course, item.slug);

  if (enrollment.status === "paused") {
    return {
      sentence:
        enrollment.paused_until !== null
          ? `Paused until ${at(enrollment.paused_until)}; then ${label.charAt(0).toLowerCase()}${label.slice(1)} is due.`
          : `Paused: ${label.charAt(0).toLowerCase()}${label.slice(1)} waits until the reader is resumed.`,
      dueAt: enrollment.paused_until,
      slug: item.slug,
    };
  }
  if (detail.coursePaused) return { sentence: `The whole course is paused: ${label.charAt(0).toLowerCase()}${label.slice(1)} waits until the course is resumed.`, dueAt: null, slug: item.slug };

  const rules = scheduleRulesFor(course, daySeconds);
  const lastAccepted = detail.sends.filter((s) => s.enrollment_id === enrollment.id && s.sent_at !== null).reduce<number | null>((max, s) => Math.max(max ?? 0, s.sent_at!), null);
  const lastSent = lastAccepted === null ? enrollment.last_sent_at : Math.max(lastAccepted, Number(enrollment.last_sent_at ?? 0));
  const planned = Math.max(plannedDueAt(course, { startedAt: Number(enrollment.started_at), lastSentAt: lastSent === null ? null : Number(lastSent), timezone: detail.subscriber.timezone }, item, rules), Number(enrollment.next_due_at ?? 0));
  const when = planned <= now ? sendableAt(now, zone, rules) : planned;
  if (when <= now) return { sentence: `${label} is due now; the scheduler sends it on its next tick.`, dueAt: when, slug: item.slug };
  return { sentence: `${label} is due ${at(when)}.`, dueAt: when, slug: item.slug };
}
