import { Hono } from "hono";
import { analyticsCourse, courseAnalytics } from "../../../commands/analytics.ts";
import type { AppEnv } from "../../env.ts";
import { presentAnalytics } from "../../presenters/admin-analytics.ts";
import { servicesFor } from "../../services.ts";

/**
 * One course's analytics as JSON. The course is in the path, so an unknown slug is a resource
 * that is not there: 404 `course_unknown`, naming the install's courses.
 */
export const analyticsApiRoutes = new Hono<AppEnv>().get("/courses/:slug/analytics", async (c) => {
  const course = analyticsCourse(c.var.deps.catalogue, c.req.param("slug"));
  return c.json(presentAnalytics(await courseAnalytics(servicesFor(c), course)));
});
