import type { Catalogue } from "../content/catalogue.ts";
import { scheduleRulesFor } from "../domain/course-plan.ts";
import { decideDue } from "../domain/due-decisions.ts";
import type { CoursePlan } from "../domain/due-decisions.ts";
import { applyDueChanges, readDueEnrollments, readRecentCourseEmails } from "../store/due-enrollments.ts";
import type { QueuedEmails } from "../store/due-enrollments.ts";
import type { Services } from "./services.ts";

export type { QueuedEmails } from "../store/due-enrollments.ts";

export interface QueueDueOptions {
  /** Enrollments read per call (default 1,000). */
  limit?: number;
  /** Only these enrollments (used right after confirmation, so lesson 1 needs no tick). */
  enrollmentIds?: readonly string[];
  /**
   * Only enrollments of these courses (the tick leaves paused courses out). Default: every course
   * of the catalogue. Enrollments of a course no longer in content/ are never touched.
   */
  courseSlugs?: readonly string[];
  /**
   * Group the new rows into provider batches of this size. The batch id is written with the row,
   * in the same transaction: a row that existed for a moment without one could be picked up as a
   * single send by another scheduler and then go out twice.
   */
  batchSize?: number;
}

/**
 * How far back the one-lesson-a-day rule looks: a reader's local day began less than a day ago
 * in any zone; the rest is room for an email the provider took late.
 */
const RECENT_MS = 3 * 24 * 3600_000;

/** Each course of the catalogue with the schedule rules it runs on, by slug. */
export function coursePlans(catalogue: Catalogue, daySeconds: number | undefined, only?: readonly string[]): Map<string, CoursePlan> {
  const plans = new Map<string, CoursePlan>();
  for (const course of catalogue.courses) {
    if (only && !only.includes(course.slug)) continue;
    plans.set(course.slug, { course, rules: scheduleRulesFor(course, daySeconds) });
  }
  return plans;
}

/**
 * Turns enrollments whose next email is due into rows of the sends ledger, each against its own
 * course: one page read, one read of what the page's readers already got lately (so two courses
 * never send one reader a lesson on the same day), every decision made in memory, then one
 * transaction. Returns the ledger rows it created (and their batches); the caller hands them to
 * the queue.
 */
export async function queueDueEmails(services: Pick<Services, "db" | "catalogue" | "courseDaySeconds" | "now">, options: QueueDueOptions = {}): Promise<QueuedEmails> {
  const { db } = services;
  const now = services.now();
  const plans = coursePlans(services.catalogue, services.courseDaySeconds, options.courseSlugs);
  const due = await readDueEnrollments(db, [...plans.keys()], now, { limit: options.limit ?? 1000, enrollmentIds: options.enrollmentIds });
  if (due.length === 0) return { sendIds: [], batchIds: [] };
  // A one-course install has no other course to share a day with: no need to ask.
  const recent = services.catalogue.courses.length > 1 ? await readRecentCourseEmails(db, due, now - Math.max(RECENT_MS, 3 * (services.courseDaySeconds ?? 0) * 1000)) : [];
  return applyDueChanges(db, decideDue(plans, due, now, recent), now, options.batchSize);
}
