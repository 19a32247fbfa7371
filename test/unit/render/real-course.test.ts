import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCourse } from "../../../src/content/load.ts";
import type { Course } from "../../../src/content/schema.ts";
import { renderGraduationEmail, renderLessonEmail } from "../../../src/render/emails.ts";
import { hrefs, visibleText } from "./fixtures.ts";

/** The shipped course must render cleanly too, not just the fixtures. */

const CONTENT_DIR = resolve(import.meta.dirname, "../../../content/couples-therapy-up-close");
const UNSUBSCRIBE = "https://lp.test/u/real-course";

let course: Course;

beforeAll(async () => {
  course = await loadCourse(CONTENT_DIR);
});

/** The last sentence of the body's last paragraph, as a reader would see it. */
function lastSentence(markdown: string): string {
  const paragraph =
    markdown
      .trim()
      .split(/\n\s*\n/)
      .at(-1) ?? "";
  return (paragraph.match(/[^.!?]+[.!?]$/)?.[0] ?? paragraph).trim();
}

describe("the real course in content/", () => {
  it("has lessons to render", () => {
    expect(course.lessons.length).toBeGreaterThan(0);
  });

  it("renders every lesson with its body, credit and footer in both parts", () => {
    for (const lesson of course.lessons) {
      const { subject, html, text } = renderLessonEmail({
        course,
        lesson,
        recipient: { email: "r@lp.test", name: "Reader" },
        unsubscribeUrl: UNSUBSCRIBE,
      });
      const visible = visibleText(html);
      const ending = lastSentence(lesson.markdown);
      expect(subject).toBe(lesson.subject);
      for (const part of [visible, text]) {
        expect(part).toContain(lesson.title);
        expect(part).toContain(`Lesson ${lesson.number} of ${course.lessons.length}`);
        expect(part).toContain(ending);
        expect(part).toContain(`Written by ${lesson.author}.`);
        expect(part).toContain(lesson.source.name);
        expect(part).toContain(course.postalAddress);
        if (lesson.credit) expect(part).toContain(lesson.credit);
      }
      expect(hrefs(html)).toContain(UNSUBSCRIBE);
      if (lesson.source.url) expect(hrefs(html)).toContain(lesson.source.url);
      expect(text).not.toMatch(/<\/?[a-z]+[^>]*>/i);
    }
  });

  it("renders the graduation email with the course's subject", () => {
    const { subject, text } = renderGraduationEmail({
      course,
      recipient: { email: "r@lp.test" },
      unsubscribeUrl: UNSUBSCRIBE,
    });
    expect(subject).toBe(course.graduation.subject);
    for (const lesson of course.lessons) expect(text).toContain(lesson.title);
  });
});
