import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { unsubscribePage, unsubscribedPage } from "../views/pages.ts";
import { verifyToken } from "../../tokens.ts";
import { unsubscribe } from "../../store/subscribers.ts";

const INVALID = "This unsubscribe link is not valid. Use the link at the bottom of any email from us, or reply to one and we'll remove you by hand.";

/**
 * RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click` to the URL in the header, with no
 * cookies, and expect it to take effect. A person following the footer link gets a page with a
 * button; a GET alone never unsubscribes (link scanners prefetch every URL in a mail).
 */
export const unsubscribeRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    const check = await verifyToken(c.var.deps.secretKey, c.req.param("token"), "unsubscribe", c.var.now);
    if (!check.ok) throw new AppError(400, "token_invalid", INVALID, "Link not valid");
    return c.html(unsubscribePage(c.req.path));
  })
  .post("/:token", async (c) => {
    const { deps, now } = c.var;
    const check = await verifyToken(deps.secretKey, c.req.param("token"), "unsubscribe", now);
    if (!check.ok) throw new AppError(400, "token_invalid", INVALID, "Link not valid");
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const oneClick = body["List-Unsubscribe"] === "One-Click";
    await unsubscribe(
      deps.db,
      check.claims.subject,
      { ip: deps.clientIp?.(c) ?? null, userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null, how: oneClick ? "one-click" : "page" },
      now,
    );
    if (oneClick) return c.body(null, 200);
    return c.html(unsubscribedPage());
  });
