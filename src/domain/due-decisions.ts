import type { Course } from "../content/schema.ts";
import { nextItem, plannedDueAt } from "./course-plan.ts";
import type { CourseItem } from "./course-plan.ts";
import { resolveTimezone, sendableAt } from "./schedule.ts";
import type { ScheduleRules } from "./schedule.ts";

/**
 * What the scheduler does with each enrollment it reads: decided here, with no I/O, for a whole
 * page at once; the store then applies a page of decisions with a handful of set-based statements.
 */

/** A due enrollment as the scheduler reads it. */
export interface DueEnrollment {
  id: string;
  subscriberId: string;
  subscriberStatus: string;
  startedAt: number;
  lastDay: number;
  lastSentAt: number | null;
  /** When the provider took the last email of this enrollment, if it has taken one. */
  lastDeliveredAt: number | string | bigint | null;
  timezone: string | null;
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
  /** Not due after all (the course changed or the gap rule moved it): re-filed, nothing sent. */
  refile: EnrollmentChange[];
  /** Due now: the enrollment moves on and its email joins the ledger. */
  advance: (EnrollmentChange & { email: DueEmail })[];
}

export function decideDue(course: Course, rules: ScheduleRules, due: readonly DueEnrollment[], now: number): DueDecisions {
  const decisions: DueDecisions = { cancel: [], complete: [], refile: [], advance: [] };
  for (const enrollment of due) {
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
    const itemDue = Math.max(plannedDueAt(course, { startedAt: enrollment.startedAt, lastSentAt: lastSent, timezone: enrollment.timezone }, item, rules), sendableAt(now, zone, rules));
    if (itemDue > now) {
      // The course changed or the gap rule moved it: re-file, don't send.
      decisions.refile.push({ id: enrollment.id, oldLastDay: enrollment.lastDay, lastDay: enrollment.lastDay, lastSentAt: enrollment.lastSentAt, nextSlug: item.slug, nextDueAt: itemDue, completed: false });
      continue;
    }
    const after = nextItem(course, item.day);
    decisions.advance.push({
      id: enrollment.id,
      oldLastDay: enrollment.lastDay,
      lastDay: item.day,
      lastSentAt: now,
      nextSlug: after?.slug ?? null,
      nextDueAt: after ? plannedDueAt(course, { startedAt: enrollment.startedAt, lastSentAt: now, timezone: enrollment.timezone }, after, rules) : null,
      completed: item.kind === "graduation",
      email: {
        dedupeKey: item.kind === "graduation" ? `graduation:${enrollment.id}` : `lesson:${enrollment.id}:${item.slug}`,
        kind: item.kind,
        subscriberId: enrollment.subscriberId,
        enrollmentId: enrollment.id,
        lessonSlug: item.kind === "lesson" ? item.slug : null,
      },
    });
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
