import { describe, expect, it } from "vitest";
import ConfirmEmail from "../../../emails/confirm-email.tsx";
import GraduationEmail from "../../../emails/graduation-email.tsx";
import LessonEmail from "../../../emails/lesson-email.tsx";
import NewsletterEmail from "../../../emails/newsletter-email.tsx";
import { previewData, readCourse } from "../../../emails/_components/preview-data.ts";
import { loadCourse } from "../../../src/content/load.ts";
import { copyFixture } from "../content/helpers.ts";

/** `npm run email:dev` shows the course as it is in content/, not a copy that drifts from it. */
describe("the email previews' data", () => {
  it("is the real course in content/, lesson for lesson", async () => {
    const course = await loadCourse("content/couples-therapy-up-close");
    const { course: previewCourse, lesson, creditedLesson } = previewData();
    expect(previewCourse).toEqual(course);
    expect(lesson).toEqual(course.lessons[0]);
    expect(creditedLesson.credit).toBeTruthy();
    expect(creditedLesson.source.url).toMatch(/^https:\/\//);
    // What the React Email preview server reads from each template.
    const props = (component: unknown) => (component as { PreviewProps: Record<string, unknown> }).PreviewProps;
    for (const template of [ConfirmEmail, LessonEmail, GraduationEmail, NewsletterEmail]) expect(props(template).course).toEqual(course);
    expect(props(LessonEmail).lesson).toEqual(course.lessons[0]);
  });

  it("follows an edit to the course, and leaves out a lesson that is mid-edit instead of failing", async () => {
    const fixture = await copyFixture();
    try {
      await fixture.edit("course.yaml", "name: Fixture Course", "name: Renamed While Previewing");
      await fixture.edit("lessons/02-second-steps.md", "title: Second Steps", "title:");
      const course = readCourse(fixture.dir);
      expect(course.name).toBe("Renamed While Previewing");
      expect(course.lessons.map((l) => l.slug)).toEqual(["first-steps"]);
    } finally {
      await fixture.cleanup();
    }
  });
});
