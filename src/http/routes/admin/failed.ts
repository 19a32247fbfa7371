import { Hono } from "hono";
import type { Context } from "hono";
import { countFailedSends, failedSends } from "../../../store/admin-queries.ts";
import { retryAllFailed, retryFailedSend } from "../../../store/manual-sends.ts";
import { retryProgress } from "../../../store/sends.ts";
import type { Requeued, RetryProgress } from "../../../store/sends.ts";
import { dispatchQuietly } from "../../../commands/dispatch.ts";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { failedPage } from "../../views/admin/failed.tsx";

const NOTICES: Record<string, string> = {
  retried: "The email is back in the queue.",
  "nothing-to-retry": "Nothing was failed any more, so nothing was retried.",
};

/** The page shows the newest failures; older ones are still in the ledger (and the API). */
const PAGE_SIZE = 200;

/** Single sends go to the queue now; batches are offered by the scheduler's next tick. */
async function dispatchRequeued(c: Context<AppEnv>, requeued: Requeued): Promise<void> {
  await dispatchQuietly(c.var.deps, requeued.sendIds);
}

/** Back in the queue: the original request if it may have reached the provider, else a fresh send. */
export async function retrySend(c: Context<AppEnv>, sendId: string): Promise<void> {
  const { deps, now } = c.var;
  const requeued = await retryFailedSend(deps.db, sendId, now);
  if (!requeued) {
    throw new AppError(409, "not_failed", "That send is not failed (any more): it may have been retried already.", "Nothing to retry");
  }
  await dispatchRequeued(c, requeued);
  deps.log.info("admin action", { action: "retry", send: sendId });
}

/** Every failed send back in the queue in one step; `since` identifies them for the progress view. */
export async function retryAll(c: Context<AppEnv>): Promise<{ count: number; since: number }> {
  const { deps, now } = c.var;
  const requeued = await retryAllFailed(deps.db, now);
  await dispatchRequeued(c, requeued);
  deps.log.info("admin action", { action: "retry-all", sends: requeued.count });
  return { count: requeued.count, since: now };
}

/** `since` from a query string: the time a "retry all" started. */
export async function progressSince(c: Context<AppEnv>, raw: string | undefined): Promise<RetryProgress> {
  const since = Number(raw);
  if (!raw || !/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(since)) throw new AppError(400, "bad_since", "since must be the time (epoch milliseconds) a retry started.");
  return retryProgress(c.var.deps.db, since);
}

export const failedRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { deps } = c.var;
    const [rows, total] = await Promise.all([failedSends(deps.db, PAGE_SIZE), countFailedSends(deps.db)]);
    const since = c.req.query("since");
    const progress = since ? await progressSince(c, since) : undefined;
    const message = NOTICES[c.req.query("notice") ?? ""];
    return c.html(failedPage({ course: deps.course, rows, total, zone: deps.course.schedule.timezone, message, progress, since }));
  })
  .post("/retry-all", async (c) => {
    const { count, since } = await retryAll(c);
    // Nothing re-queued (a second click, or another admin was quicker): a progress view of zero
    // emails would hide the retry that is really under way.
    if (count === 0) return c.redirect("/admin/failed?notice=nothing-to-retry", 303);
    return c.redirect(`/admin/failed?since=${since}`, 303);
  })
  .post("/:id/retry", async (c) => {
    await retrySend(c, c.req.param("id"));
    return c.redirect("/admin/failed?notice=retried", 303);
  });
