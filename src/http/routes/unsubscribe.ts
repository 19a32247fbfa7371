import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { unsubscribeForm } from "../reader-forms.ts";
import { servicesFor, whoAsked } from "../services.ts";
import { resubscribedPage, unsubscribeChoicesPage, unsubscribedPage } from "../views/reader-pages.tsx";
import { undoUnsubscribe, unsubscribe, unsubscribeChoices } from "../../commands/unsubscribe.ts";

/**
 * RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click` to the URL in the header, with no
 * cookies, and it takes effect at once (all email). A person following the footer link gets a page
 * with two choices (this course, all email) and an undo; a GET alone never changes anything (link
 * scanners prefetch every URL in a mail). The footer link may say which course the email came
 * from, `/unsubscribe/<token>?course=<slug>`: it selects the course offered, and grants nothing.
 */
export const unsubscribeRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    const token = c.req.param("token");
    const { course } = await unsubscribeChoices(servicesFor(c), { token, course: c.req.query("course")?.slice(0, 200) });
    return c.html(unsubscribeChoicesPage(course, token));
  })
  .post("/:token", async (c) => {
    const { oneClick, scope: chosen, course: slug } = unsubscribeForm.parse(await c.req.parseBody().catch(() => ({})));
    const result = await unsubscribe(servicesFor(c), { token: c.req.param("token"), oneClick, scope: chosen, course: slug, meta: whoAsked(c) });
    if (oneClick) return c.body(null, 200);
    return c.html(unsubscribedPage(result.undoToken, result.scope, result.course));
  })
  .post("/:token/undo", async (c) => {
    const { course } = await undoUnsubscribe(servicesFor(c), { token: c.req.param("token"), meta: whoAsked(c) });
    return c.html(resubscribedPage(course));
  });
