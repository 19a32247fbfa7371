import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { composeEmail } from "../../../render/compose.ts";
import type { ComposableSend } from "../../../render/compose.ts";
import { GRADUATION_SLUG } from "../../../scheduler/due-emails.ts";
import { setCoursePaused } from "../../../store/course-state.ts";
import { pauseEnrollment, resumeEnrollment } from "../../../store/enrollments.ts";
import type { Subscriber } from "../../../store/subscribers.ts";
import { broadcastAdminRoutes } from "./broadcasts.ts";
import { courseAdminRoutes } from "./course.ts";
import { importAdminRoutes } from "./import.ts";

/**
 * Admin surface. Every route here sits behind ADMIN_TOKEN (compared in constant time); without a token configured the whole prefix answers 404, so nothing is exposed by
 * default.
 */
export const adminRoutes = new Hono<AppEnv>()
  .use(async (c, next) => {
    if (!c.var.deps.adminToken) throw new AppError(404, "not_found", "There is nothing at this address.", "Page not found");
    await next();
  })
  .use(
    bearerAuth({
      verifyToken: async (token, c) => timingSafeEqual((c.var as AppEnv["Variables"]).deps.adminToken ?? "", token),
    }),
  )
  .route("/course", courseAdminRoutes)
  .route("/broadcasts", broadcastAdminRoutes)
  .route("/import", importAdminRoutes)
  /**
   * A lesson exactly as one reader would receive it: same template, same personalisation, same
   * headers and unsubscribe link. `reader` is a subscriber id or address; without it, a sample reader.
   */
  .get("/preview/:slug", async (c) => {
    const { deps, now } = c.var;
    const slug = c.req.param("slug");
    const isGraduation = slug === "graduation";
    if (!isGraduation && !deps.course.lessons.some((l) => l.slug === slug)) {
      throw new AppError(404, "unknown_lesson", `There is no lesson "${slug}". Lessons: ${deps.course.lessons.map((l) => l.slug).join(", ")}, graduation.`, "No such lesson");
    }
    const readerParam = c.req.query("reader");
    let reader: Subscriber | undefined;
    if (readerParam) {
      reader = await deps.db.selectFrom("subscribers").selectAll().where((eb) => eb.or([eb("id", "=", readerParam), eb("email", "=", readerParam)])).executeTakeFirst();
      if (!reader) throw new AppError(404, "unknown_reader", `No reader with id or address "${readerParam}".`, "No such reader");
    }
    const subscriber: Subscriber = reader ?? sampleReader(now);
    const send: ComposableSend = { id: "preview", kind: isGraduation ? "graduation" : "lesson", lesson_slug: isGraduation ? GRADUATION_SLUG : slug, created_at: now };
    const email = await composeEmail(send, subscriber, { course: deps.course, appUrl: deps.appUrl, secretKey: deps.secretKey, from: deps.emailFrom ?? "preview", now });
    const format = c.req.query("format") ?? "html";
    if (format === "text") return c.text(email.text);
    if (format === "json") return c.json({ from: email.from, to: email.to, subject: email.subject, headers: email.headers, html: email.html, text: email.text });
    if (format !== "html") throw new AppError(400, "bad_format", 'format must be "html", "text" or "json".');
    // The email's own markup, sandboxed like the outbox view: no scripts, no same-origin access.
    c.header("Content-Security-Policy", "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'");
    return c.html(email.html);
  })
  // Pause and resume: per reader (by enrollment) and for the whole course. Nothing queued is lost;
  // parked emails go out after resume.
  .post("/api/enrollments/:id/pause", async (c) => {
    const changed = await pauseEnrollment(c.var.deps.db, c.req.param("id"), c.var.now);
    if (!changed) throw new AppError(409, "not_active", "That enrollment is not active, so it cannot be paused.");
    return c.json({ status: "paused" });
  })
  .post("/api/enrollments/:id/resume", async (c) => {
    const changed = await resumeEnrollment(c.var.deps.db, c.req.param("id"), c.var.now);
    if (!changed) throw new AppError(409, "not_paused", "That enrollment is not paused.");
    return c.json({ status: "active" });
  })
  .post("/api/course/pause", async (c) => {
    await setCoursePaused(c.var.deps.db, c.var.deps.course.slug, true, c.var.now);
    return c.json({ course: c.var.deps.course.slug, paused: true });
  })
  .post("/api/course/resume", async (c) => {
    await setCoursePaused(c.var.deps.db, c.var.deps.course.slug, false, c.var.now);
    return c.json({ course: c.var.deps.course.slug, paused: false });
  });

function sampleReader(now: number): Subscriber {
  return {
    id: "00000000-0000-4000-8000-000000000000",
    email: "reader@example.com",
    name: "Sam",
    timezone: "UTC",
    status: "active",
    created_at: now,
    updated_at: now,
    confirmed_at: now,
    unsubscribed_at: null,
    confirmation_sent_at: null,
    consent_at: now,
    consent_ip: null,
    consent_user_agent: null,
    consent_form: "preview",
    consent_text_version: "preview",
  };
}
