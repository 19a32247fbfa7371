import { Hono } from "hono";
import type { Context } from "hono";
import { chooseCourse } from "../../../commands/course-admin.ts";
import { eraseReaderAsAdmin, exportReader, listReaders, READER_ACTIONS, readerView, runReaderAction } from "../../../commands/reader-actions.ts";
import type { Course } from "../../../content/schema.ts";
import { malformed } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { courseHref, courseNav } from "../../views/admin/parts.tsx";
import { readerPage, readersPage } from "../../views/admin/readers.tsx";

/**
 * Readers in the console: a course's readers (`?course=`, else the default course), one reader's
 * story with each of their courses, and the admin's actions on them. The actions are commands
 * (src/commands/reader-actions.ts), the same ones the JSON API and the CLI run.
 */

type Ctx = Context<AppEnv>;

function noticeFor(c: Ctx, course: Course): string | undefined {
  const code = c.req.query("notice");
  const slug = c.req.query("lesson");
  const lesson = slug ? course.lessons.find((l) => l.slug === slug) : undefined;
  const named = lesson ? `Lesson ${lesson.number} “${lesson.title}”` : "The lesson";
  switch (code) {
    case "send-lesson":
      return `${named} is queued to go out now.`;
    case "move":
      return `${named} is now their next lesson; it goes out on the scheduler's next tick.`;
    case "pause":
      return "Paused. Their place in the course is kept.";
    case "resume":
      return "Resumed. Their next lesson is timed from now.";
    case "unsubscribe":
      return "Unsubscribed from all email.";
    case "retry-lesson":
      return "The held lesson is back in the queue.";
    case "skip-lesson":
      return "The held lesson was skipped; the course goes on.";
    case "deleted":
      return "The reader was erased. Only a hash of their address is kept, so it is never mailed by accident.";
    default:
      return undefined;
  }
}

/** An unreadable body is already a 400 (the app's body guard). */
async function formFields(c: Ctx): Promise<Record<string, unknown>> {
  return c.req.parseBody();
}

const readerActionRoutes = new Hono<AppEnv>();
for (const action of READER_ACTIONS) {
  readerActionRoutes.post(`/:id/${action}`, async (c) => {
    const id = c.req.param("id");
    const fields = await formFields(c);
    const outcome = await runReaderAction(servicesFor(c), id, action, { ...fields, course: fields.course ?? c.req.query("course") });
    const query = new URLSearchParams({ notice: action, ...(outcome.lesson ? { lesson: outcome.lesson.slug } : {}) });
    const { catalogue } = c.var.deps;
    const course = outcome.course ?? chooseCourse(catalogue, c.req.query("course"), "console");
    return c.redirect(courseHref(courseNav(catalogue, course), `/admin/readers/${encodeURIComponent(id)}?${query}`), 303);
  });
}

export const readerRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { catalogue } = c.var.deps;
    const course = chooseCourse(catalogue, c.req.query("course"), "console");
    const list = await listReaders(servicesFor(c), course, c.req.query());
    return c.html(readersPage({ course, nav: courseNav(catalogue, course), ...list, zone: course.schedule.timezone, message: noticeFor(c, course) }));
  })
  .get("/:id", async (c) => {
    const { catalogue } = c.var.deps;
    const view = await readerView(servicesFor(c), c.req.param("id"), c.req.query("course"));
    return c.html(readerPage({ ...view, nav: courseNav(catalogue, view.course), zone: view.course.schedule.timezone, message: noticeFor(c, view.course) }));
  })
  .route("/", readerActionRoutes)
  .post("/:id/export", async (c) => {
    const id = c.req.param("id");
    const data = await exportReader(servicesFor(c), id);
    return c.body(JSON.stringify(data, null, 2), 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="reader-${id.replace(/[^\w-]/g, "")}.json"`,
      "cache-control": "no-store",
    });
  })
  .post("/:id/delete", async (c) => {
    const id = c.req.param("id");
    const fields = await formFields(c);
    if (fields.confirm !== "yes") throw malformed("confirm_required", "Tick the box to confirm the erasure; nothing was deleted.", "Not confirmed");
    await eraseReaderAsAdmin(servicesFor(c), id);
    const { catalogue } = c.var.deps;
    return c.redirect(courseHref(courseNav(catalogue, chooseCourse(catalogue, c.req.query("course"), "console")), "/admin/readers?notice=deleted"), 303);
  });
