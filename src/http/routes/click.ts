import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { servicesFor } from "../services.ts";
import { followClick } from "../../commands/click.ts";

/**
 * GET /r/<token>: a tracked link in an email of a course that records clicks. A 302 to the link the
 * publisher wrote, after recording the click (src/commands/click.ts says what counts). Anything the
 * token does not prove is app.ts's plain 4xx page, with no Location header: this address never
 * sends anyone where a link's holder chose (no open redirect).
 */
export const clickRoutes = new Hono<AppEnv>().get("/:token", async (c) => {
  // Hono answers HEAD with this GET handler: follow it, but only a GET counts as a click.
  const { url } = await followClick(servicesFor(c), c.req.param("token"), { record: c.req.method === "GET" });
  // Every click must reach us to be counted once and to follow today's content: no caching. The
  // destination gets no Referer naming this token.
  c.header("Cache-Control", "private, no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Robots-Tag", "noindex, nofollow");
  return c.redirect(url, 302);
});
