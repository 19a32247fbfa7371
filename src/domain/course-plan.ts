import type { Course } from "../content/schema.ts";
import { dueAt, nextSendAt, resolveTimezone } from "./schedule.ts";
import type { ScheduleRules } from "./schedule.ts";

/**
 * The course plan: which email a reader gets next and when it is due. Pure, with no I/O, so the
 * scheduler that writes the ledger and the reader timeline that explains it use the same rule and
 * cannot disagree.
 */

/** Not a valid lesson slug, so it can never collide with one. */
export const GRADUATION_SLUG = "#graduation";

export interface CourseItem {
  slug: string;
  day: number;
  kind: "lesson" | "graduation";
}

/**
 * The next email after `lastDay`. Placing readers by day rather than by index is what lets an
 * author edit a running course: a lesson inserted ahead of a reader reaches them, a removed one
 * is simply never found.
 */
export function nextItem(course: Course, lastDay: number): CourseItem | null {
  const lesson = course.lessons.find((l) => l.day > lastDay);
  if (lesson) return { slug: lesson.slug, day: lesson.day, kind: "lesson" };
  if (course.graduationDay > lastDay) return { slug: GRADUATION_SLUG, day: course.graduationDay, kind: "graduation" };
  return null;
}

export function scheduleRulesFor(course: Course, daySeconds: number | undefined): ScheduleRules {
  return { sendHour: course.schedule.sendHour, weekdays: course.schedule.weekdays, daySeconds };
}

/** Where a reader stands in the course, as the plan needs it. */
export interface ReaderPlace {
  startedAt: number;
  /** When the reader's last email went out; null before the first. */
  lastSentAt: number | null;
  /** The reader's own zone, if they gave a valid one. */
  timezone: string | null;
}

/**
 * When `item` is due for this reader: its day of the course at the send hour in the reader's zone,
 * and never sooner than one gap after their last email (so a reader who is behind catches up one
 * lesson at a time, not all at once). The one copy of the due-time rule.
 */
export function plannedDueAt(course: Course, place: ReaderPlace, item: Pick<CourseItem, "day">, rules: ScheduleRules): number {
  const zone = resolveTimezone(place.timezone, course.schedule.timezone);
  return nextSendAt(dueAt(place.startedAt, item.day, zone, rules), place.lastSentAt, zone, rules);
}

/**
 * A fingerprint of everything that decides when emails are due: which lessons sit on which day,
 * the graduation day, the send hour, weekdays and default zone, and the compressed day length.
 */
export async function scheduleVersion(course: Course, daySeconds: number | undefined): Promise<string> {
  const shape = JSON.stringify({
    lessons: course.lessons.map((l) => [l.slug, l.day]),
    graduationDay: course.graduationDay,
    schedule: course.schedule,
    daySeconds: daySeconds ?? null,
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(shape));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
}
