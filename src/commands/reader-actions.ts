import type { Course, Lesson } from "../content/schema.ts";
import { nextItem } from "../domain/course-plan.ts";
import { buildTimeline, explainNextLesson } from "../domain/reader-timeline.ts";
import type { NextLesson, TimelineEvent } from "../domain/reader-timeline.ts";
import { emit } from "./emit-event.ts";
import { eraseEverywhere } from "./erase-reader.ts";
import { conflict, malformed, notFound } from "../errors.ts";
import { decodeCursor, enrollmentsOf, findReaderByIdOrEmail, isReaderFilter, READER_FILTERS, readerDetail, searchReaders } from "../store/admin-queries.ts";
import type { Enrollment, ReaderDetail, ReaderFilter, ReaderPage } from "../store/admin-queries.ts";
import { isCoursePaused } from "../store/course-state.ts";
import { findEnrollment, pauseEnrollment, resumeEnrollment } from "../store/enrollments.ts";
import { moveToLesson, retryHeldLesson, sendLessonNow, skipHeldLesson } from "../store/manual-sends.ts";
import { exportReaderData } from "../store/reader-data.ts";
import { findSubscriber, unsubscribe } from "../store/subscribers.ts";
import type { Subscriber } from "../store/subscribers.ts";
import { chooseCourse, courseScope, lessonChoices } from "./course-admin.ts";
import { dispatchQuietly } from "./dispatch.ts";
import type { Services } from "./services.ts";

/**
 * What an admin may do to one reader, and how they find and read about readers. The console's
 * forms, the JSON API and the CLI all call these, so a rule holds the same wherever it is asked.
 */

export const READER_ACTIONS = ["send-lesson", "move", "pause", "resume", "unsubscribe", "retry-lesson", "skip-lesson"] as const;
export type ReaderAction = (typeof READER_ACTIONS)[number];

export interface ActionOutcome {
  action: ReaderAction;
  /** The course acted on; absent for an action on the reader as a whole (unsubscribe from all email). */
  course?: Course;
  lesson?: Lesson;
  sendId?: string;
}

const noSuchReader = () => notFound("unknown_reader", "There is no reader with that id.", "No such reader");

/**
 * A lesson of the course by slug or by its number in the course ("3"): the console's forms, the
 * API and the CLI's `send-lesson` and `move` all come through here, so "2" means lesson 2 in each.
 */
export function resolveLesson(course: Course, value: unknown): Lesson {
  const text = typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : "";
  if (!text) throw malformed("lesson_required", "Pick a lesson.", "Pick a lesson");
  const lesson = /^\d{1,4}$/.test(text) ? course.lessons.find((l) => l.number === Number(text)) : course.lessons.find((l) => l.slug === text);
  if (!lesson) {
    throw malformed("unknown_lesson", `There is no lesson "${text.slice(0, 100)}" in “${course.name}”; give its number or its slug. Lessons: ${lessonChoices(course)}.`, "No such lesson");
  }
  return lesson;
}

/** A reader by id or address, as the CLI and previews name them; undefined when there is none. */
export async function findReader(services: Pick<Services, "db">, idOrEmail: string): Promise<Subscriber | undefined> {
  return findReaderByIdOrEmail(services.db, idOrEmail);
}

async function requireReader(services: Services, id: string) {
  const subscriber = await findSubscriber(services.db, id);
  if (!subscriber) throw noSuchReader();
  return subscriber;
}

async function enrollmentOf(services: Services, subscriberId: string, course: Course) {
  const enrollment = await findEnrollment(services.db, subscriberId, course.slug);
  if (!enrollment) throw conflict("not_enrolled", `This reader is not enrolled in “${course.name}”.`, "Not enrolled");
  return enrollment;
}

/**
 * The course an action on one reader is about: the one named (`course`, a form field or API
 * member), else the install's only course, else the reader's only enrollment's course. A reader
 * in several courses must be acted on with the course named.
 */
export async function courseOfReader(services: Services, subscriberId: string, value: unknown): Promise<Course> {
  if ((typeof value === "string" && value.trim()) || services.catalogue.only) return chooseCourse(services.catalogue, value, "strict");
  const known = (await enrollmentsOf(services.db, subscriberId)).flatMap((e) => services.catalogue.get(e.course_slug) ?? []);
  if (known.length === 1) return known[0]!;
  return chooseCourse(services.catalogue, value, "strict");
}

/** "Send lesson N now": a ledger row like any other, handed to the queue at once. */
export async function sendLessonToReader(services: Services, course: Course, id: string, lesson: Lesson): Promise<string> {
  const { db } = services;
  const sendId = await sendLessonNow(db, course.slug, id, { slug: lesson.slug, day: lesson.day }, nextItem(course, lesson.day)?.slug ?? null, services.now());
  await dispatchQuietly(services, [sendId]);
  return sendId;
}

export async function runReaderAction(services: Services, id: string, action: ReaderAction, fields: Record<string, unknown>): Promise<ActionOutcome> {
  const { db, log } = services;
  const now = services.now();
  await requireReader(services, id);
  if (action === "unsubscribe") {
    // From all email, so no course is asked for. The consent record says an admin did it; the
    // admin's own address is not the reader's.
    if (!(await unsubscribe(db, id, { ip: null, userAgent: null, how: "admin" }, now, "all"))) {
      throw conflict("not_possible", "This reader cannot be unsubscribed.", "Not possible");
    }
    await emit(services, { type: "subscriber.unsubscribed", subscriberId: id, data: { scope: "all", how: "admin" } });
    log.info("admin action", { action, subscriber: id });
    return { action };
  }
  // Every other action is on the reader's place in one course.
  const course = await courseOfReader(services, id, fields.course);
  const outcome = await courseAction(services, course, id, action, fields);
  log.info("admin action", { action, subscriber: id, course: course.slug, lesson: outcome.lesson?.slug });
  return outcome;
}

async function courseAction(services: Services, course: Course, id: string, action: Exclude<ReaderAction, "unsubscribe">, fields: Record<string, unknown>): Promise<ActionOutcome> {
  const { db } = services;
  const now = services.now();
  switch (action) {
    case "send-lesson": {
      const lesson = resolveLesson(course, fields.lesson);
      return { action, course, lesson, sendId: await sendLessonToReader(services, course, id, lesson) };
    }
    case "move": {
      const lesson = resolveLesson(course, fields.lesson);
      const index = course.lessons.indexOf(lesson);
      await moveToLesson(db, course.slug, id, lesson.slug, index <= 0 ? -1 : course.lessons[index - 1]!.day, now);
      return { action, course, lesson };
    }
    case "pause": {
      const enrollment = await enrollmentOf(services, id, course);
      if (!(await pauseEnrollment(db, enrollment.id, now))) throw conflict("not_active", `The course is ${enrollment.status} for this reader, so it cannot be paused.`, "Not possible");
      return { action, course };
    }
    case "resume": {
      const enrollment = await enrollmentOf(services, id, course);
      if (!(await resumeEnrollment(db, enrollment.id, now))) throw conflict("not_paused", `The course is ${enrollment.status} for this reader, not paused.`, "Not possible");
      return { action, course };
    }
    // A lesson that failed for good holds the course: retry it, or skip it for a stated reason.
    case "retry-lesson": {
      const enrollment = await enrollmentOf(services, id, course);
      const requeued = await retryHeldLesson(db, enrollment.id, now);
      await dispatchQuietly(services, requeued.sendIds);
      return { action, course };
    }
    case "skip-lesson": {
      const reason = typeof fields.reason === "string" ? fields.reason.trim() : "";
      if (!reason) throw malformed("reason_required", "Say why the lesson is skipped; the reason is kept on the reader's record.", "Reason required");
      const enrollment = await enrollmentOf(services, id, course);
      return { action, course, sendId: await skipHeldLesson(db, enrollment.id, reason, now) };
    }
  }
}

/** Pause or resume by enrollment id, for the API's scripts. */
export async function pauseEnrollmentById(services: Services, enrollmentId: string): Promise<void> {
  if (!(await pauseEnrollment(services.db, enrollmentId, services.now()))) throw conflict("not_active", "That enrollment is not active, so it cannot be paused.", "Something is not right");
}

export async function resumeEnrollmentById(services: Services, enrollmentId: string): Promise<void> {
  if (!(await resumeEnrollment(services.db, enrollmentId, services.now()))) throw conflict("not_paused", "That enrollment is not paused.", "Something is not right");
}

export async function exportReader(services: Services, id: string) {
  const data = await exportReaderData(services.db, id);
  if (!data) throw noSuchReader();
  services.log.info("admin action", { action: "export", subscriber: id });
  return data;
}

/** Erasure reaches past the database too (the local outbox, the signup limiter's counters): see erase-reader.ts. */
export async function eraseReaderAsAdmin(services: Services, id: string): Promise<void> {
  if (!(await eraseEverywhere(services, id))) throw noSuchReader();
  services.log.info("admin action", { action: "erase", subscriber: id });
}

/** A reader list query as it arrives (search parameters), before it is checked. */
export interface ReaderListQuery {
  q?: string | undefined;
  status?: string | undefined;
  cursor?: string | undefined;
  before?: string | undefined;
  /** Offsets are refused; present only to say so. */
  page?: string | undefined;
  limit?: string | undefined;
}

export interface ReaderList {
  q: string;
  status: ReaderFilter | undefined;
  page: ReaderPage;
}

const badQuery = (code: string, message: string) => malformed(code, message, "Something is not right");

/** One page of the course's readers; a bad query is refused with what is wrong with it. */
export async function listReaders(services: Services, course: Course, query: ReaderListQuery, defaultLimit = 50): Promise<ReaderList> {
  const q = (query.q ?? "").trim();
  if (q.length > 200) throw badQuery("bad_query", "Search for at most 200 characters.");
  const statusParam = query.status ?? "";
  if (statusParam && !isReaderFilter(statusParam)) throw badQuery("bad_status", `status must be one of: ${READER_FILTERS.join(", ")}.`);
  const status = statusParam ? (statusParam as ReaderFilter) : undefined;
  const cursorOf = (name: "cursor" | "before") => {
    const raw = query[name];
    if (!raw) return undefined;
    const cursor = decodeCursor(raw);
    if (!cursor) throw badQuery("bad_cursor", `That ${name} is not one this console gave out; start again from the first page.`);
    return cursor;
  };
  // Offsets would make page 2,000 scan 100,000 rows; the keyset cursor costs the same on every page.
  if (query.page !== undefined) throw badQuery("use_cursor", "Pages are addressed by cursor: pass the previous answer's `next` as cursor (or its `prev` as before).");
  const after = cursorOf("cursor");
  const before = cursorOf("before");
  if (after && before) throw badQuery("bad_cursor", "Send cursor or before, not both.");
  const limit = query.limit === undefined ? defaultLimit : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badQuery("bad_limit", "limit must be a whole number from 1 to 200.");
  const page = await searchReaders(services.db, { courseSlug: course.slug, scope: courseScope(services.catalogue, course), q, status, after, before, limit });
  return { q, status, page };
}

/** One of a reader's enrollments, and why its next email is (not) on its way. */
export interface EnrollmentView {
  /** Undefined when its course is no longer in content/. */
  course: Course | undefined;
  enrollment: Enrollment;
  next: NextLesson | undefined;
}

export interface ReaderView {
  /** The course the page is about: the one asked for, else the reader's first. */
  course: Course;
  detail: ReaderDetail;
  timeline: TimelineEvent[];
  next: NextLesson;
  /** Every course the reader is in. */
  enrollments: EnrollmentView[];
}

/**
 * One reader's record, their story in words and why their next email is (not) on its way: in the
 * course asked for (`course`, a slug) when they are in it, else in their first course; and a line
 * for each of their enrollments.
 */
export async function readerView(services: Services, id: string, courseValue?: string): Promise<ReaderView> {
  const { db, catalogue } = services;
  const asked = courseValue ? chooseCourse(catalogue, courseValue, "console") : undefined;
  const course = asked ?? (await enrollmentsOf(db, id)).flatMap((e) => catalogue.get(e.course_slug) ?? [])[0] ?? chooseCourse(catalogue, undefined, "console");
  const detail = await readerDetail(db, id, course.slug);
  if (!detail) throw noSuchReader();
  const now = services.now();
  const enrollments = await Promise.all(
    detail.enrollments.map(async (enrollment): Promise<EnrollmentView> => {
      const of = catalogue.get(enrollment.course_slug);
      if (!of) return { course: undefined, enrollment, next: undefined };
      const history = { ...detail, enrollment, coursePaused: await isCoursePaused(db, of.slug) };
      return { course: of, enrollment, next: explainNextLesson(of, history, now, services.courseDaySeconds, catalogue) };
    }),
  );
  return { course, detail, timeline: buildTimeline(course, detail), next: explainNextLesson(course, detail, now, services.courseDaySeconds, catalogue), enrollments };
}
