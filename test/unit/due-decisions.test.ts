import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue, loadCourse } from "../../src/content/load.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import type { Course } from "../../src/content/schema.ts";
import { GRADUATION_SLUG, scheduleRulesFor } from "../../src/domain/course-plan.ts";
import { decideDue, otherCourseWait, retime } from "../../src/domain/due-decisions.ts";
import type { CourseEmail, CoursePlan, DueEnrollment, PlacedEnrollment } from "../../src/domain/due-decisions.ts";
import { coursePlans } from "../../src/commands/queue-due-emails.ts";
import { explainNextLesson } from "../../src/domain/reader-timeline.ts";
import type { HistorySend, ReaderHistory } from "../../src/domain/reader-timeline.ts";
import { minimalFixtureDir } from "./content/helpers.ts";

/** A compressed calendar: a course day is a minute, so due times are plain arithmetic. */
const DAY_SECONDS = 60;
const DAY = DAY_SECONDS * 1000;
const T0 = Date.UTC(2026, 2, 2, 12, 0);

let course: Course;
beforeAll(async () => {
  course = await loadCourse(minimalFixtureDir);
});
const rules = () => scheduleRulesFor(course, DAY_SECONDS);
const plans = (): ReadonlyMap<string, CoursePlan> => new Map([[course.slug, { course, rules: rules() }]]);

function due(overrides: Partial<DueEnrollment> = {}): DueEnrollment {
  return { id: "e1", courseSlug: course.slug, subscriberId: "s1", subscriberStatus: "active", startedAt: T0, lastDay: -1, lastSentAt: null, lastDeliveredAt: null, timezone: "UTC", ...overrides };
}

describe("decideDue", () => {
  it("ends the enrollment of a reader who is no longer active, without an email", () => {
    const decisions = decideDue(plans(), [due({ subscriberStatus: "unsubscribed" })], T0);
    expect(decisions).toEqual({ cancel: ["e1"], complete: [], refile: [], advance: [] });
  });

  it("completes an enrollment with nothing left to send", () => {
    const decisions = decideDue(plans(), [due({ lastDay: course.graduationDay })], T0 + 100 * DAY);
    expect(decisions).toEqual({ cancel: [], complete: ["e1"], refile: [], advance: [] });
  });

  it("advances a due reader to their next lesson and names its ledger row by enrollment and lesson", () => {
    const [first, second] = course.lessons;
    const { advance } = decideDue(plans(), [due()], T0 + first!.day * DAY);
    expect(advance).toEqual([
      {
        id: "e1",
        oldLastDay: -1,
        lastDay: first!.day,
        lastSentAt: T0 + first!.day * DAY,
        nextSlug: second!.slug,
        nextDueAt: T0 + second!.day * DAY,
        completed: false,
        email: { dedupeKey: `lesson:e1:${first!.slug}`, kind: "lesson", subscriberId: "s1", enrollmentId: "e1", lessonSlug: first!.slug },
      },
    ]);
  });

  it("queues graduation after the last lesson and marks the enrollment complete", () => {
    const last = course.lessons.at(-1)!;
    const now = T0 + course.graduationDay * DAY;
    const { advance } = decideDue(plans(), [due({ lastDay: last.day, lastSentAt: T0 + last.day * DAY })], now);
    expect(advance).toHaveLength(1);
    expect(advance[0]).toMatchObject({ lastDay: course.graduationDay, nextSlug: null, nextDueAt: null, completed: true });
    expect(advance[0]!.email).toEqual({ dedupeKey: "graduation:e1", kind: "graduation", subscriberId: "s1", enrollmentId: "e1", lessonSlug: null });
  });

  it("re-files instead of sending when the provider took the previous email less than a day ago", () => {
    const [first, second] = course.lessons;
    const now = T0 + second!.day * DAY;
    // Queued on time, but the provider only took it just now: the gap counts from delivery.
    const decisions = decideDue(plans(), [due({ lastDay: first!.day, lastSentAt: T0 + first!.day * DAY, lastDeliveredAt: now })], now);
    expect(decisions.advance).toEqual([]);
    expect(decisions.refile).toEqual([{ id: "e1", oldLastDay: first!.day, lastDay: first!.day, lastSentAt: T0 + first!.day * DAY, nextSlug: second!.slug, nextDueAt: now + DAY, completed: false }]);
  });
});

describe("retime", () => {
  const placed = (id: string, overrides: Partial<PlacedEnrollment> = {}): PlacedEnrollment => ({ id, startedAt: T0, lastDay: -1, lastSentAt: null, nextSlug: null, nextDueAt: null, timezone: "UTC", ...overrides });

  it("groups readers who share a new next email and due time, and leaves readers already on time alone", () => {
    const first = course.lessons[0]!;
    const onTime = placed("c", { nextSlug: first.slug, nextDueAt: T0 + first.day * DAY });
    const groups = retime(course, rules(), [placed("a"), placed("b"), onTime], T0);
    expect(groups).toEqual([{ slug: first.slug, due: T0 + first.day * DAY, lastDay: -1, ids: ["a", "b"] }]);
  });

  it("points readers past the last email at nothing, due now", () => {
    const groups = retime(course, rules(), [placed("a", { lastDay: course.graduationDay, nextSlug: GRADUATION_SLUG, nextDueAt: T0 })], T0 + 5);
    expect(groups).toEqual([{ slug: null, due: T0 + 5, lastDay: course.graduationDay, ids: ["a"] }]);
  });
});

/**
 * One lesson a day across courses, on the two-course fixture's real calendar: morning-pages and
 * evening-review both send lesson 2 on day 2 at 07:00 in the reader's zone (default UTC).
 */
describe("one lesson a day across courses", () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
  });
  const at = (iso: string, zone = "UTC") => DateTime.fromISO(iso, { zone }).toMillis();
  const joined = at("2026-03-02T10:00");
  const enrollment = (courseSlug: string, overrides: Partial<DueEnrollment> = {}): DueEnrollment => ({
    id: `${courseSlug}-enrollment`,
    courseSlug,
    subscriberId: "reader",
    subscriberStatus: "active",
    startedAt: joined,
    lastDay: 0,
    lastSentAt: joined,
    lastDeliveredAt: joined,
    timezone: "UTC",
    ...overrides,
  });
  const email = (courseSlug: string, lessonSlug: string, queuedAt: number, overrides: Partial<CourseEmail> = {}): CourseEmail => ({
    subscriberId: "reader",
    enrollmentId: `${courseSlug}-enrollment`,
    courseSlug,
    kind: "lesson",
    lessonSlug,
    queuedAt,
    sentAt: queuedAt,
    ...overrides,
  });
  const firstLessons = () => [email("morning-pages", "first-light", joined), email("evening-review", "look-back", joined)];

  it("sends one of two lesson 2s due the same day and re-files the other for the next day's send hour", () => {
    const day2 = at("2026-03-04T07:00");
    const decisions = decideDue(coursePlans(catalogue, undefined), [enrollment("evening-review"), enrollment("morning-pages")], day2, firstLessons());
    expect(decisions.advance.map((a) => a.email.dedupeKey)).toEqual(["lesson:evening-review-enrollment:let-go"]);
    expect(decisions.refile).toEqual([
      { id: "morning-pages-enrollment", oldLastDay: 0, lastDay: 0, lastSentAt: joined, nextSlug: "keep-going", nextDueAt: at("2026-03-05T07:00"), completed: false },
    ]);

    // The next day it goes: the day is free again.
    const day3 = at("2026-03-05T07:00");
    const next = decideDue(coursePlans(catalogue, undefined), [enrollment("morning-pages")], day3, [...firstLessons(), email("evening-review", "let-go", day2)]);
    expect(next.advance.map((a) => a.email.lessonSlug)).toEqual(["keep-going"]);
    expect(next.refile).toEqual([]);
  });

  it("holds a lesson when another course's lesson is still queued for the reader that day", () => {
    const now = at("2026-03-04T07:05");
    const queued = email("evening-review", "let-go", at("2026-03-04T07:00"), { sentAt: null });
    const { advance, refile } = decideDue(coursePlans(catalogue, undefined), [enrollment("morning-pages")], now, [...firstLessons(), queued]);
    expect(advance).toEqual([]);
    expect(refile[0]!.nextDueAt).toBe(at("2026-03-05T07:00"));
  });

  it("never holds back lesson 1 of a course just joined, even on a day another course's lesson went out", () => {
    const now = at("2026-03-04T12:00");
    const fresh = enrollment("evening-review", { startedAt: now, lastDay: -1, lastSentAt: null, lastDeliveredAt: null });
    const decisions = decideDue(coursePlans(catalogue, undefined), [fresh], now, [email("morning-pages", "keep-going", at("2026-03-04T07:00"))]);
    expect(decisions.advance.map((a) => a.email.lessonSlug)).toEqual(["look-back"]);
    expect(decisions.refile).toEqual([]);
  });

  it("does not delay a lesson when the other course's lesson went out on an earlier local day", () => {
    const now = at("2026-03-04T07:00");
    const decisions = decideDue(coursePlans(catalogue, undefined), [enrollment("morning-pages")], now, [email("evening-review", "let-go", at("2026-03-03T23:30"))]);
    expect(decisions.advance.map((a) => a.email.lessonSlug)).toEqual(["keep-going"]);
  });

  it("counts the day in the reader's own zone: the same two moments are one day in New York and two in UTC", () => {
    // 23:30 UTC on the 3rd and 01:00 UTC on the 4th are both the evening of the 3rd in New York.
    const other = email("evening-review", "let-go", at("2026-03-03T23:30"));
    const now = at("2026-03-04T01:00");
    const overdue = { startedAt: now - 5 * 24 * 3600_000, lastSentAt: now - 5 * 24 * 3600_000, lastDeliveredAt: now - 5 * 24 * 3600_000 };
    const plans = coursePlans(catalogue, undefined);
    const london = decideDue(plans, [enrollment("morning-pages", { ...overdue, timezone: "UTC" })], now, [other]);
    expect(london.advance).toHaveLength(1);
    const newYork = decideDue(plans, [enrollment("morning-pages", { ...overdue, timezone: "America/New_York" })], now, [other]);
    expect(newYork.advance).toEqual([]);
    expect(newYork.refile[0]!.nextDueAt).toBe(at("2026-03-04T07:00", "America/New_York"));
  });

  it("names the other course's email that has the day, and moves on past every taken day", () => {
    const rules = scheduleRulesFor(catalogue.get("morning-pages")!, undefined);
    const taken = [email("evening-review", "let-go", at("2026-03-04T07:00")), email("other-course", "x", at("2026-03-05T07:00"), { enrollmentId: "other" })];
    const wait = otherCourseWait(at("2026-03-04T09:00"), "morning-pages-enrollment", "UTC", rules, taken);
    expect(wait).toEqual({ until: at("2026-03-06T07:00"), blocker: taken[0] });
    // Its own course's emails never hold it: the gap rule already spaces those.
    expect(otherCourseWait(at("2026-03-04T09:00"), "evening-review-enrollment", "UTC", rules, taken.slice(0, 1))).toBeUndefined();
  });

  it("waits for the next day the course sends on: a weekday course held on a Friday goes on Monday", () => {
    const course = catalogue.get("morning-pages")!;
    const rules = scheduleRulesFor({ ...course, schedule: { ...course.schedule, weekdays: ["mon", "tue", "wed", "thu", "fri"] } }, undefined);
    const friday = at("2026-03-06T07:00");
    expect(DateTime.fromMillis(friday, { zone: "UTC" }).weekdayShort).toBe("Fri");
    const wait = otherCourseWait(friday, "morning-pages-enrollment", "UTC", rules, [email("evening-review", "let-go", friday)]);
    expect(wait?.until).toBe(at("2026-03-09T07:00"));
  });

  it("on a compressed calendar keeps a course day between two courses' lessons", () => {
    const rules = scheduleRulesFor(catalogue.get("morning-pages")!, DAY_SECONDS);
    const other = email("evening-review", "let-go", T0);
    expect(otherCourseWait(T0 + DAY / 2, "morning-pages-enrollment", "UTC", rules, [other])).toEqual({ until: T0 + DAY, blocker: other });
    expect(otherCourseWait(T0 + DAY, "morning-pages-enrollment", "UTC", rules, [other])).toBeUndefined();
  });

  it("leaves alone an enrollment whose course is not in the catalogue", () => {
    const decisions = decideDue(coursePlans(catalogue, undefined), [enrollment("gone-course")], at("2026-03-04T07:00"));
    expect(decisions).toEqual({ cancel: [], complete: [], refile: [], advance: [] });
  });
});

describe("the reader timeline on a lesson that waits for another course's", () => {
  let catalogue: Catalogue;
  beforeAll(async () => {
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
  });
  const at = (iso: string) => DateTime.fromISO(iso, { zone: "UTC" }).toMillis();
  const joined = at("2026-03-02T10:00");
  const row = (id: string, courseSlug: string, lessonSlug: string, sentAt: number | null): HistorySend => ({
    id,
    kind: "lesson",
    lesson_slug: lessonSlug,
    enrollment_id: `${courseSlug}-enrollment`,
    course_slug: courseSlug,
    status: sentAt === null ? "queued" : "sent",
    attempts: sentAt === null ? 0 : 1,
    error: null,
    skip_reason: null,
    broadcast_subject: null,
    created_at: sentAt ?? at("2026-03-04T07:00"),
    updated_at: sentAt ?? at("2026-03-04T07:00"),
    sent_at: sentAt,
    delivered_at: null,
    delayed_at: null,
    opened_at: null,
    clicked_at: null,
    bounced_at: null,
    complained_at: null,
  });
  const history = (eveningLesson2SentAt: number | null, nextDueAt: number): ReaderHistory => ({
    subscriber: { status: "active", timezone: "UTC", created_at: joined, confirmed_at: joined, confirmation_sent_at: joined, unsubscribed_at: null },
    enrollment: { id: "morning-pages-enrollment", status: "active", started_at: joined, updated_at: joined, completed_at: null, paused_until: null, last_day: 0, last_sent_at: joined, next_due_at: nextDueAt },
    sends: [row("a", "morning-pages", "first-light", joined), row("b", "evening-review", "look-back", joined), row("c", "evening-review", "let-go", eveningLesson2SentAt)],
    consent: [],
    coursePaused: false,
  });

  it("says the lesson waits a day, which course's lesson has the day, and when it goes instead", () => {
    const morning = catalogue.get("morning-pages")!;
    // The tick held lesson 2 at 07:00 on day 2 and re-filed it for the next day's send hour.
    const next = explainNextLesson(morning, history(at("2026-03-04T07:00"), at("2026-03-05T07:00")), at("2026-03-04T12:00"), undefined, catalogue);
    expect(next).toMatchObject({ slug: "keep-going", dueAt: at("2026-03-05T07:00") });
    expect(next.sentence).toBe("Lesson 2 (“Keep Going”) waits a day: Evening Review lesson 2 went out that day. It is due Thu 5 Mar 07:00 UTC.");
  });

  it("says so before the tick has held it, and for a lesson still queued", () => {
    const morning = catalogue.get("morning-pages")!;
    const next = explainNextLesson(morning, history(null, at("2026-03-04T07:00")), at("2026-03-04T07:00"), undefined, catalogue);
    expect(next.sentence).toBe("Lesson 2 (“Keep Going”) waits a day: Evening Review lesson 2 is queued for that day. It is due Thu 5 Mar 07:00 UTC.");
  });

  it("says the lesson is due once the other course's day has passed", () => {
    const morning = catalogue.get("morning-pages")!;
    const next = explainNextLesson(morning, history(at("2026-03-04T07:00"), at("2026-03-05T07:00")), at("2026-03-05T07:30"), undefined, catalogue);
    expect(next.sentence).toBe("Lesson 2 (“Keep Going”) is due now; the scheduler sends it on its next tick.");
  });
});
