import { Hono } from "hono";
import type { Context } from "hono";
import { chooseCourse, courseFigures, previewLesson, previewReader, queueTestEmail, requirePreviewSlug, sentTo, setCoursePausedByAdmin } from "../../../commands/course-admin.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { coursePage, lessonPreviewPage } from "../../views/admin/course.tsx";
import { courseHref, courseNav } from "../../views/admin/parts.tsx";

/**
 * The course the page is about, from `?course=` (else the default; see chooseCourse). Pausing or
 * resuming ("strict") must name the course once there are several.
 */
function pageCourse(c: Context<AppEnv>, mode: "console" | "strict" = "console") {
  const { catalogue } = c.var.deps;
  const course = chooseCourse(catalogue, c.req.query("course"), mode);
  return { course, nav: courseNav(catalogue, course) };
}

const NOTICES: Record<string, string> = {
  paused: "The course is paused. Queued lessons wait until you resume.",
  resumed: "The course is running again. Lessons that waited go out now.",
};

/**
 * A course in the admin console (the one `?course=` names, else the default): its schedule, where
 * readers are in it, each lesson as a chosen reader receives it, test sends, pausing the whole
 * course, and the signup form to embed. Mounted at /admin/course.
 */
export const courseAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { deps } = c.var;
    const { course, nav } = pageCourse(c);
    const view = await courseFigures(servicesFor(c), course);
    const embed = { appUrl: deps.appUrl, allowedOrigins: deps.allowedOrigins ?? [] };
    return c.html(coursePage({ ...view, nav, embed, message: NOTICES[c.req.query("notice") ?? ""] }));
  })
  .post("/pause", async (c) => {
    const { course, nav } = pageCourse(c, "strict");
    await setCoursePausedByAdmin(servicesFor(c), course, true);
    return c.redirect(courseHref(nav, "/admin/course?notice=paused"), 303);
  })
  .post("/resume", async (c) => {
    const { course, nav } = pageCourse(c, "strict");
    await setCoursePausedByAdmin(servicesFor(c), course, false);
    return c.redirect(courseHref(nav, "/admin/course?notice=resumed"), 303);
  })
  .get("/preview", async (c) => {
    const { deps } = c.var;
    const services = servicesFor(c);
    const { course, nav } = pageCourse(c);
    const slug = c.req.query("lesson") || course.lessons[0]?.slug || "graduation";
    requirePreviewSlug(course, slug);
    const readerParam = c.req.query("reader") ?? "";
    const { subscriber, sample } = await previewReader(services, readerParam);
    const email = await previewLesson(services, course, slug, subscriber, deps.emailFrom ?? "preview");
    const lesson = course.lessons.find((l) => l.slug === slug);
    const title = lesson ? `${lesson.number}. ${lesson.title}` : "Graduation email";
    return c.html(
      lessonPreviewPage({
        course,
        nav,
        slug,
        title,
        reader: { id: subscriber.id, email: subscriber.email, sample },
        readerParam,
        email,
        sentTo: sentTo(c.req.query("sent_to")),
      }),
    );
  })
  .post("/test", async (c) => {
    const services = servicesFor(c);
    const { course, nav } = pageCourse(c);
    const body = await c.req.parseBody();
    const slug = typeof body.lesson === "string" ? body.lesson : "";
    requirePreviewSlug(course, slug);
    const to = await queueTestEmail(services, body.to, { lessonSlug: slug, courseSlug: course.slug });
    return c.redirect(courseHref(nav, `/admin/course/preview?lesson=${encodeURIComponent(slug)}&sent_to=${encodeURIComponent(to)}`), 303);
  });
