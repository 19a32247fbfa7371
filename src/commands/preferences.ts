import type { Course } from "../content/schema.ts";
import { nextItem } from "../domain/course-plan.ts";
import { isValidTimezone } from "../domain/schedule.ts";
import { conflict, gone, invalid, malformed, notFound } from "../errors.ts";
import { webVersionUrlFor } from "../render/compose.ts";
import type { EnrollmentStatus } from "../store/database.ts";
import { pauseEnrollment, resumeEnrollment } from "../store/enrollments.ts";
import { enrollmentsOf, exportReaderData, setReaderTimezone } from "../store/reader-data.ts";
import { findSubscriber, leaveCourse, recordConsent, recordCourseConsent, requestPreferencesLink } from "../store/subscribers.ts";
import { sentLessons } from "../store/web-version.ts";
import type { ConsentMeta, Subscriber } from "../store/subscribers.ts";
import { unsubscribeToken, verifyToken } from "../tokens.ts";
import { dispatchQuietly } from "./dispatch.ts";
import { emit } from "./emit-event.ts";
import { eraseEverywhere } from "./erase-reader.ts";
import type { Services } from "./services.ts";

const DAY_MS = 24 * 3600 * 1000;

/** The codes a preferences link is refused with; the edge offers to email a fresh link for them. */
export const PREFERENCES_LINK_REFUSALS: ReadonlySet<string> = new Set(["token_expired", "token_invalid"]);

const nothingHere = () => notFound("not_found", "We hold no data for this link any more.", "Nothing here");

/**
 * The reader a preferences link is for. Only a preferences token opens these pages: the
 * unsubscribe token travels in every email's headers and every forward, so it may not reach the
 * reader's data. The refusal's title and message are written as the heading and text of the page
 * that emails a fresh link.
 */
export async function preferencesReader(services: Services, token: string): Promise<string> {
  const check = await verifyToken(services.secretKey, token, "preferences", services.now());
  if (check.ok) return check.claims.subject;
  if (check.reason === "expired") {
    throw gone("token_expired", "Links to your preferences work for 30 days. Enter your address and we'll email you a fresh one.", "This link has expired");
  }
  throw malformed(
    "token_invalid",
    "It may be cut off, or it is an unsubscribe link, which can only unsubscribe. Enter your address and we'll email you a link to your preferences.",
    "This link can't open your preferences",
  );
}

export interface Preferences {
  subscriber: Subscriber;
  /** For the page's "stop all email" button, which must work without the preferences link. */
  unsubscribeToken: string;
  /** Every course the reader has joined, oldest first. */
  courses: CourseStanding[];
}

/** One of the reader's courses, as the preferences page shows it. */
export interface CourseStanding {
  slug: string;
  /** The course's name; its slug when the course is no longer offered here. */
  name: string;
  /** Undefined when the course is no longer in content/. */
  course: Course | undefined;
  status: EnrollmentStatus;
  pausedUntil: number | null;
  /** What comes next: a lesson, the graduation email, or nothing (finished, left, or the course is gone). */
  next: { kind: "lesson"; number: number; title: string } | { kind: "graduation" } | null;
  /** The buttons the page offers for this course. */
  canPause: boolean;
  canResume: boolean;
  canLeave: boolean;
  /** The lessons of this course already sent to the reader, in course order, each with its web version. */
  sentLessons: SentLessonLink[];
}

export interface SentLessonLink {
  number: number;
  title: string;
  webVersionUrl: string;
}

/** Lessons since removed from the course are left out: their web version can no longer be shown. */
async function sentLessonLinks(services: Services, subscriberId: string, course: Course): Promise<SentLessonLink[]> {
  const sent = new Map((await sentLessons(services.db, subscriberId, course.slug)).map((row) => [row.lessonSlug, row.id]));
  const links: SentLessonLink[] = [];
  for (const lesson of course.lessons) {
    const id = sent.get(lesson.slug);
    if (id) links.push({ number: lesson.number, title: lesson.title, webVersionUrl: await webVersionUrlFor(services, id) });
  }
  return links;
}

type EnrollmentRow = Awaited<ReturnType<typeof enrollmentsOf>>[number];

function nextOf(course: Course | undefined, enrollment: EnrollmentRow): CourseStanding["next"] {
  if (!course || !["pending", "active", "paused"].includes(enrollment.status)) return null;
  // Lessons are placed by day, so the plan (not a stored slug an author may have renamed) says what is next.
  const item = nextItem(course, enrollment.last_day);
  if (!item) return null;
  if (item.kind === "graduation") return { kind: "graduation" };
  const lesson = course.lessons.find((l) => l.slug === item.slug);
  return lesson ? { kind: "lesson", number: lesson.number, title: lesson.title } : null;
}

export async function readPreferences(services: Services, subscriberId: string): Promise<Preferences> {
  const subscriber = await findSubscriber(services.db, subscriberId);
  if (!subscriber) throw nothingHere();
  const active = subscriber.status === "active";
  const courses: CourseStanding[] = [];
  for (const enrollment of await enrollmentsOf(services.db, subscriberId)) {
    const course = services.catalogue.get(enrollment.course_slug);
    courses.push({
      slug: enrollment.course_slug,
      name: course?.name ?? enrollment.course_slug,
      course,
      status: enrollment.status,
      pausedUntil: enrollment.paused_until,
      next: nextOf(course, enrollment),
      canPause: active && enrollment.status === "active",
      canResume: active && enrollment.status === "paused",
      canLeave: enrollment.status === "pending" || enrollment.status === "active" || enrollment.status === "paused",
      sentLessons: course ? await sentLessonLinks(services, subscriberId, course) : [],
    });
  }
  return { subscriber, unsubscribeToken: await unsubscribeToken(services.secretKey, subscriberId), courses };
}

/**
 * The enrollment a per-course button is about. The form names the course; a form that names none
 * (a page cached from before there were several courses) means the reader's only course. A course
 * that is not one of the reader's is refused: this link opens the reader's own courses only.
 */
async function enrollmentFor(services: Services, subscriberId: string, slug: string | undefined): Promise<EnrollmentRow | undefined> {
  const enrollments = await enrollmentsOf(services.db, subscriberId);
  if (slug === undefined) {
    // No course yet (not confirmed): the caller's own "nothing to pause" says it best.
    if (enrollments.length <= 1) return enrollments[0];
    throw invalid("course_required", "Say which of your courses this is for (the form's `course` field).", "Which course?");
  }
  const current = services.catalogue.get(slug) ?? services.catalogue.courses.find((course) => course.formerSlugs.includes(slug));
  const enrollment = enrollments.find((e) => e.course_slug === (current?.slug ?? slug));
  if (!enrollment) throw invalid("not_your_course", "That is not one of your courses.", "Not one of your courses");
  return enrollment;
}

type ReaderChange = { subscriberId: string; course?: string | undefined; meta: Omit<ConsentMeta, "how"> };

/** Pauses one course for a week (a course week, on compressed demo calendars); the reader's other courses go on. */
export async function pauseForAWeek(services: Services, input: ReaderChange): Promise<void> {
  const now = services.now();
  const enrollment = await enrollmentFor(services, input.subscriberId, input.course);
  const week = 7 * (services.courseDaySeconds ? services.courseDaySeconds * 1000 : DAY_MS);
  if (!enrollment || !(await pauseEnrollment(services.db, enrollment.id, now, now + week))) {
    throw conflict("not_active", "There are no lessons of this course to pause right now.", "Nothing to pause");
  }
  await recordCourseConsent(services.db, input.subscriberId, "preferences", enrollment.course_slug, { ...input.meta, how: "preferences" }, now, { change: "pause-week" });
}

export async function resumeLessons(services: Services, input: { subscriberId: string; course?: string | undefined }): Promise<void> {
  const enrollment = await enrollmentFor(services, input.subscriberId, input.course);
  if (!enrollment || !(await resumeEnrollment(services.db, enrollment.id, services.now()))) throw conflict("not_paused", "Lessons of this course are not paused.", "Not paused");
}

/** "Leave this course" on the preferences page: as "stop this course" on the unsubscribe page. */
export async function leaveCourseOf(services: Services, input: ReaderChange): Promise<void> {
  const enrollment = await enrollmentFor(services, input.subscriberId, input.course);
  const outcome = enrollment ? await leaveCourse(services.db, input.subscriberId, enrollment.course_slug, { ...input.meta, how: "preferences" }, services.now()) : "unchanged";
  if (outcome !== "stopped") throw conflict("not_in_course", "You're no longer getting this course, so there is nothing to leave.", "Nothing to leave");
  await emit(services, { type: "subscriber.unsubscribed", subscriberId: input.subscriberId, data: { scope: "course", course: enrollment!.course_slug, how: "preferences" } });
}

export async function changeTimezone(services: Services, input: ReaderChange & { timezone: string }): Promise<void> {
  if (!isValidTimezone(input.timezone)) throw invalid("invalid_timezone", "Choose a time zone from the list.", "Unknown time zone");
  const now = services.now();
  await setReaderTimezone(services.db, input.subscriberId, input.timezone, now);
  await recordConsent(services.db, input.subscriberId, "preferences", { ...input.meta, how: "preferences" }, now, { change: "timezone", timezone: input.timezone });
}

/** The reader's own data, as they can download it (GDPR access and portability). */
export async function exportMyData(services: Services, subscriberId: string): Promise<NonNullable<Awaited<ReturnType<typeof exportReaderData>>>> {
  const data = await exportReaderData(services.db, subscriberId);
  if (!data) throw nothingHere();
  return data;
}

/** "Delete my data": only with the box ticked, since it cannot be undone. */
export async function deleteMyData(services: Services, input: { subscriberId: string; confirmed: boolean }): Promise<void> {
  if (!input.confirmed) throw invalid("not_confirmed", "Tick the box to confirm that you want your data deleted.", "Please confirm");
  await eraseEverywhere(services, input.subscriberId);
}

/**
 * "Email me a fresh link". It returns nothing on purpose: the form must not tell whether an
 * address is a reader, so the caller answers the same either way.
 */
export async function emailPreferencesLink(services: Services, input: { email: string }): Promise<void> {
  const now = services.now();
  const sendId = await requestPreferencesLink(services.db, input.email, now, { enqueuedAt: services.dispatcher ? now : null });
  if (sendId) await dispatchQuietly(services, [sendId], { alreadyMarked: true });
}
