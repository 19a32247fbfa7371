import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { servicesFor, whoAsked } from "../services.ts";
import { joinedPage, joinOfferPage } from "../views/reader-pages.tsx";
import { joinNext, joinOffer } from "../../commands/join-next.ts";

/**
 * GET /join/<token>: "Join <next course>", the offer a graduation email's button opens (course.yaml
 * `next:`). A GET changes nothing, since link scanners fetch every URL in an email; only the page's
 * POST enrolls. Any refusal is app.ts's plain error page with its 4xx.
 */
export const joinNextRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    const token = c.req.param("token");
    const offer = await joinOffer(servicesFor(c), token);
    c.header("Cache-Control", "private, no-store");
    return c.html(joinOfferPage(token, offer));
  })
  .post("/:token", async (c) => {
    const { course, already } = await joinNext(servicesFor(c), { token: c.req.param("token"), meta: whoAsked(c) });
    return c.html(joinedPage(course, already));
  });
