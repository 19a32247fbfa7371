import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./env.ts";

const SAFE = /^(GET|HEAD|OPTIONS)$/;
/** Exactly `POST /unsubscribe/:token`: its `/undo` re-subscribes, so it gets no exemption. */
const ONE_CLICK_PATH = /^\/unsubscribe\/[^/]+$/;
/** The one endpoint other sites may post to, from ALLOWED_ORIGINS only. */
const SIGNUP_PATH = "/subscribe";
/** RFC 8058 §3.1 prefers multipart/form-data and allows urlencoded; media types are case-insensitive. */
const ONE_CLICK_TYPES = new Set(["multipart/form-data", "application/x-www-form-urlencoded"]);

export function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

async function isOneClick(c: Context<AppEnv>): Promise<boolean> {
  if (c.req.method !== "POST" || !ONE_CLICK_PATH.test(c.req.path) || !ONE_CLICK_TYPES.has(mediaType(c))) return false;
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  return body["List-Unsubscribe"] === "One-Click";
}

/** The one answer every refused cross-site write gets, forms, JSON and CORS preflights alike. */
export function crossSiteRefusal(): AppError {
  return new AppError(403, "cross_site_form", "This form was sent from another site, so it was not accepted. Go back to the page and try again.", "Not accepted");
}

/**
 * CSRF protection for every browser form: a form POST must come from our own pages (Origin or
 * Sec-Fetch-Site, which every current browser sends). Exempt are callers that are not browsers and
 * carry their own proof: provider webhooks (signature), the admin API (bearer token), and the
 * RFC 8058 one-click unsubscribe, which mailbox providers POST from their servers with no Origin
 * (its URL holds a signed token). The signup alone also takes posts from `embedOrigins`
 * (ALLOWED_ORIGINS), the publisher's own sites that embed the form.
 */
export function sameOriginForms(appUrl: string, embedOrigins: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const appOrigin = new URL(appUrl).origin;
  const embedders = new Set(embedOrigins);
  const isOurs = (origin: string, c: Context) => origin === appOrigin || origin === new URL(c.req.url).origin;
  const mayEmbed = (origin: string, c: Context) => c.req.method === "POST" && c.req.path === SIGNUP_PATH && embedders.has(origin);
  const guard = csrf({ origin: (origin, c) => isOurs(origin, c) || mayEmbed(origin, c) });
  return async (c, next) => {
    const path = c.req.path;
    if (SAFE.test(c.req.method) || path.startsWith("/webhooks/") || path.startsWith("/admin/api/")) return next();
    if (await isOneClick(c)) return next();
    // csrf() looks at form content types only. A JSON signup from a browser on another site comes
    // after a preflight, which an unlisted origin fails; one that arrives anyway (a script outside
    // a browser, claiming a foreign Origin) is refused the same way. Clients that send no Origin,
    // which is every non-browser API client, are not affected.
    // Our own pages send `Referrer-Policy: no-referrer`, under which a browser's form post says
    // `Origin: null`; Sec-Fetch-Site, which no page can forge, then says where it came from.
    const origin = c.req.header("origin");
    const fromOurPages = c.req.header("sec-fetch-site") === "same-origin";
    if (path === SIGNUP_PATH && origin !== undefined && !fromOurPages && !isOurs(origin, c) && !mayEmbed(origin, c)) throw crossSiteRefusal();
    try {
      return await guard(c, next);
    } catch (error) {
      if (error instanceof HTTPException && error.status === 403) {
        // A mailbox provider's unsubscribe that we refuse means lessons keep coming: say so in the
        // log, by shape only (the path holds the reader's token).
        if (path.startsWith("/unsubscribe/")) {
          c.var.deps.log.warn("unsubscribe refused: not from our pages and not an RFC 8058 one-click body", { method: c.req.method, contentType: mediaType(c) || null, undo: path.endsWith("/undo") });
        }
        throw crossSiteRefusal();
      }
      throw error;
    }
  };
}
