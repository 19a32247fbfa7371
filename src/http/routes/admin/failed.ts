import { Hono } from "hono";
import type { Context } from "hono";
import { countFailedSends, failedSends } from "../../../store/admin-queries.ts";
import { retryFailedSend } from "../../../store/manual-sends.ts";
import { dispatchQuietly } from "../../dispatch.ts";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { failedPage } from "../../views/admin/failed.ts";

/** The page shows the newest failures; older ones are still in the ledger (and the API). */
const PAGE_SIZE = 200;

/** Back in the queue as a fresh single send; the worker re-reads the reader before it sends. */
export async function retrySend(c: Context<AppEnv>, sendId: string): Promise<void> {
  const { deps, now } = c.var;
  if (!(await retryFailedSend(deps.db, sendId, now))) {
    throw new AppError(409, "not_failed", "That send is not failed (any more): it may have been retried already.", "Nothing to retry");
  }
  await dispatchQuietly(deps, [sendId]);
  deps.log.info("admin action", { action: "retry", send: sendId });
}

export const failedRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { deps } = c.var;
    const [rows, total] = await Promise.all([failedSends(deps.db, PAGE_SIZE), countFailedSends(deps.db)]);
    const message = c.req.query("notice") === "retried" ? "The email is back in the queue." : undefined;
    return c.html(failedPage({ course: deps.course, rows, total, zone: deps.course.schedule.timezone, message }));
  })
  .post("/:id/retry", async (c) => {
    await retrySend(c, c.req.param("id"));
    return c.redirect("/admin/failed?notice=retried", 303);
  });
