import type { Course } from "../content/schema.ts";
import { nextItem, plannedDueAt } from "./course-plan.ts";
import type { CourseItem } from "./course-plan.ts";
import { localDay, minimumGapMs, resolveTimezone, sendableAt, slotAfterDay } from "./schedule.ts";
import type { ScheduleRules } from "./schedule.ts";

/**
 * What the scheduler does with each enrollment it reads: decided here, with no I/O, for a whole
 * page at once; the store then applies a page of decisions with a handful of set-based statements.
 */

/** A due enrollment as the scheduler reads it. */
export interface DueEnrollment {
  id: string;
  /** The course the enrollment belongs to; its plan decides what is due. */
  courseSlug: string;
  subscriberId: string;
  subscriberStatus: string;
  startedAt: number;
  lastDay: number;
  lastSentAt: number | null;
  /** When the provider took the last email of this enrollment, if it has taken one. */
  lastDeliveredAt: number | string | bigint | null;
  timezone: string | null;
}

/** A course and the schedule rules it runs on, as the scheduler decides with them. */
export interface CoursePlan {
  course: Course;
  rules: ScheduleRules;
}

/**
 * A lesson or graduation email of some course already queued or sent to a reader: the facts of
 * the one-lesson-a-day rule (src/store/due-enrollments.ts readRecentCourseEmails supplies them).
 */
export interface CourseEmail {
  subscriberId: string;
  enrollmentId: string;
  courseSlug: string;
  kind: "lesson" | "graduation";
  lessonSlug: string | null;
  /** When the row was made, which is when it fell due. */
  queuedAt: number;
  /** When the provider took it, if it has. */
  sentAt: number | null;
}

/** Why an email waits: another course's email already has the reader's day. */
export interface OtherCourseWait {
  /** When the email may go instead: the send hour of the next free local day. */
  until: number;
  /** The email that has the day. */
  blocker: CourseEmail;
}

/**
 * The one-lesson-a-day rule across courses: an email of one course planned for `at` waits while
 * another course's email has already gone (or is queued) to the reader that same local day, until
 * the send hour of the next day that is free (an allowed weekday of this course). On a compressed
 * calendar (no dates) "the same day" means closer than one course day. Undefined: no wait. The
 * scheduler and the reader timeline both ask this, so they cannot disagree.
 */
export function otherCourseWait(at: number, enrollmentId: string, zone: string, rules: ScheduleRules, emails: readonly CourseEmail[]): OtherCourseWait | undefined {
  const others = emails.filter((e) => e.enrollmentId !== enrollmentId);
  if (others.length === 0) return undefined;
  let blocker: CourseEmail | undefined;
  let candidate = at;
  // Each step moves a day on; only emails already made can block, so a few steps always suffice.
  for (let step = 0; step < 14; step++) {
    const blocking = blockingEmail(candidate, zone, rules, others);
    if (!blocking) break;
    blocker ??= blocking;
    candidate = rules.daySeconds === undefined ? slotAfterDay(candidate, zone, rules) : Math.max(...timesOf(blocking)) + minimumGapMs(rules);
  }
  return blocker ? { until: candidate, blocker } : undefined;
}

const timesOf = (email: CourseEmail): number[] => (email.sentAt === null ? [email.queuedAt] : [email.queuedAt, email.sentAt]);

function blockingEmail(at: number, zone: string, rules: ScheduleRules, others: readonly CourseEmail[]): CourseEmail | undefined {
  const day = localDay(at, zone, rules);
  // The day it was queued counts, and so does the day the provider took it, if that was later.
  if (day === null) return others.find((e) => timesOf(e).some((t) => Math.abs(at - t) < minimumGapMs(rules)));
  return others.find((e) => timesOf(e).some((t) => localDay(t, zone, rules) === day));
}

export interface EnrollmentChange {
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

/** The ledger row an advanced enrollment gets. */
export interface DueEmail {
  dedupeKey: string;
  kind: CourseItem["kind"];
  subscriberId: string;
  enrollmentId: string;
  lessonSlug: string | null;
}

export interface DueDecisions {
  /** The reader is no longer active: the enrollment ends without an email. */
  cancel: string[];
  /** Nothing left to send. */
  complete: string[];
  /**
   * Not due after all (the course changed, the gap rule moved it, or another course's lesson has
   * the reader's day): re-filed with its new due time, nothing sent.
   */
  refile: EnrollmentChange[];
  /** Due now: the enrollment moves on and its email joins the ledger. */
  advance: (EnrollmentChange & { email: DueEmail })[];
}

/**
 * Decides a page of due enrollments, each against its own course's plan (`plans`, by slug; an
 * enrollment of a course not there is left alone). `recent` is every lesson and graduation email
 * the page's readers got or have queued lately, of any course: with it, a reader's scheduled
 * lessons from two courses never land on one local day. The first email of an enrollment (lesson 1
 * of a course just joined) is never held back; it still takes the day from the others.
 */
export function decideDue(plans: ReadonlyMap<string, CoursePlan>, due: readonly DueEnrollment[], now: number, recent: readonly CourseEmail[] = []): DueDecisions {
  const decisions: DueDecisions = { cancel: [], complete: [], refile: [], advance: [] };
  const emailsOf = new Map<string, CourseEmail[]>();
  for (const email of recent) {
    const list = emailsOf.get(email.subscriberId);
    if (list) list.push(email);
    else emailsOf.set(email.subscriberId, [email]);
  }
  for (const enrollment of due) {
    const plan = plans.get(enrollment.courseSlug);
    if (!plan) continue;
    const { course, rules } = plan;
    if (enrollment.subscriberStatus !== "active") {
      decisions.cancel.push(enrollment.id);
      continue;
    }
    const zone = resolveTimezone(enrollment.timezone, course.schedule.timezone);
    const item = nextItem(course, enrollment.lastDay);
    if (!item) {
      decisions.complete.push(enrollment.id);
      continue;
    }
    // The gap counts from when the provider actually took the previous email, if that was later.
    const delivered = enrollment.lastDeliveredAt === null ? null : Number(enrollment.lastDeliveredAt);
    const lastSent = delivered === null ? enrollment.lastSentAt : Math.max(delivered, enrollment.lastSentAt ?? 0);
    // Overdue emails go now, but still only on an allowed weekday.
    let itemDue = Math.max(plannedDueAt(course, { startedAt: enrollment.startedAt, lastSentAt: lastSent, timezone: enrollment.timezone }, item, rules), sendableAt(now, zone, rules));
    const emails = emailsOf.get(enrollment.subscriberId) ?? [];
    if (itemDue <= now && enrollment.lastDay >= 0) {
      const wait = otherCourseWait(now, enrollment.id, zone, rules, emails);
      if (wait) itemDue = wait.until;
    }
    if (itemDue > now) {
      // The course changed, the gap rule moved it, or the day is another course's: re-file, don't send.
      decisions.refile.push({ id: enrollment.id, oldLastDay: enrollment.lastDay, lastDay: enrollment.lastDay, lastSentAt: enrollment.lastSentAt, nextSlug: item.slug, nextDueAt: itemDue, completed: false });
      continue;
    }
    const after = nextItem(course, item.day);
    const email: DueEmail = {
      dedupeKey: item.kind === "graduation" ? `graduation:${enrollment.id}` : `lesson:${enrollment.id}:${item.slug}`,
      kind: item.kind,
      subscriberId: enrollment.subscriberId,
      enrollmentId: enrollment.id,
      lessonSlug: item.kind === "lesson" ? item.slug : null,
    };
    decisions.advance.push({
      id: enrollment.id,
      oldLastDay: enrollment.lastDay,
      lastDay: item.day,
      lastSentAt: now,
      nextSlug: after?.slug ?? null,
      nextDueAt: after ? plannedDueAt(course, { startedAt: enrollment.startedAt, lastSentAt: now, timezone: enrollment.timezone }, after, rules) : null,
      completed: item.kind === "graduation",
      email,
    });
    // This page's own emails take their day too: two of one reader's courses due together send one.
    const taken: CourseEmail = { subscriberId: enrollment.subscriberId, enrollmentId: enrollment.id, courseSlug: course.slug, kind: item.kind, lessonSlug: email.lessonSlug, queuedAt: now, sentAt: null };
    if (emailsOf.has(enrollment.subscriberId)) emails.push(taken);
    else emailsOf.set(enrollment.subscriberId, [taken]);
  }
  return decisions;
}

/** An active or paused enrollment, as re-timing reads it. */
export interface PlacedEnrollment {
  id: string;
  startedAt: number;
  lastDay: number;
  lastSentAt: number | null;
  nextSlug: string | null;
  nextDueAt: number | null;
  timezone: string | null;
}

/** Enrollments that share a new next email and due time (and still hold `lastDay`). */
export interface Retiming {
  slug: string | null;
  due: number;
  lastDay: number;
  ids: string[];
}

/**
 * Re-times enrollments against the current course: readers keep their place (the day of their
 * last email); only the next slug and its due time change. Readers who share a new due time form
 * one group, so they share one UPDATE.
 */
export function retime(course: Course, rules: ScheduleRules, enrollments: readonly PlacedEnrollment[], now: number): Retiming[] {
  const groups = new Map<string, Retiming>();
  for (const enrollment of enrollments) {
    const item = nextItem(course, enrollment.lastDay);
    const due = item ? plannedDueAt(course, { startedAt: enrollment.startedAt, lastSentAt: enrollment.lastSentAt, timezone: enrollment.timezone }, item, rules) : now;
    const slug = item?.slug ?? null;
    if (slug === enrollment.nextSlug && due === enrollment.nextDueAt) continue;
    const key = `${slug}|${due}|${enrollment.lastDay}`;
    const group = groups.get(key) ?? { slug, due, lastDay: enrollment.lastDay, ids: [] };
    group.ids.push(enrollment.id);
    groups.set(key, group);
  }
  return [...groups.values()];
}
