import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { servicesFor } from "../services.ts";
import { webVersion } from "../../commands/web-version.ts";

/**
 * The email's own HTML is the page, under a CSP of its own that app.ts leaves in place: sandboxed
 * (no scripts, an opaque origin, no forms), nothing loaded but images and the email's inline
 * styles, never framed. Its links navigate as they would from a mail client.
 */
const WEB_VERSION_CSP = [
  "sandbox allow-popups allow-popups-to-escape-sandbox",
  "default-src 'none'",
  "img-src * data:",
  "style-src 'unsafe-inline'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/**
 * GET /email/<token>: the web version of one email ("View in your browser"). A GET changes
 * nothing, so link scanners may open it freely. Any refusal is app.ts's plain error page.
 */
export const webVersionRoutes = new Hono<AppEnv>().get("/:token", async (c) => {
  const email = await webVersion(servicesFor(c), c.req.param("token"));
  c.header("Content-Security-Policy", WEB_VERSION_CSP);
  // The page holds the reader's own links: no shared caches, no search engines, and the token in
  // this URL never rides a Referer to the sites the email links to.
  c.header("Cache-Control", "private, no-store");
  c.header("X-Robots-Tag", "noindex, nofollow");
  c.header("Referrer-Policy", "no-referrer");
  return c.html(email.html);
});
