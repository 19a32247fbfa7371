import { Hono } from "hono";
import type { Context } from "hono";
import { countFailedSends, failedSends } from "../../../store/admin-queries.ts";
import { closeAllAdminSessions } from "../../../store/admin-sessions.ts";
import { setCoursePaused } from "../../../store/course-state.ts";
import { pauseEnrollment, resumeEnrollment } from "../../../store/enrollments.ts";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { dashboardData } from "./dashboard.ts";
import { progressSince, retryAll, retrySend } from "./failed.ts";
import { eraseReaderAsAdmin, exportReader, listReaders, READER_ACTIONS, readerView, runReaderAction } from "./readers.ts";

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
      throw new AppError(400, "bad_json", "The body is not valid JSON.");
    });
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new AppError(400, "bad_json", "The body must be a JSON object.");
    body = parsed as Record<string, unknown>;
  } else if (type.includes("form")) {
    body = await c.req.parseBody();
  }
  return { ...c.req.query(), ...body };
}

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(Number(t)).toISOString());

export const apiRoutes = new Hono<AppEnv>()
  // "Log out everywhere" for scripts: every console session ends (the bearer token is not a session).
  .delete("/sessions", async (c) => c.json({ ended: await closeAllAdminSessions(c.var.deps.db) }))
  .get("/stats", async (c) => {
    const data = await dashboardData(c);
    return c.json({ counts: data.counts, days: data.series, zone: data.zone, queue: data.queue, failedSends: data.failedTotal });
  })
  .get("/subscribers", async (c) => {
    const { page } = await listReaders(c);
    return c.json({
      items: page.items.map((r) => ({
        id: r.id,
        email: r.email,
        name: r.name,
        status: r.status,
        createdAt: iso(r.created_at),
        enrollment: r.enrollment_status ? { status: r.enrollment_status, nextSlug: r.next_slug, nextDueAt: iso(r.next_due_at) } : null,
      })),
      next: page.next,
      prev: page.prev,
    });
  })
  .get("/subscribers/:id", async (c) => {
    const { detail, timeline, next } = await readerView(c, c.req.param("id"));
    const { subscriber: s, enrollment: e } = detail;
    return c.json({
      subscriber: {
        id: s.id,
        email: s.email,
        name: s.name,
        timezone: s.timezone,
        status: s.status,
        createdAt: iso(s.created_at),
        confirmedAt: iso(s.confirmed_at),
        unsubscribedAt: iso(s.unsubscribed_at),
        consent: { at: iso(s.consent_at), form: s.consent_form, textVersion: s.consent_text_version },
      },
      enrollment: e
        ? { id: e.id, status: e.status, startedAt: iso(e.started_at), nextSlug: e.next_slug, nextDueAt: iso(e.next_due_at), pausedUntil: iso(e.paused_until), completedAt: iso(e.completed_at) }
        : null,
      next: { sentence: next.sentence, slug: next.slug, dueAt: iso(next.dueAt) },
      timeline: timeline.map((t) => ({ at: iso(t.at), kind: t.kind, text: t.text, sendId: t.sendId ?? null })),
    });
  })
  .get("/subscribers/:id/export", async (c) => c.json(await exportReader(c, c.req.param("id"))))
  .delete("/subscribers/:id", async (c) => {
    await eraseReaderAsAdmin(c, c.req.param("id"));
    return c.json({ erased: true });
  })
  .get("/sends/failed", async (c) => {
    const limit = Number(c.req.query("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new AppError(400, "bad_limit", "limit must be a whole number from 1 to 500.");
    const { db } = c.var.deps;
    const [rows, total] = await Promise.all([failedSends(db, limit), countFailedSends(db)]);
    return c.json({
      total,
      items: rows.map((r) => ({ id: r.id, kind: r.kind, lesson: r.lesson_slug, subscriberId: r.subscriber_id, email: r.email, error: r.error, attempts: r.attempts, failedAt: iso(r.updated_at) })),
    });
  })
  .post("/sends/retry-failed", async (c) => {
    const { count, since } = await retryAll(c);
    return c.json({ retried: count, since, progress: `/admin/api/sends/retry-progress?since=${since}` });
  })
  .get("/sends/retry-progress", async (c) => c.json(await progressSince(c, c.req.query("since"))))
  .post("/sends/:id/retry", async (c) => {
    await retrySend(c, c.req.param("id"));
    return c.json({ id: c.req.param("id"), status: "queued" });
  })
  // Pause and resume: per reader (by enrollment) and for the whole course. Nothing queued is lost;
  // parked emails go out after resume.
  .post("/enrollments/:id/pause", async (c) => {
    const changed = await pauseEnrollment(c.var.deps.db, c.req.param("id"), c.var.now);
    if (!changed) throw new AppError(409, "not_active", "That enrollment is not active, so it cannot be paused.");
    return c.json({ status: "paused" });
  })
  .post("/enrollments/:id/resume", async (c) => {
    const changed = await resumeEnrollment(c.var.deps.db, c.req.param("id"), c.var.now);
    if (!changed) throw new AppError(409, "not_paused", "That enrollment is not paused.");
    return c.json({ status: "active" });
  })
  .post("/course/pause", async (c) => {
    await setCoursePaused(c.var.deps.db, c.var.deps.course.slug, true, c.var.now);
    return c.json({ course: c.var.deps.course.slug, paused: true });
  })
  .post("/course/resume", async (c) => {
    await setCoursePaused(c.var.deps.db, c.var.deps.course.slug, false, c.var.now);
    return c.json({ course: c.var.deps.course.slug, paused: false });
  });

// One endpoint per reader action, each the same code the console's forms run.
for (const action of READER_ACTIONS) {
  apiRoutes.post(`/subscribers/:id/${action}`, async (c) => {
    const outcome = await runReaderAction(c, c.req.param("id"), action, await fieldsOf(c));
    return c.json({ ok: true, action, ...(outcome.lesson ? { lesson: outcome.lesson.slug } : {}), ...(outcome.sendId ? { sendId: outcome.sendId } : {}) });
  });
}
