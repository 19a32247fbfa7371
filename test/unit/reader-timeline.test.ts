import { describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { buildTimeline, explainNextLesson, failureReason } from "../../src/domain/reader-timeline.ts";
import type { HistorySend, ReaderHistory } from "../../src/domain/reader-timeline.ts";

const course = await loadCourse("content/couples-therapy-up-close");
const lesson = course.lessons[1]!;
const T = Date.UTC(2026, 10, 2, 9);

function failedHistory(error: string, attempts: number): ReaderHistory {
  const send: HistorySend = {
    id: "s1", kind: "lesson", lesson_slug: lesson.slug, enrollment_id: "e1", status: "failed", attempts, error, skip_reason: null, broadcast_subject: null,
    created_at: T, updated_at: T + 60_000, sent_at: null, delivered_at: null, delayed_at: null, opened_at: null, clicked_at: null, bounced_at: null, complained_at: null,
  };
  return {
    subscriber: { status: "active", timezone: "Europe/Paris", created_at: T - 86_400_000, confirmed_at: T - 86_400_000, confirmation_sent_at: T - 86_400_000, unsubscribed_at: null },
    enrollment: { id: "e1", status: "active", started_at: T - 86_400_000, updated_at: T, completed_at: null, paused_until: null, last_day: 0, last_sent_at: T - 86_400_000, next_due_at: null },
    sends: [send],
    consent: [],
    coursePaused: false,
  };
}

describe("the reader timeline's wording", () => {
  it("says how many attempts a failed lesson took once, not again from the worker's reason", () => {
    const texts = buildTimeline(course, failedHistory("gave up after 2 attempts: provider said 503", 2)).map((e) => e.text);
    const failed = texts.find((t) => t.includes("failed after"));
    expect(failed).toBe(`Lesson ${lesson.number} “${lesson.title}” failed after 2 attempts: provider said 503`);
    expect(texts.join("\n")).not.toMatch(/gave up after/);
  });

  it("gives a failure's reason on one line and says on the next only that the course is held", () => {
    const texts = buildTimeline(course, failedHistory("validation_error: bad domain", 1)).map((e) => e.text);
    expect(texts.filter((t) => t.includes("bad domain"))).toHaveLength(1);
    expect(texts).toContain(`Course held: nothing more is sent until lesson ${lesson.number} is retried or skipped`);
  });

  it("explains a held course with the reason alone", () => {
    const next = explainNextLesson(course, failedHistory("gave up after 8 attempts: provider said 503", 8), T + 120_000);
    expect(next.sentence).toBe(`Held: lesson ${lesson.number} failed: provider said 503. Nothing more is sent until it is retried or skipped.`);
  });

  it("keeps a reason that does not start with the worker's lead as it is", () => {
    expect(failureReason("provider said 503")).toBe("provider said 503");
    expect(failureReason(null)).toBe("no reason recorded");
    expect(failureReason("gave up after 1 attempt: timeout")).toBe("timeout");
  });
});
