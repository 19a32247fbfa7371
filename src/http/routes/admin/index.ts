import { Hono } from "hono";
import { chooseCourse, previewLesson, previewReader, requirePreviewSlug } from "../../../commands/course-admin.ts";
import { malformed } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { presentEmail } from "../../presenters/admin-api.ts";
import { servicesFor } from "../../services.ts";
import { analyticsAdminRoutes } from "./analytics.ts";
import { analyticsApiRoutes } from "./api-analytics.ts";
import { requireScope } from "../../api-scopes.ts";
import { apiRoutes } from "./api.ts";
import { apiReferenceRoutes } from "./api-reference.ts";
import { apiSendingRoutes } from "./api-sending.ts";
import { webhookApiRoutes } from "./api-webhooks.ts";
import { adminGate, authRoutes } from "./auth.ts";
import { broadcastAdminRoutes } from "./broadcasts.ts";
import { courseAdminRoutes } from "./course.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { failedRoutes } from "./failed.ts";
import { importAdminRoutes } from "./import.ts";
import { keyAdminRoutes } from "./keys.ts";
import { readerRoutes } from "./readers.ts";
import { sendingAdminRoutes } from "./sending.ts";
import { sendingStatusForPages } from "../../sending-notice.ts";
import { webhookAdminRoutes } from "./webhooks.ts";

/**
 * The admin console and its API. One gate (./auth.ts) stands in front of every route here, the
 * mounted sub-apps included: a session cookie for pages, a bearer token for /admin/api (either
 * works on both). Without ADMIN_TOKEN or ADMIN_PASSWORD_HASH the whole prefix answers 404, so
 * nothing is exposed by default.
 */
export const adminRoutes = new Hono<AppEnv>()
  .use(adminGate)
  // Right behind the gate, before any route: every /admin/api route, wherever its sub-app is
  // mounted (api.ts, or a feature's own /api/<feature>), needs its scope (src/http/api-scopes.ts).
  .use("/api/*", requireScope)
  .use(sendingStatusForPages)
  .route("/", authRoutes)
  .route("/api/webhooks", webhookApiRoutes)
  .route("/api", apiRoutes)
  .route("/api", analyticsApiRoutes)
  .route("/api", apiReferenceRoutes)
  .route("/api/sending", apiSendingRoutes)
  .route("/", dashboardRoutes)
  .route("/readers", readerRoutes)
  .route("/failed", failedRoutes)
  .route("/course", courseAdminRoutes)
  .route("/broadcasts", broadcastAdminRoutes)
  .route("/import", importAdminRoutes)
  .route("/analytics", analyticsAdminRoutes)
  .route("/sending", sendingAdminRoutes)
  .route("/keys", keyAdminRoutes)
  .route("/webhooks", webhookAdminRoutes)
  /**
   * A lesson exactly as one reader would receive it: same template, same personalisation, same
   * headers and unsubscribe link. `reader` is a subscriber id or address; without it, a sample
   * reader. `course` names the course (default: the only one, else the first).
   */
  .get("/preview/:slug", async (c) => {
    const services = servicesFor(c);
    const course = chooseCourse(services.catalogue, c.req.query("course"), "console");
    const slug = c.req.param("slug");
    requirePreviewSlug(course, slug);
    const { subscriber } = await previewReader(services, c.req.query("reader"));
    const email = await previewLesson(services, course, slug, subscriber, c.var.deps.emailFrom ?? "preview");
    const format = c.req.query("format") ?? "html";
    if (format === "text") return c.text(email.text);
    if (format === "json") return c.json(presentEmail(email));
    if (format !== "html") throw malformed("bad_format", 'format must be "html", "text" or "json".', "Something is not right");
    // The email's own markup, sandboxed like the outbox view: no scripts, no same-origin access.
    c.header("Content-Security-Policy", "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'");
    return c.html(email.html);
  });
