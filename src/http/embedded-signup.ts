import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { crossSiteRefusal } from "./same-origin.ts";
import type { AppEnv } from "./env.ts";

/**
 * What lets another site (one of ALLOWED_ORIGINS) embed the signup form: CORS for the JSON
 * `POST /subscribe`, and the check on where a plain form post may be sent back to. The form post
 * itself is let through by the same-origin guard (same-origin.ts).
 */

/** Chromium caps a cached preflight at two hours; asking for more buys nothing. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

/**
 * CORS for `/subscribe`, for listed origins only. A listed origin gets its own origin back (never
 * `*`, never credentials: the signup needs no cookie). A preflight from any other origin is refused
 * with the same 403 a cross-site form gets, and carries no CORS header, so the browser stops there.
 */
export function embeddedSignupCors(allowedOrigins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(allowedOrigins);
  const listed = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["POST"],
    allowHeaders: ["content-type"],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && allowed.has(origin)) return listed(c, next);
    if (c.req.method === "OPTIONS" && origin !== undefined && c.req.header("access-control-request-method") !== undefined) throw crossSiteRefusal();
    await next();
    // The answer depends on Origin (headers for listed ones), so a cache must key on it.
    c.header("Vary", "Origin", { append: true });
  };
}

export type RedirectChoice = { kind: "none" } | { kind: "allowed"; url: string } | { kind: "refused"; origin: string | null };

/**
 * A form's `redirect` field: followed only to a page on one of ALLOWED_ORIGINS, so the signup can
 * never be used to bounce a reader to a site the publisher did not list (an open redirect).
 * The URL is re-serialised by the URL parser, which drops any CR/LF before it reaches a header.
 */
export function chooseRedirect(value: unknown, allowedOrigins: readonly string[]): RedirectChoice {
  if (typeof value !== "string" || value.trim() === "") return { kind: "none" };
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { kind: "refused", origin: null };
  }
  if (url.username || url.password || !allowedOrigins.includes(url.origin)) return { kind: "refused", origin: url.origin === "null" ? null : url.origin };
  return { kind: "allowed", url: url.href };
}
