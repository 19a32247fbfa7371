import { DateTime } from "luxon";
import type { Catalogue } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { GRADUATION_SLUG, nextItem, plannedDueAt, scheduleRulesFor } from "./course-plan.ts";
import { otherCourseWait } from "./due-decisions.ts";
import type { CourseEmail, OtherCourseWait } from "./due-decisions.ts";
import { resolveTimezone, sendableAt } from "./schedule.ts";

/**
 * A reader's story in words, for the console's reader page, the JSON API and the CLI: what
 * happened to them, and why their next email is (or is not) on its way. Pure: it reads the rows
 * the store already loaded (src/store/admin-queries.ts `readerDetail`), described here by the
 * fields it needs so the domain never imports the store.
 */

export type ConsentKind = "opt_in" | "confirm" | "unsubscribe" | "resubscribe" | "suppress" | "preferences";

export interface ReaderHistory {
  subscriber: {
    status: string;
    timezone: string | null;
    created_at: number;
    confirmed_at: number | null;
    confirmation_sent_at: number | null;
    unsubscribed_at: number | null;
  };
  enrollment:
    | {
        id: string;
        status: string;
        started_at: number;
        updated_at: number;
        completed_at: number | null;
        paused_until: number | null;
        last_day: number;
        last_sent_at: number | null;
        next_due_at: number | null;
      }
    | undefined;
  sends: HistorySend[];
  consent: { kind: ConsentKind; at: number; ip: string | null; detail: string | null }[];
  coursePaused: boolean;
  /** Tracked links the reader followed, first click of each (a course with `tracking: { clicks: true }`). */
  clicks?: readonly { sendId: string; url: string; clickedAt: number }[] | undefined;
}

export interface HistorySend {
  id: string;
  kind: "confirm" | "confirm-reminder" | "lesson" | "graduation" | "newsletter" | "preferences-link";
  lesson_slug: string | null;
  enrollment_id: string | null;
  /** The course of the row's enrollment, when the store supplies it: names the course that has a day. */
  course_slug?: string | null | undefined;
  status: string;
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

type ConsentEvent = ReaderHistory["consent"][number];

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
export function describeSend(course: Course, send: Pick<HistorySend, "kind" | "lesson_slug" | "broadcast_subject">): string {
  if (send.kind === "confirm") return "Confirmation email";
  if (send.kind === "confirm-reminder") return "Confirmation reminder";
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

/**
 * Why an email failed, without the worker's own "gave up after N attempts: " lead: the timeline
 * counts the attempts itself, and saying it twice read "failed after 2 attempts: gave up after 2
 * attempts: …". Rows written before the worker stopped adding it still carry it, so it is taken
 * off here rather than only at the source.
 */
export function failureReason(error: string | null): string {
  if (!error) return "no reason recorded";
  return error.replace(/^gave up after \d+ attempts?: /, "") || "no reason recorded";
}

/** Everything that happened to one reader, oldest first, from the rows the engine already keeps. */
export function buildTimeline(course: Course, detail: ReaderHistory): TimelineEvent[] {
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
    // Our own tracked links say which link; without them, the provider's click tracking only says that one was.
    const followed = detail.clicks?.filter((c) => c.sendId === send.id) ?? [];
    for (const click of followed) add(click.clickedAt, "clicked", `${what}: followed the link to ${click.url}`);
    if (followed.length === 0) add(send.clicked_at, "clicked", `${what} clicked`);
    add(send.bounced_at, "bounced", `${what} bounced`);
    add(send.complained_at, "complained", `${what} marked as spam`);
    if (send.status === "failed") add(send.updated_at, "failed", `${what} failed after ${send.attempts} attempt${send.attempts === 1 ? "" : "s"}: ${failureReason(send.error)}`);
    const lesson = send.kind === "lesson" ? course.lessons.find((l) => l.slug === send.lesson_slug) : undefined;
    const lessonName = lesson ? `lesson ${lesson.number}` : `lesson “${send.lesson_slug ?? "?"}”`;
    // The line above already gives the reason; this one says only what the failure does to the course.
    if (send.status === "failed" && send.kind === "lesson" && send.enrollment_id) add(send.updated_at, "held", `Course held: nothing more is sent until ${lessonName} is retried or skipped`);
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

/** The reader's emails of their other courses, as the one-lesson-a-day rule counts them. */
function otherCourseEmails(detail: ReaderHistory, enrollmentId: string): CourseEmail[] {
  const emails: CourseEmail[] = [];
  for (const s of detail.sends) {
    if ((s.kind !== "lesson" && s.kind !== "graduation") || !s.enrollment_id || s.enrollment_id === enrollmentId) continue;
    if (s.status !== "queued" && s.status !== "sending" && s.status !== "sent") continue;
    emails.push({ subscriberId: "", enrollmentId: s.enrollment_id, courseSlug: s.course_slug ?? "", kind: s.kind, lessonSlug: s.lesson_slug, queuedAt: Number(s.created_at), sentAt: s.sent_at === null ? null : Number(s.sent_at) });
  }
  return emails;
}

/** "Evening Review lesson 2 went out", "another course's graduation email is queued", … */
function describeBlocker(wait: OtherCourseWait, courses: Pick<Catalogue, "get"> | undefined): string {
  const { blocker } = wait;
  const other = blocker.courseSlug ? courses?.get(blocker.courseSlug) : undefined;
  const lesson = other?.lessons.find((l) => l.slug === blocker.lessonSlug);
  const what = blocker.kind === "graduation" ? "graduation email" : lesson ? `lesson ${lesson.number}` : "lesson";
  const subject = other ? `${other.name} ${what}` : `another course’s ${what}`;
  return `${subject} ${blocker.sentAt === null ? "is queued for" : "went out"} that day`;
}

/**
 * Why the reader's next email is, or is not, on its way. It follows the scheduler's own rules
 * (place by day, minimum gap after the last accepted email, allowed weekdays, one email in flight
 * at a time, one lesson a day across the reader's courses), so what it says is what the tick will
 * do. `courses` names the other course when a lesson waits for one of its.
 */
export function explainNextLesson(course: Course, detail: ReaderHistory, now: number, daySeconds?: number, courses?: Pick<Catalogue, "get">): NextLesson {
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
      sentence: `Held: lesson ${lesson ? lesson.number : `“${held.lesson_slug ?? "?"}”`} failed: ${failureReason(held.error)}. Nothing more is sent until it is retried or skipped.`,
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
  const onPlan = plannedDueAt(course, { startedAt: Number(enrollment.started_at), lastSentAt: lastSent === null ? null : Number(lastSent), timezone: detail.subscriber.timezone }, item, rules);
  const planned = Math.max(onPlan, Number(enrollment.next_due_at ?? 0));
  let when = planned <= now ? sendableAt(now, zone, rules) : planned;
  // One lesson a day across courses: the tick asks on the planned day (or now, when that has
  // passed); lesson 1 of a course just joined never waits.
  let wait: OtherCourseWait | undefined;
  if (enrollment.last_day >= 0) {
    const emails = otherCourseEmails(detail, enrollment.id);
    const firstLook = sendableAt(onPlan, zone, rules);
    wait = otherCourseWait(firstLook, enrollment.id, zone, rules, emails) ?? (when <= now ? otherCourseWait(now, enrollment.id, zone, rules, emails) : undefined);
    if (wait && wait.until > now) when = Math.max(when, wait.until);
    else wait = undefined;
  }
  if (wait) return { sentence: `${label} waits a day: ${describeBlocker(wait, courses)}. It is due ${at(when)}.`, dueAt: when, slug: item.slug };
  if (when <= now) return { sentence: `${label} is due now; the scheduler sends it on its next tick.`, dueAt: when, slug: item.slug };
  return { sentence: `${label} is due ${at(when)}.`, dueAt: when, slug: item.slug };
}
