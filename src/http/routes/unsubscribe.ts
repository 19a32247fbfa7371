import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { unsubscribeForm } from "../reader-forms.ts";
import { servicesFor, whoAsked } from "../services.ts";
import { resubscribedPage, unsubscribeChoicesPage, unsubscribedPage } from "../views/reader-pages.tsx";
import { checkUnsubscribeLink, undoUnsubscribe, unsubscribe } from "../../commands/unsubscribe.ts";

/**
 * RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click` to the URL in the header, with no
 * cookies, and it takes effect at once (all email). A person following the footer link gets a page
 * with two choices and an undo; a GET alone never changes anything (link scanners prefetch every
 * URL in a mail).
 */
export const unsubscribeRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    await checkUnsubscribeLink(servicesFor(c), c.req.param("token"));
    return c.html(unsubscribeChoicesPage(c.var.deps.catalogue.primary, c.req.param("token")));
  })
  .post("/:token", async (c) => {
    const { oneClick, scope: chosen } = unsubscribeForm.parse(await c.req.parseBody().catch(() => ({})));
    const { scope, undoToken } = await unsubscribe(servicesFor(c), { token: c.req.param("token"), oneClick, scope: chosen, meta: whoAsked(c) });
    if (oneClick) return c.body(null, 200);
    return c.html(unsubscribedPage(undoToken, scope, c.var.deps.catalogue.primary));
  })
  .post("/:token/undo", async (c) => {
    await undoUnsubscribe(servicesFor(c), { token: c.req.param("token"), meta: whoAsked(c) });
    return c.html(resubscribedPage(c.var.deps.catalogue.primary));
  });
