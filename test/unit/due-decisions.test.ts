import { beforeAll, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { GRADUATION_SLUG, scheduleRulesFor } from "../../src/domain/course-plan.ts";
import { decideDue, retime } from "../../src/domain/due-decisions.ts";
import type { DueEnrollment, PlacedEnrollment } from "../../src/domain/due-decisions.ts";
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

function due(overrides: Partial<DueEnrollment> = {}): DueEnrollment {
  return { id: "e1", subscriberId: "s1", subscriberStatus: "active", startedAt: T0, lastDay: -1, lastSentAt: null, lastDeliveredAt: null, timezone: "UTC", ...overrides };
}

describe("decideDue", () => {
  it("ends the enrollment of a reader who is no longer active, without an email", () => {
    const decisions = decideDue(course, rules(), [due({ subscriberStatus: "unsubscribed" })], T0);
    expect(decisions).toEqual({ cancel: ["e1"], complete: [], refile: [], advance: [] });
  });

  it("completes an enrollment with nothing left to send", () => {
    const decisions = decideDue(course, rules(), [due({ lastDay: course.graduationDay })], T0 + 100 * DAY);
    expect(decisions).toEqual({ cancel: [], complete: ["e1"], refile: [], advance: [] });
  });

  it("advances a due reader to their next lesson and names its ledger row by enrollment and lesson", () => {
    const [first, second] = course.lessons;
    const { advance } = decideDue(course, rules(), [due()], T0 + first!.day * DAY);
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
    const { advance } = decideDue(course, rules(), [due({ lastDay: last.day, lastSentAt: T0 + last.day * DAY })], now);
    expect(advance).toHaveLength(1);
    expect(advance[0]).toMatchObject({ lastDay: course.graduationDay, nextSlug: null, nextDueAt: null, completed: true });
    expect(advance[0]!.email).toEqual({ dedupeKey: "graduation:e1", kind: "graduation", subscriberId: "s1", enrollmentId: "e1", lessonSlug: null });
  });

  it("re-files instead of sending when the provider took the previous email less than a day ago", () => {
    const [first, second] = course.lessons;
    const now = T0 + second!.day * DAY;
    // Queued on time, but the provider only took it just now: the gap counts from delivery.
    const decisions = decideDue(course, rules(), [due({ lastDay: first!.day, lastSentAt: T0 + first!.day * DAY, lastDeliveredAt: now })], now);
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
