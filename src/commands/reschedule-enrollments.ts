import type { Course } from "../content/schema.ts";
import { scheduleRulesFor } from "../domain/course-plan.ts";
import { retime } from "../domain/due-decisions.ts";
import { applyRetimings, readPlacedEnrollments } from "../store/due-enrollments.ts";
import type { Services } from "./services.ts";

const PAGE = 1000;

/**
 * Re-times every active enrollment of `course` against its current version after an edit, so a
 * lesson inserted before a reader's next one is picked up on its own day rather than after it.
 * Readers keep their place (the day of their last email); only the next slug and its due time
 * change. A lesson held back a day by another course's is simply held again by the next tick.
 * Returns how many enrollments changed.
 */
export async function rescheduleEnrollments(services: Pick<Services, "db" | "courseDaySeconds" | "now">, course: Course): Promise<number> {
  const { db } = services;
  const now = services.now();
  const rules = scheduleRulesFor(course, services.courseDaySeconds);
  let changed = 0;
  let after = "";
  for (;;) {
    const page = await readPlacedEnrollments(db, course.slug, after, PAGE);
    changed += await applyRetimings(db, retime(course, rules, page, now), now);
    if (page.length < PAGE) return changed;
    after = page[page.length - 1]!.id;
  }
}
