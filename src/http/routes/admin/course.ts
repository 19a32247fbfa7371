import { Hono } from "hono";
import { courseFigures, previewLesson, previewReader, queueTestEmail, requirePreviewSlug, sentTo, setCoursePausedByAdmin } from "../../../commands/course-admin.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { coursePage, lessonPreviewPage } from "../../views/admin/course.tsx";

const NOTICES: Record<string, string> = {
  paused: "The course is paused. Queued lessons wait until you resume.",
  resumed: "The course is running again. Lessons that waited go out now.",
};

/**
 * The course in the admin console: its schedule, where readers are in it, each lesson as a
 * chosen reader receives it, test sends, and pausing the whole course. Mounted at /admin/course.
 */
export const courseAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { deps } = c.var;
    const view = await courseFigures(servicesFor(c));
    const embed = { appUrl: deps.appUrl, allowedOrigins: deps.allowedOrigins ?? [] };
    return c.html(coursePage({ ...view, embed, message: NOTICES[c.req.query("notice") ?? ""] }));
  })
  .post("/pause", async (c) => {
    await setCoursePausedByAdmin(servicesFor(c), true);
    return c.redirect("/admin/course?notice=paused", 303);
  })
  .post("/resume", async (c) => {
    await setCoursePausedByAdmin(servicesFor(c), false);
    return c.redirect("/admin/course?notice=resumed", 303);
  })
  .get("/preview", async (c) => {
    const { deps } = c.var;
    const services = servicesFor(c);
    const slug = c.req.query("lesson") || deps.catalogue.primary.lessons[0]?.slug || "graduation";
    requirePreviewSlug(services, slug);
    const readerParam = c.req.query("reader") ?? "";
    const { subscriber, sample } = await previewReader(services, readerParam);
    const email = await previewLesson(services, slug, subscriber, deps.emailFrom ?? "preview");
    const lesson = deps.catalogue.primary.lessons.find((l) => l.slug === slug);
    const title = lesson ? `${lesson.number}. ${lesson.title}` : "Graduation email";
    return c.html(
      lessonPreviewPage({
        course: deps.catalogue.primary,
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
    const body = await c.req.parseBody();
    const slug = typeof body.lesson === "string" ? body.lesson : "";
    requirePreviewSlug(services, slug);
    const to = await queueTestEmail(services, body.to, { lessonSlug: slug });
    return c.redirect(`/admin/course/preview?lesson=${encodeURIComponent(slug)}&sent_to=${encodeURIComponent(to)}`, 303);
  });
