import { Hono } from "hono";
import { sampleReader } from "../../../render/sample-reader.ts";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { composeEmail } from "../../../render/compose.ts";
import type { ComposableSend } from "../../../render/compose.ts";
import { GRADUATION_SLUG } from "../../../domain/course-plan.ts";
import type { Subscriber } from "../../../store/subscribers.ts";
import { apiRoutes } from "./api.ts";
import { adminGate, authRoutes } from "./auth.ts";
import { broadcastAdminRoutes } from "./broadcasts.ts";
import { courseAdminRoutes } from "./course.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { failedRoutes } from "./failed.ts";
import { importAdminRoutes } from "./import.ts";
import { readerRoutes } from "./readers.ts";
import { emailKey } from "../../../email-address.ts";

/**
 * The admin console and its API. One gate (./auth.ts) stands in front of every route here, the
 * mounted sub-apps included: a session cookie for pages, a bearer token for /admin/api (either
 * works on both). Without ADMIN_TOKEN or ADMIN_PASSWORD_HASH the whole prefix answers 404, so
 * nothing is exposed by default.
 */
export const adminRoutes = new Hono<AppEnv>()
  .use(adminGate)
  .route("/", authRoutes)
  .route("/api", apiRoutes)
  .route("/", dashboardRoutes)
  .route("/readers", readerRoutes)
  .route("/failed", failedRoutes)
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
      reader = await deps.db.selectFrom("subscribers").selectAll().where((eb) => eb.or([eb("id", "=", readerParam), eb("email_key", "=", emailKey(readerParam))])).executeTakeFirst();
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
  });

