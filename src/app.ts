import { Hono } from "hono";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { AppError, asAppError } from "./http/errors.ts";
import { DomainError, errorMessage } from "./errors.ts";
import { redactTokens } from "./log.ts";
import type { AppDeps, AppEnv } from "./http/env.ts";
import { adminRoutes } from "./http/routes/admin/index.ts";
import { clickRoutes } from "./http/routes/click.ts";
import { confirmRoutes } from "./http/routes/confirm.ts";
import { healthRoutes } from "./http/routes/health.ts";
import { joinNextRoutes } from "./http/routes/join-next.ts";
import { outboxRoutes } from "./http/routes/outbox.ts";
import { preferencesRoutes } from "./http/routes/preferences.ts";
import { signupRoutes } from "./http/routes/signup.ts";
import { unsubscribeRoutes } from "./http/routes/unsubscribe.ts";
import { webhookRoutes } from "./http/routes/webhooks.ts";
import { webVersionRoutes } from "./http/routes/web-version.ts";
import { assetRoutes } from "./http/assets.ts";
import { bodyGuard } from "./http/body-guard.ts";
import { smallBodyLimit } from "./http/body-limit.ts";
import { embeddedSignupCors } from "./http/embedded-signup.ts";
import { streamedBodyLimit } from "./http/multipart-stream.ts";
import { sameOriginForms } from "./http/same-origin.ts";
import { pageCsp } from "./http/page-csp.ts";
import { errorPage } from "./http/views/pages.tsx";

export type { AppDeps } from "./http/env.ts";

const PAGE_CSP = pageCsp();

/**
 * The whole HTTP surface, from web-standard parts only: the Node entry serves it with
 * @hono/node-server, the Cloudflare entry exports it as a Worker. Dependencies arrive as
 * arguments and reach handlers through typed context variables, never through imports.
 */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("now", deps.now?.() ?? Date.now());
    await next();
  });
  app.use(secureHeaders());
  // The CSP is added here rather than by secureHeaders so a route can set a stricter one of its own
  // (the outbox sandboxes the email HTML it shows).
  app.use(async (c, next) => {
    await next();
    if (!c.res.headers.has("content-security-policy")) c.res.headers.set("content-security-policy", PAGE_CSP);
  });
  // Before the body checks, so a listed site's script can read even a 413 or 403 answer.
  app.use("/subscribe", embeddedSignupCors(deps.allowedOrigins ?? []));
  // Small bodies everywhere, except the admin's CSV upload, which is read as it streams in.
  const tooLarge = (): never => {
    throw new AppError(413, "body_too_large", "That request is too large.", "Too large");
  };
  const smallBodies = smallBodyLimit(64 * 1024, tooLarge);
  const csvUploads = streamedBodyLimit(25 * 1024 * 1024, tooLarge);
  app.use((c, next) => (c.req.path === "/admin/import" || c.req.path === "/admin/api/import" ? csvUploads(c, next) : smallBodies(c, next)));
  app.use(bodyGuard());
  app.use(sameOriginForms(deps.appUrl, deps.allowedOrigins ?? []));

  app.route("/assets", assetRoutes());

  app.route("/", signupRoutes);
  app.route("/confirm", confirmRoutes);
  app.route("/unsubscribe", unsubscribeRoutes);
  app.route("/preferences", preferencesRoutes);
  app.route("/email", webVersionRoutes);
  app.route("/join", joinNextRoutes);
  app.route("/r", clickRoutes);
  app.route("/healthz", healthRoutes);
  app.route("/admin", adminRoutes);
  app.route("/webhooks", webhookRoutes);
  if (deps.outbox) app.route("/outbox", outboxRoutes);

  app.notFound((c) => respond(c, new AppError(404, "not_found", "There is nothing at this address.", "Page not found")));

  app.onError((error, c) => {
    if (error instanceof AppError) return respond(c, error);
    if (error instanceof DomainError) {
      if (error.details.retryAfterSeconds !== undefined) c.header("retry-after", String(error.details.retryAfterSeconds));
      return respond(c, asAppError(error));
    }
    // hono's own middleware (bearerAuth, …) speaks HTTPException; its response is already right.
    if (error instanceof HTTPException) return error.getResponse();
    deps.log.error("unhandled error", { path: redactTokens(c.req.path), method: c.req.method, error: redactTokens(errorMessage(error)) });
    return respond(c, new AppError(500, "internal_error", "Something went wrong on our side. Please try again in a moment.", "Sorry"));
  });

  return app;
}

/** JSON for the admin API and for clients that sent or asked for JSON; an HTML page for everyone else. */
function respond(c: Context<AppEnv>, error: AppError) {
  const accept = c.req.header("accept") ?? "";
  const contentType = c.req.header("content-type") ?? "";
  const json =
    c.req.path === "/admin/api" || c.req.path.startsWith("/admin/api/") || contentType.includes("application/json") || (accept.includes("application/json") && !accept.includes("text/html"));
  if (json) return c.json({ error: { code: error.code, message: error.message } }, error.status);
  return c.html(errorPage(error.title, error.message), error.status);
}
