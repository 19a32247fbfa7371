import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { resubscribedPage, unsubscribeChoicesPage, unsubscribedPage } from "../views/reader-pages.tsx";
import { undoToken, verifyToken } from "../../tokens.ts";
import { resubscribe, unsubscribe } from "../../store/subscribers.ts";
import type { ConsentMeta } from "../../store/subscribers.ts";
import type { Context } from "hono";

const INVALID = "This link is not valid. Use the link at the bottom of any email from us, or reply to one and we'll remove you by hand.";

async function readerFrom(c: Context<AppEnv>, purpose: "unsubscribe" | "undo" = "unsubscribe"): Promise<string> {
  const check = await verifyToken(c.var.deps.secretKey, c.req.param("token") ?? "", purpose, c.var.now);
  if (!check.ok) {
    if (purpose === "undo" && check.reason === "expired") throw new AppError(410, "token_expired", "The undo has expired. You can sign up again on the course page.", "Too late to undo");
    throw new AppError(400, "token_invalid", INVALID, "Link not valid");
  }
  return check.claims.subject;
}

export function consentMeta(c: Context<AppEnv>, how: string): ConsentMeta {
  return { ip: c.var.deps.clientIp?.(c) ?? null, userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null, how };
}

/**
 * RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click` to the URL in the header, with no
 * cookies, and it takes effect at once (all email). A person following the footer link gets a page
 * with two choices and an undo; a GET alone never changes anything (link scanners prefetch every
 * URL in a mail).
 */
export const unsubscribeRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    await readerFrom(c);
    return c.html(unsubscribeChoicesPage(c.var.deps.course, c.req.param("token")));
  })
  .post("/:token", async (c) => {
    const { deps, now } = c.var;
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const oneClick = body["List-Unsubscribe"] === "One-Click";
    const subscriberId = await readerFrom(c).catch((error: unknown) => {
      // Never the token itself: it is the reader's key to their subscription.
      deps.log.warn("unsubscribe refused: link token not valid", { oneClick });
      throw error;
    });
    const scope = !oneClick && body.scope === "course" ? "course" : "all";
    const outcome = await unsubscribe(deps.db, subscriberId, consentMeta(c, oneClick ? "one-click" : "page"), now, scope);
    if (oneClick) return c.body(null, 200);
    // The undo is a token of its own, minted only by an unsubscribe that changed something and
    // good for an hour: the forwarded unsubscribe link can never re-subscribe someone who left.
    const undo = outcome === "stopped" ? await undoToken(deps.secretKey, subscriberId, now) : null;
    return c.html(unsubscribedPage(undo, scope, deps.course));
  })
  .post("/:token/undo", async (c) => {
    const { deps, now } = c.var;
    const subscriberId = await readerFrom(c, "undo");
    const done = await resubscribe(deps.db, subscriberId, consentMeta(c, "undo"), now);
    if (!done) throw new AppError(409, "cannot_resubscribe", "This subscription can't be restored from here. You can sign up again on the course page.", "Can't undo");
    return c.html(resubscribedPage(deps.course));
  });
