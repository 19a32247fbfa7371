import { Hono } from "hono";
import type { Context } from "hono";
import { courseAnalytics, funnelCsv, lessonsCsv } from "../../../commands/analytics.ts";
import type { CourseAnalytics } from "../../../commands/analytics.ts";
import { chooseCourse } from "../../../commands/course-admin.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { analyticsPage } from "../../views/admin/analytics.tsx";
import { courseNav } from "../../views/admin/parts.tsx";

/**
 * The console's Analytics page for the course in `?course=` (the switcher's), and its two tables
 * as CSV downloads. An unknown course is a page that is not there (404), as everywhere in the console.
 */

async function figures(c: Context<AppEnv>): Promise<CourseAnalytics> {
  const course = chooseCourse(c.var.deps.catalogue, c.req.query("course"), "console");
  return courseAnalytics(servicesFor(c), course);
}

function csv(c: Context<AppEnv>, name: string, body: string): Response {
  c.header("Content-Type", "text/csv; charset=UTF-8");
  c.header("Content-Disposition", `attachment; filename="${name}"`);
  c.header("Cache-Control", "no-store");
  return c.body(body);
}

export const analyticsAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const data = await figures(c);
    return c.html(analyticsPage({ data, nav: courseNav(c.var.deps.catalogue, data.course) }));
  })
  // The slug in a file name is safe as it is: course slugs are lowercase words and hyphens.
  .get("/lessons.csv", async (c) => {
    const data = await figures(c);
    return csv(c, `lessonpost-${data.course.slug}-lessons.csv`, lessonsCsv(data));
  })
  .get("/funnel.csv", async (c) => {
    const data = await figures(c);
    return csv(c, `lessonpost-${data.course.slug}-funnel.csv`, funnelCsv(data));
  });
