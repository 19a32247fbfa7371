import Papa from "papaparse";
import { DateTime } from "luxon";
import type { Catalogue } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { GRADUATION_SLUG } from "../domain/course-plan.ts";
import { notFound } from "../errors.ts";
import { cohorts, cohortSteps, emailFigures, leaversByEmail, weekStart } from "../store/analytics.ts";
import type { EmailFigureRow } from "../store/analytics.ts";
import { spreadsheetSafe } from "../store/reader-import.ts";
import type { Services } from "./services.ts";

/**
 * What readers did with each of a course's emails, and where each week's readers dropped off: the
 * figures behind the console's Analytics page, `GET /admin/api/courses/:slug/analytics` and
 * `npm run admin -- analytics`. Every figure is defined once, here and in src/store/analytics.ts,
 * and the page says the same in words (DEFINITIONS).
 */

/** A reader "unsubscribed after a lesson" when they left within this many days of it. */
export const LEFT_WITHIN_DAYS = 7;

/** The key of the graduation email among the lessons: the plan's own, which no lesson slug can be. */
export const GRADUATION_KEY = GRADUATION_SLUG;

export interface Figure {
  count: number;
  /** count / its base (see DEFINITIONS), null when the base is 0. */
  rate: number | null;
}

export interface LessonFigures {
  /** The lesson's slug, or GRADUATION_KEY ("#graduation"). */
  key: string;
  kind: "lesson" | "graduation";
  /** The lesson's number in the course; null for the graduation email and a lesson no longer in it. */
  number: number | null;
  title: string;
  /** False for a lesson that was sent once but is no longer in the course's files. */
  inCourse: boolean;
  sent: number;
  delivered: Figure;
  opened: Figure;
  clicked: Figure;
  bounced: Figure;
  complained: Figure;
  unsubscribed: Figure;
}

export interface FunnelStep {
  /** "signed-up", "confirmed", a lesson's slug, or GRADUATION_KEY. */
  key: string;
  label: string;
}

export interface FunnelWeek {
  /** ISO week, e.g. "2026-W48" (UTC). */
  week: string;
  /** Its Monday, yyyy-mm-dd. */
  startsOn: string;
  /** Readers at each step, in the order of CourseAnalytics.funnel.steps. */
  counts: number[];
}

export interface CourseAnalytics {
  course: Course;
  leftWithinDays: number;
  lessons: LessonFigures[];
  /** Whether any open (click) was ever recorded for the course's emails: none may mean tracking is off. */
  tracking: { opens: boolean; clicks: boolean };
  funnel: { steps: FunnelStep[]; weeks: FunnelWeek[]; total: number[] };
}

/** The figures in words, for the page, the CLI and the README to say the same thing. */
export const DEFINITIONS = {
  sent: "emails of this lesson the provider accepted",
  delivered: "of those, emails the provider reported delivered; its rate is of sent",
  opened: "emails opened at least once (the provider's open tracking); rate of delivered",
  clicked: "emails with at least one link clicked (the provider's click tracking or the course's own); rate of delivered",
  bounced: "emails that bounced for good (a soft bounce is not counted); rate of sent, since a bounced email is never delivered",
  complained: "emails the reader marked as spam; rate of delivered",
  unsubscribed: `readers who left this course, or all email, less than ${LEFT_WITHIN_DAYS} days after this email, when it was the last one of the course they had been sent; rate of delivered`,
  funnel:
    "readers who joined the course in each ISO week (UTC), however they came (signup form, import, an admin, the previous course), then how many of them confirmed their address, were sent each lesson, and were sent the graduation email",
} as const;

/** A course by the slug in an address: an unknown one is not there (404). */
export function analyticsCourse(catalogue: Catalogue, slug: string): Course {
  const course = catalogue.get(slug);
  if (course) return course;
  throw notFound("course_unknown", `There is no course "${slug.slice(0, 100)}". Courses: ${catalogue.courses.map((c) => c.slug).join(", ")}.`, "No such course");
}

const figure = (count: number, base: number): Figure => ({ count, rate: base > 0 ? count / base : null });

const keyOf = (row: { kind: "lesson" | "graduation"; lessonSlug: string | null }) => (row.kind === "graduation" ? GRADUATION_KEY : (row.lessonSlug ?? ""));

export async function courseAnalytics(services: Pick<Services, "db">, course: Course): Promise<CourseAnalytics> {
  const { db } = services;
  const withinMs = LEFT_WITHIN_DAYS * 86_400_000;
  const [emails, leavers, weeks, steps] = await Promise.all([emailFigures(db, course.slug), leaversByEmail(db, course.slug, withinMs), cohorts(db, course.slug), cohortSteps(db, course.slug)]);

  const byKey = new Map(emails.map((row) => [keyOf(row), row]));
  const leftBy = new Map(leavers.map((row) => [keyOf(row), row.readers]));
  const empty = (kind: "lesson" | "graduation", lessonSlug: string | null): EmailFigureRow => ({ kind, lessonSlug, sent: 0, delivered: 0, opened: 0, clicked: 0, bounced: 0, complained: 0 });
  const entry = (key: string, row: EmailFigureRow, title: string, number: number | null, inCourse: boolean): LessonFigures => ({
    key,
    kind: row.kind,
    number,
    title,
    inCourse,
    sent: row.sent,
    delivered: figure(row.delivered, row.sent),
    opened: figure(row.opened, row.delivered),
    clicked: figure(row.clicked, row.delivered),
    bounced: figure(row.bounced, row.sent),
    complained: figure(row.complained, row.delivered),
    unsubscribed: figure(leftBy.get(key) ?? 0, row.delivered),
  });
  const lessons: LessonFigures[] = course.lessons.map((l) => entry(l.slug, byKey.get(l.slug) ?? empty("lesson", l.slug), l.title, l.number, true));
  lessons.push(entry(GRADUATION_KEY, byKey.get(GRADUATION_KEY) ?? empty("graduation", null), "Graduation email", null, true));
  // Lessons removed from the course's files keep the figures of the emails they were.
  const known = new Set(lessons.map((l) => l.key));
  for (const row of emails.filter((r) => !known.has(keyOf(r))).sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    lessons.push(entry(keyOf(row), row, `${row.lessonSlug} (no longer in the course)`, null, false));
  }

  const funnelSteps: FunnelStep[] = [
    { key: "signed-up", label: "Joined" },
    { key: "confirmed", label: "Confirmed" },
    ...course.lessons.map((l) => ({ key: l.slug, label: `Lesson ${l.number} sent` })),
    { key: GRADUATION_KEY, label: "Graduated" },
  ];
  const stepIndex = new Map(funnelSteps.map((s, i) => [s.key, i]));
  const rows = new Map<number, number[]>();
  for (const w of weeks) rows.set(w.week, [w.readers, w.confirmed, ...funnelSteps.slice(2).map(() => 0)]);
  for (const s of steps) {
    const i = stepIndex.get(keyOf(s));
    const row = rows.get(s.week);
    if (i !== undefined && row) row[i] = s.readers;
  }
  const funnelWeeks = [...rows].map(([week, counts]) => {
    const monday = DateTime.fromMillis(weekStart(week), { zone: "utc" });
    return { week: monday.toFormat("kkkk-'W'WW"), startsOn: monday.toISODate()!, counts };
  });
  const total = funnelSteps.map((_, i) => funnelWeeks.reduce((sum, w) => sum + w.counts[i]!, 0));

  return {
    course,
    leftWithinDays: LEFT_WITHIN_DAYS,
    lessons,
    tracking: { opens: emails.some((r) => r.opened > 0), clicks: emails.some((r) => r.clicked > 0) },
    funnel: { steps: funnelSteps, weeks: funnelWeeks, total },
  };
}

/** A rate as a spreadsheet reads it: a fraction with four decimals, empty when there is no base. */
const csvRate = (f: Figure) => (f.rate === null ? "" : f.rate.toFixed(4));

export const LESSON_CSV_COLUMNS = [
  "lesson",
  "title",
  "sent",
  "delivered",
  "delivered_rate",
  "opened",
  "opened_rate",
  "clicked",
  "clicked_rate",
  "bounced",
  "bounced_rate",
  "complained",
  "complained_rate",
  "unsubscribed",
  "unsubscribed_rate",
] as const;

/** The per-lesson table as CSV; every cell goes through spreadsheetSafe, as in the reader export. */
export function lessonsCsv(data: CourseAnalytics): string {
  const rows = data.lessons.map((l) => [
    l.key,
    l.title,
    String(l.sent),
    ...(["delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"] as const).flatMap((k) => [String(l[k].count), csvRate(l[k])]),
  ]);
  return `${Papa.unparse([[...LESSON_CSV_COLUMNS], ...rows].map((r) => r.map(spreadsheetSafe)))}\r\n`;
}

/** The funnel as CSV: one line per signup week, one column per step (`lesson:<slug>` for lessons). */
export function funnelCsv(data: CourseAnalytics): string {
  const header = ["week", "week_starts", ...data.funnel.steps.map((s) => (s.key === GRADUATION_KEY ? "graduated" : s.key === "signed-up" || s.key === "confirmed" ? s.key : `lesson:${s.key}`))];
  const rows = data.funnel.weeks.map((w) => [w.week, w.startsOn, ...w.counts.map(String)]);
  return `${Papa.unparse([header, ...rows].map((r) => r.map(spreadsheetSafe)))}\r\n`;
}
