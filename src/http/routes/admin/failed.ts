import { Hono } from "hono";
import { listFailedSends, retryAll, retryProgressSince, retrySend } from "../../../commands/retry-failed.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { failedPage } from "../../views/admin/failed.tsx";

const NOTICES: Record<string, string> = {
  retried: "The email is back in the queue.",
  "nothing-to-retry": "Nothing was failed any more, so nothing was retried.",
};

/** The page shows the newest failures; older ones are still in the ledger (and the API). */
const PAGE_SIZE = 200;

export const failedRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { deps } = c.var;
    const services = servicesFor(c);
    const { rows, total } = await listFailedSends(services, PAGE_SIZE);
    const since = c.req.query("since");
    const progress = since ? await retryProgressSince(services, since) : undefined;
    const message = NOTICES[c.req.query("notice") ?? ""];
    return c.html(failedPage({ course: deps.catalogue.primary, rows, total, zone: deps.catalogue.primary.schedule.timezone, message, progress, since }));
  })
  .post("/retry-all", async (c) => {
    const { count, since } = await retryAll(servicesFor(c));
    // Nothing re-queued (a second click, or another admin was quicker): a progress view of zero
    // emails would hide the retry that is really under way.
    if (count === 0) return c.redirect("/admin/failed?notice=nothing-to-retry", 303);
    return c.redirect(`/admin/failed?since=${since}`, 303);
  })
  .post("/:id/retry", async (c) => {
    await retrySend(servicesFor(c), c.req.param("id"));
    return c.redirect("/admin/failed?notice=retried", 303);
  });
