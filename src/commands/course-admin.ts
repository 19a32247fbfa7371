import { z } from "zod";
import type { Catalogue } from "../content/catalogue.ts";
import type { Course, Lesson } from "../content/schema.ts";
import { GRADUATION_SLUG } from "../domain/course-plan.ts";
import { DomainError, errorMessage, invalid, notFound, unavailable } from "../errors.ts";
import type { TestSend } from "../queue/queues.ts";
import { composeEmail } from "../render/compose.ts";
import type { ComposableSend } from "../render/compose.ts";
import { sampleReader } from "../render/sample-reader.ts";
import type { OutgoingEmail } from "../send/mailer.ts";
import { courseStages, findReaderByIdOrEmail } from "../store/admin-queries.ts";
import type { CourseScope } from "../store/admin-queries.ts";
import { isCoursePaused, setCoursePaused } from "../store/course-state.ts";
import { readerCounts } from "../store/reader-counts.ts";
import type { ReaderCounts } from "../store/reader-counts.ts";
import type { Subscriber } from "../store/subscribers.ts";
import { sentLessons } from "../store/web-version.ts";
import type { Services } from "./services.ts";

/**
 * The course as an admin runs it: where readers are in it, pausing it whole, each lesson as one
 * reader would receive it, and test sends to the admin's own address.
 */

/**
 * The course an admin means. "console": a page asked without one shows the default course (the
 * only one, else the first), and an unknown slug is a page that is not there (404). "strict": the
 * API and the CLI, where a script must say which course it acts on once there are several, and an
 * unknown one is a mistake in its input.
 */
export function chooseCourse(catalogue: Catalogue, value: unknown, mode: "console" | "strict", field = "course"): Course {
  const slug = typeof value === "string" ? value.trim() : "";
  const names = catalogue.courses.map((c) => c.slug).join(", ");
  if (!slug) {
    if (catalogue.only) return catalogue.only;
    if (mode === "console") return defaultCourse(catalogue);
    throw invalid("course_required", `Name the course with ${field}: this install has several (${names}).`, "Which course?");
  }
  const course = catalogue.get(slug);
  if (course) return course;
  const message = `There is no course "${slug.slice(0, 100)}". Courses: ${names}.`;
  throw mode === "console" ? notFound("course_unknown", message, "No such course") : invalid("course_unknown", message, "No such course");
}

/** Where readers and rows of no course are shown: the only course, else the first. */
export function defaultCourse(catalogue: Catalogue): Course {
  return catalogue.only ?? catalogue.courses[0]!;
}

/** The store's view of "this course" (see CourseScope in src/store/admin-queries.ts). */
export function courseScope(catalogue: Catalogue, course: Course): CourseScope {
  return { slug: course.slug, isDefault: defaultCourse(catalogue).slug === course.slug, only: catalogue.only !== undefined };
}

/** Is this a DomainError about the course named (so an edge can show it next to that field)? */
export function isCourseError(error: unknown): boolean {
  return error instanceof DomainError && (error.code === "course_required" || error.code === "course_unknown");
}

/** Pauses or resumes a whole course. Nothing queued is lost; parked emails go out after resume. */
export async function setCoursePausedByAdmin(services: Services, course: Course, paused: boolean): Promise<void> {
  await setCoursePaused(services.db, course.slug, paused, services.now());
  services.log.info(paused ? "course paused by admin" : "course resumed by admin", { course: course.slug });
}

export interface StageCount {
  /** Readers whose next email this is, enrollment active. */
  waiting: number;
  /** Same, but their enrollment is paused. */
  waitingPaused: number;
}

export interface CourseFigures {
  course: Course;
  paused: boolean;
  daySeconds: number | undefined;
  lessons: (StageCount & { lesson: Lesson; received: number })[];
  graduation: StageCount;
  /** The course's readers by state: the same numbers as the dashboard, API and CLI. */
  counts: ReaderCounts;
}

/** Where readers are in the course, lesson by lesson. */
export async function courseFigures(services: Services, course: Course): Promise<CourseFigures> {
  const { db } = services;
  const [{ stages, days }, paused, counts] = await Promise.all([courseStages(db, course.slug), isCoursePaused(db, course.slug), readerCounts(db, courseScope(services.catalogue, course))]);
  const stage = (slug: string): StageCount => ({
    waiting: stages.filter((r) => r.next_slug === slug && r.status === "active").reduce((sum, r) => sum + r.n, 0),
    waitingPaused: stages.filter((r) => r.next_slug === slug && r.status === "paused").reduce((sum, r) => sum + r.n, 0),
  });
  // A reader's latest lesson is the last one on or before their last_day (lessons are placed by day).
  const lessons = course.lessons.map((lesson, i) => {
    const nextDay = course.lessons[i + 1]?.day ?? Infinity;
    const received = days.filter((r) => r.last_day >= lesson.day && r.last_day < nextDay).reduce((sum, r) => sum + r.n, 0);
    return { lesson, received, ...stage(lesson.slug) };
  });
  return {
    course,
    paused,
    daySeconds: services.courseDaySeconds,
    lessons,
    graduation: stage(GRADUATION_SLUG),
    counts,
  };
}

/** The chosen reader (by id or address), the sample reader when none is chosen, or not found. */
export async function previewReader(services: Services, param: string | undefined): Promise<{ subscriber: Subscriber; sample: boolean }> {
  const key = param?.trim();
  if (!key) return { subscriber: sampleReader(services.now()), sample: true };
  const subscriber = await findReaderByIdOrEmail(services.db, key);
  if (!subscriber) throw notFound("unknown_reader", `No reader with id or address "${key}".`, "No such reader");
  return { subscriber, sample: false };
}

/**
 * The lessons as every "no such lesson" message lists them, number and slug ("1 (first-steps), 2
 * (…)"), so the admin can copy either back: the reader actions take both, previews the slug.
 */
export function lessonChoices(course: Course): string {
  return course.lessons.map((l) => `${l.number} (${l.slug})`).join(", ");
}

/** "graduation" or a lesson's slug: what can be previewed and test-sent. */
export function requirePreviewSlug(course: Course, slug: string): void {
  if (slug === "graduation" || course.lessons.some((l) => l.slug === slug)) return;
  throw notFound("unknown_lesson", `There is no lesson "${slug.slice(0, 100)}" to preview; name it by slug. Lessons: ${lessonChoices(course)}, graduation.`, "No such lesson");
}

/**
 * A lesson (or the graduation email) exactly as this reader would receive it: the same composeEmail
 * call as the send worker, so what is shown is what is sent.
 */
export async function previewLesson(services: Services, course: Course, slug: string, subscriber: Subscriber, from: string): Promise<OutgoingEmail> {
  requirePreviewSlug(course, slug);
  const now = services.now();
  const isGraduation = slug === "graduation";
  const send: ComposableSend = { id: "preview", kind: isGraduation ? "graduation" : "lesson", lesson_slug: isGraduation ? GRADUATION_SLUG : slug, created_at: now };
  const ctx = { course, appUrl: services.appUrl, secretKey: services.secretKey, from, now };
  return composeEmail(send, subscriber, { ...ctx, sentLessons: (id) => sentLessons(services.db, id, course.slug) });
}

const address = z.email();

/** The address a test went to, for the page after the redirect; anything else in the link is ignored. */
export function sentTo(value: string | undefined): string | undefined {
  return value && address.safeParse(value).success ? value : undefined;
}

/**
 * Queues a test email to an admin's address. Test sends ride the send queue, so without a
 * dispatcher (Cloudflare, where the app has no Redis) they cannot be offered at all.
 */
export async function queueTestEmail(services: Services, to: unknown, test: Omit<TestSend, "to">): Promise<string> {
  const parsed = address.safeParse(typeof to === "string" ? to.trim() : "");
  if (!parsed.success) throw invalid("bad_address", "Enter the email address the test should go to, like you@example.com.", "Not an email address");
  const { dispatcher } = services;
  const enqueue = dispatcher?.enqueueTest;
  if (!enqueue) {
    throw unavailable("no_queue", "Test emails go through the send queue, and this server has none (no Redis dispatcher). Send tests from the Node server.", "Test emails unavailable");
  }
  try {
    await enqueue.call(dispatcher, { to: parsed.data, ...test });
  } catch (error) {
    services.log.warn("test email not queued", { error: errorMessage(error) });
    throw unavailable("queue_unavailable", "The send queue (Redis) did not answer, so the test email was not queued. Try again in a moment.", "Queue unavailable");
  }
  return parsed.data;
}
