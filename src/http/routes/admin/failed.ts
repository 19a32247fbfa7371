import { Hono } from "hono";
import type { Context } from "hono";
import { chooseCourse } from "../../../commands/course-admin.ts";
import { listFailedSends, retryAll, retryProgressSince, retrySend } from "../../../commands/retry-failed.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { failedPage } from "../../views/admin/failed.tsx";
import { courseHref, courseNav } from "../../views/admin/parts.tsx";

const NOTICES: Record<string, string> = {
  retried: "The email is back in the queue.",
  "nothing-to-retry": "Nothing was failed any more, so nothing was retried.",
};

/** The page shows the newest failures; older ones are still in the ledger (and the API). */
const PAGE_SIZE = 200;

/** The course the page (or form) is about, and its nav; see chooseCourse. */
function pageCourse(c: Context<AppEnv>) {
  const { catalogue } = c.var.deps;
  const course = chooseCourse(catalogue, c.req.query("course"), "console");
  return { course, nav: courseNav(catalogue, course) };
}

/**
 * Failed sends of the chosen course: its lessons and newsletters (and, on the default course,
 * the emails of no course, such as confirmations). "Retry all" retries that course's.
 */
export const failedRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const services = servicesFor(c);
    const { course, nav } = pageCourse(c);
    const { rows, total } = await listFailedSends(services, PAGE_SIZE, course);
    const since = c.req.query("since");
    const progress = since ? await retryProgressSince(services, since) : undefined;
    const message = NOTICES[c.req.query("notice") ?? ""];
    return c.html(failedPage({ course, nav, rows, total, zone: course.schedule.timezone, message, progress, since }));
  })
  .post("/retry-all", async (c) => {
    const { course, nav } = pageCourse(c);
    const { count, since } = await retryAll(servicesFor(c), { course });
    // Nothing re-queued (a second click, or another admin was quicker): a progress view of zero
    // emails would hide the retry that is really under way.
    if (count === 0) return c.redirect(courseHref(nav, "/admin/failed?notice=nothing-to-retry"), 303);
    return c.redirect(courseHref(nav, `/admin/failed?since=${since}`), 303);
  })
  .post("/:id/retry", async (c) => {
    const { nav } = pageCourse(c);
    await retrySend(servicesFor(c), c.req.param("id"));
    return c.redirect(courseHref(nav, "/admin/failed?notice=retried"), 303);
  });
