import { Hono } from "hono";
import type { Context } from "hono";
import { chooseCourse } from "../../../commands/course-admin.ts";
import { dashboardFigures, queueStatsOf } from "../../../commands/dashboard.ts";
import { notFound } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { dashboardPage, queuesPage } from "../../views/admin/dashboard.tsx";
import { courseNav } from "../../views/admin/parts.tsx";

/**
 * bull-board's own CSP: its page sets <base href> (so base-uri 'self') and styles some elements
 * inline; scripts still come only from our origin.
 */
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join("; ");

async function board(c: Context<AppEnv>) {
  const board = c.var.deps.queuesBoard;
  if (!board) {
    if (c.req.path === "/admin/queues" && c.req.method === "GET") return c.html(queuesPage(await queueStatsOf(c.var.deps.log, c.var.deps.queueStats)));
    throw notFound("not_found", "There is nothing at this address.", "Page not found");
  }
  const response = await board.fetch(c.req.raw);
  const out = new Response(response.body, response);
  out.headers.set("content-security-policy", BOARD_CSP);
  return out;
}

export const dashboardRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { catalogue } = c.var.deps;
    const course = chooseCourse(catalogue, c.req.query("course"), "console");
    return c.html(dashboardPage({ ...(await dashboardFigures(servicesFor(c), course, c.var.deps.queueStats)), nav: courseNav(catalogue, course) }));
  })
  // The board is a separate app built on Node (src/http/queues-board.ts); it only ever sees
  // requests that already passed the admin gate.
  .all("/queues", board)
  .all("/queues/*", board);
