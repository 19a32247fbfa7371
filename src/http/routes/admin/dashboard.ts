import { Hono } from "hono";
import type { Context } from "hono";
import { countFailedSends, dailySeries, dashboardCounts, failedSends } from "../../../store/admin-queries.ts";
import { AppError } from "../../errors.ts";
import type { AppDeps, AppEnv } from "../../env.ts";
import { dashboardPage, queuesPage } from "../../views/admin/dashboard.tsx";

const QUEUE_STATS_TIMEOUT_MS = 2_000;

/** The send queue's job counts, or null when there is no queue or it does not answer in time. */
export async function queueStatsOf(deps: AppDeps): Promise<Record<string, number> | null> {
  if (!deps.queueStats) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      deps.queueStats(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("queue stats timed out")), QUEUE_STATS_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    deps.log.warn("queue stats unavailable", { reason: error instanceof Error ? error.message : String(error) });
    return null;
  } finally {
    clearTimeout(timer);
  }
}

export async function dashboardData(c: Context<AppEnv>) {
  const { deps, now } = c.var;
  const zone = deps.course.schedule.timezone;
  const [counts, series, queue, failed, failedTotal] = await Promise.all([
    dashboardCounts(deps.db, deps.course.slug),
    dailySeries(deps.db, zone, now, 30),
    queueStatsOf(deps),
    failedSends(deps.db, 10),
    countFailedSends(deps.db),
  ]);
  return { counts, series, queue, failed, failedTotal, zone };
}

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
    if (c.req.path === "/admin/queues" && c.req.method === "GET") return c.html(queuesPage(await queueStatsOf(c.var.deps)));
    throw new AppError(404, "not_found", "There is nothing at this address.", "Page not found");
  }
  const response = await board.fetch(c.req.raw);
  const out = new Response(response.body, response);
  out.headers.set("content-security-policy", BOARD_CSP);
  return out;
}

export const dashboardRoutes = new Hono<AppEnv>()
  .get("/", async (c) => c.html(dashboardPage({ course: c.var.deps.course, ...(await dashboardData(c)) })))
  // The board is a separate app built on Node (src/http/queues-board.ts); it only ever sees
  // requests that already passed the admin gate.
  .all("/queues", board)
  .all("/queues/*", board);
