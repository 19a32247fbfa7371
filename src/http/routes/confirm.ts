import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { servicesFor, whoAsked } from "../services.ts";
import { confirmPage, confirmedPage } from "../views/pages.tsx";
import { checkConfirmLink, confirm } from "../../commands/confirm.ts";

/**
 * Double opt-in. GET only shows a button: link scanners and mail previewers fetch links with GET,
 * and must never confirm anyone. The POST from that button confirms and sends each lesson 1 at once.
 */
export const confirmRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    const { courses } = await checkConfirmLink(servicesFor(c), c.req.param("token"));
    return c.html(confirmPage(courses, c.req.path));
  })
  .post("/:token", async (c) => {
    const result = await confirm(servicesFor(c), { token: c.req.param("token"), meta: whoAsked(c) });
    return c.html(confirmedPage({ ...result, now: c.var.now }));
  });
