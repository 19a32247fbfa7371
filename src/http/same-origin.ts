import type { MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./env.ts";

const SAFE = /^(GET|HEAD|OPTIONS)$/;

/**
 * CSRF protection for every browser form: a form POST must come from our own pages (Origin or
 * Sec-Fetch-Site, which every current browser sends). Exempt are callers that are not browsers and
 * carry their own proof: provider webhooks (signature), the admin API (bearer token), and the
 * RFC 8058 one-click unsubscribe, which mailbox providers POST from their servers with no Origin
 * (its URL holds a signed token).
 */
export function sameOriginForms(appUrl: string): MiddlewareHandler<AppEnv> {
  const appOrigin = new URL(appUrl).origin;
  const guard = csrf({ origin: (origin, c) => origin === appOrigin || origin === new URL(c.req.url).origin });
  return async (c, next) => {
    const path = c.req.path;
    if (SAFE.test(c.req.method) || path.startsWith("/webhooks/") || path.startsWith("/admin/api/")) return next();
    if (path.startsWith("/unsubscribe/") && (c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
      const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      if (body["List-Unsubscribe"] === "One-Click") return next();
    }
    try {
      return await guard(c, next);
    } catch (error) {
      if (error instanceof HTTPException && error.status === 403) {
        throw new AppError(403, "cross_site_form", "This form was sent from another site, so it was not accepted. Go back to the page and try again.", "Not accepted");
      }
      throw error;
    }
  };
}
