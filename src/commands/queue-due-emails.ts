import { scheduleRulesFor } from "../domain/course-plan.ts";
import { decideDue } from "../domain/due-decisions.ts";
import { applyDueChanges, readDueEnrollments } from "../store/due-enrollments.ts";
import type { QueuedEmails } from "../store/due-enrollments.ts";
import type { Services } from "./services.ts";

export type { QueuedEmails } from "../store/due-enrollments.ts";

export interface QueueDueOptions {
  /** Enrollments read per call (default 1,000). */
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

/**
 * Turns enrollments whose next email is due into rows of the sends ledger: one page read, every
 * decision made in memory, then one transaction. Returns the ledger rows it created (and their
 * batches); the caller hands them to the queue.
 */
export async function queueDueEmails(services: Pick<Services, "db" | "catalogue" | "courseDaySeconds" | "now">, options: QueueDueOptions = {}): Promise<QueuedEmails> {
  const { db } = services;
  const course = services.catalogue.primary;
  const now = services.now();
  const due = await readDueEnrollments(db, course.slug, now, { limit: options.limit ?? 1000, enrollmentIds: options.enrollmentIds });
  const decisions = decideDue(course, scheduleRulesFor(course, services.courseDaySeconds), due, now);
  return applyDueChanges(db, decisions, now, options.batchSize);
}
