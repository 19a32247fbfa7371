import { Hono } from "hono";
import type { Context } from "hono";
import { closeAllAdminSessions } from "../../../store/admin-sessions.ts";
import { setCoursePausedByAdmin } from "../../../commands/course-admin.ts";
import { dashboardFigures } from "../../../commands/dashboard.ts";
import {
  eraseReaderAsAdmin,
  exportReader,
  listReaders,
  pauseEnrollmentById,
  READER_ACTIONS,
  readerView,
  resumeEnrollmentById,
  runReaderAction,
} from "../../../commands/reader-actions.ts";
import { listFailedSends, retryAll, retryProgressSince, retrySend } from "../../../commands/retry-failed.ts";
import { malformed } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { presentFailedSends, presentReader, presentReaderList, presentStats } from "../../presenters/admin-api.ts";
import { servicesFor } from "../../services.ts";

/**
 * The admin JSON API, for scripts and the CLI: `Authorization: Bearer <ADMIN_TOKEN>`. Every answer
 * is JSON, errors included, whatever the client's Accept header says.
 */

type Ctx = Context<AppEnv>;

/** A JSON object body, a form, or nothing; query parameters fill in what the body leaves out. */
async function fieldsOf(c: Ctx): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  let body: Record<string, unknown> = {};
  if (type.includes("application/json")) {
    const parsed: unknown = await c.req.json().catch(() => {
      throw malformed("bad_json", "The body is not valid JSON.", "Something is not right");
    });
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw malformed("bad_json", "The body must be a JSON object.", "Something is not right");
    body = parsed as Record<string, unknown>;
  } else if (type.includes("form")) {
    body = await c.req.parseBody();
  }
  return { ...c.req.query(), ...body };
}

export const apiRoutes = new Hono<AppEnv>()
  // "Log out everywhere" for scripts: every console session ends (the bearer token is not a session).
  .delete("/sessions", async (c) => c.json({ ended: await closeAllAdminSessions(c.var.deps.db) }))
  .get("/stats", async (c) => c.json(presentStats(await dashboardFigures(servicesFor(c), c.var.deps.queueStats))))
  .get("/subscribers", async (c) => c.json(presentReaderList((await listReaders(servicesFor(c), c.req.query())).page)))
  .get("/subscribers/:id", async (c) => c.json(presentReader(await readerView(servicesFor(c), c.req.param("id")))))
  .get("/subscribers/:id/export", async (c) => c.json(await exportReader(servicesFor(c), c.req.param("id"))))
  .delete("/subscribers/:id", async (c) => {
    await eraseReaderAsAdmin(servicesFor(c), c.req.param("id"));
    return c.json({ erased: true });
  })
  .get("/sends/failed", async (c) => {
    const limit = Number(c.req.query("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw malformed("bad_limit", "limit must be a whole number from 1 to 500.", "Something is not right");
    const { rows, total } = await listFailedSends(servicesFor(c), limit);
    return c.json(presentFailedSends(rows, total));
  })
  .post("/sends/retry-failed", async (c) => {
    const { count, since } = await retryAll(servicesFor(c));
    return c.json({ retried: count, since, progress: `/admin/api/sends/retry-progress?since=${since}` });
  })
  .get("/sends/retry-progress", async (c) => c.json(await retryProgressSince(servicesFor(c), c.req.query("since"))))
  .post("/sends/:id/retry", async (c) => {
    await retrySend(servicesFor(c), c.req.param("id"));
    return c.json({ id: c.req.param("id"), status: "queued" });
  })
  // Pause and resume: per reader (by enrollment) and for the whole course. Nothing queued is lost;
  // parked emails go out after resume.
  .post("/enrollments/:id/pause", async (c) => {
    await pauseEnrollmentById(servicesFor(c), c.req.param("id"));
    return c.json({ status: "paused" });
  })
  .post("/enrollments/:id/resume", async (c) => {
    await resumeEnrollmentById(servicesFor(c), c.req.param("id"));
    return c.json({ status: "active" });
  })
  .post("/course/pause", async (c) => {
    await setCoursePausedByAdmin(servicesFor(c), true);
    return c.json({ course: c.var.deps.catalogue.primary.slug, paused: true });
  })
  .post("/course/resume", async (c) => {
    await setCoursePausedByAdmin(servicesFor(c), false);
    return c.json({ course: c.var.deps.catalogue.primary.slug, paused: false });
  });

// One endpoint per reader action, each the same code the console's forms run.
for (const action of READER_ACTIONS) {
  apiRoutes.post(`/subscribers/:id/${action}`, async (c) => {
    const outcome = await runReaderAction(servicesFor(c), c.req.param("id"), action, await fieldsOf(c));
    return c.json({ ok: true, action, ...(outcome.lesson ? { lesson: outcome.lesson.slug } : {}), ...(outcome.sendId ? { sendId: outcome.sendId } : {}) });
  });
}
