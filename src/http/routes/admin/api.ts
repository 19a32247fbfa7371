import { Hono } from "hono";
import type { Context } from "hono";
import { closeAllAdminSessions } from "../../../store/admin-sessions.ts";
import { z } from "zod";
import { createNewsletter, newsletterProgress, parseAudienceField, requireBroadcast } from "../../../commands/broadcasts.ts";
import { enrollFromIntegration } from "../../../commands/integration-enroll.ts";
import { chooseCourse, setCoursePausedByAdmin } from "../../../commands/course-admin.ts";
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
import { importReaderCsv } from "../../../commands/import-readers.ts";
import { listFailedSends, retryAll, retryProgressSince, retrySend } from "../../../commands/retry-failed.ts";
import type { Course } from "../../../content/schema.ts";
import { invalid, malformed } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { presentFailedSends, presentImport, presentReader, presentReaderList, presentStats } from "../../presenters/admin-api.ts";
import { servicesFor } from "../../services.ts";
import { emailSchema } from "../../../email-address.ts";
import { presentBroadcast } from "../../presenters/admin-broadcasts.ts";
import { apiKeyRoutes } from "./api-keys.ts";

/**
 * The admin JSON API, for scripts and the CLI: `Authorization: Bearer <ADMIN_TOKEN>` or an API key.
 * Every answer is JSON, errors included, whatever the client's Accept header says. Each route
 * needs one scope, declared in src/http/api-scopes.ts (not here): the guard the admin router puts
 * in front of /admin/api reads that table for every route, sub-apps included.
 *
 * Endpoints that act on a course take `course` (a slug, in the query or the body). With one course
 * it may be left out; with several, leaving it out is a 422 `course_required` that names the
 * field, and an unknown slug a 422 `course_unknown`: a script never acts on a course it did not name.
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

/** The course an endpoint acts on (see above). */
function apiCourse(c: Ctx, value: unknown): Course {
  return chooseCourse(c.var.deps.catalogue, value, "strict");
}

/** An optional course filter: absent means every course. */
function courseFilter(c: Ctx): Course | undefined {
  const value = c.req.query("course");
  return value === undefined ? undefined : apiCourse(c, value);
}

const text = (fields: Record<string, unknown>, name: string): string | null => (typeof fields[name] === "string" ? (fields[name] as string) : null);

/** POST /admin/api/enrollments: what an integration sends. */
const enrollmentSchema = z.object({
  email: emailSchema,
  name: z
    .string()
    .max(100, "keep the name under 100 characters")
    // eslint-disable-next-line no-control-regex
    .transform((v) => v.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim() || null)
    .nullish(),
  timezone: z.string().max(64).optional(),
  course: z.unknown().optional(),
  consentSource: z.string({ error: "consentSource is required: where the reader gave their consent" }).max(1000),
  doubleOptIn: z.union([z.boolean(), z.enum(["true", "false"])]).optional(),
});

async function newNewsletter(c: Ctx) {
  const fields = await fieldsOf(c);
  const course = apiCourse(c, fields.course);
  const at = text(fields, "scheduledAt");
  const scheduledAt = at === null || at === "" ? null : Date.parse(at);
  if (scheduledAt !== null && (!Number.isFinite(scheduledAt) || scheduledAt <= servicesFor(c).now())) {
    throw invalid("bad_schedule", "scheduledAt must be an ISO time still ahead, such as 2030-06-01T09:00:00Z.", "Cannot schedule");
  }
  const { id, state } = await createNewsletter(servicesFor(c), course, {
    subject: text(fields, "subject") ?? "",
    preview: text(fields, "preview"),
    markdown: text(fields, "markdown"),
    lessonSlug: text(fields, "lesson"),
    audience: parseAudienceField(text(fields, "audience") ?? "all"),
    scheduledAt,
    start: fields.draft !== true && fields.draft !== "true",
  });
  return c.json({ id, state, course: course.slug, audience: text(fields, "audience") ?? "all", progress: `/admin/api/broadcasts/${id}` }, 201);
}

export const apiRoutes = new Hono<AppEnv>()
  .route("/keys", apiKeyRoutes)
  // "Log out everywhere" for scripts: every console session ends (the bearer token is not a session).
  .delete("/sessions", async (c) => c.json({ ended: await closeAllAdminSessions(c.var.deps.db) }))
  .get("/stats", async (c) => c.json(presentStats(await dashboardFigures(servicesFor(c), apiCourse(c, c.req.query("course")), c.var.deps.queueStats))))
  .get("/subscribers", async (c) => {
    const course = apiCourse(c, c.req.query("course"));
    return c.json({ course: course.slug, ...presentReaderList((await listReaders(servicesFor(c), course, c.req.query())).page) });
  })
  .get("/subscribers/:id", async (c) => c.json(presentReader(await readerView(servicesFor(c), c.req.param("id"), courseFilter(c)?.slug))))
  .get("/subscribers/:id/export", async (c) => c.json(await exportReader(servicesFor(c), c.req.param("id"))))
  .delete("/subscribers/:id", async (c) => {
    await eraseReaderAsAdmin(servicesFor(c), c.req.param("id"));
    return c.json({ erased: true });
  })
  .get("/sends/failed", async (c) => {
    const limit = Number(c.req.query("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw malformed("bad_limit", "limit must be a whole number from 1 to 500.", "Something is not right");
    const { rows, total } = await listFailedSends(servicesFor(c), limit, courseFilter(c));
    return c.json(presentFailedSends(rows, total));
  })
  .post("/sends/retry-failed", async (c) => {
    const { count, since } = await retryAll(servicesFor(c), { course: courseFilter(c) });
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
    const course = apiCourse(c, (await fieldsOf(c)).course);
    await setCoursePausedByAdmin(servicesFor(c), course, true);
    return c.json({ course: course.slug, paused: true });
  })
  .post("/course/resume", async (c) => {
    const course = apiCourse(c, (await fieldsOf(c)).course);
    await setCoursePausedByAdmin(servicesFor(c), course, false);
    return c.json({ course: course.slug, paused: false });
  })
  /**
   * A newsletter in a course's name: `subject`, `markdown` or `lesson`, `preview`, `audience`
   * ("all" by default, "course", or "stage:<lesson-slug>"), `scheduledAt` (an ISO time; default
   * now), `draft: true` to only save it. /broadcasts is the same endpoint under the console's name.
   */
  .post("/newsletters", newNewsletter)
  .post("/broadcasts", newNewsletter)
  /** A newsletter's progress (what the provider accepted so far) and its results. */
  .get("/broadcasts/:id", async (c) => {
    const services = servicesFor(c);
    const broadcast = await requireBroadcast(services, c.req.param("id"));
    c.header("cache-control", "no-store");
    return c.json(presentBroadcast(broadcast, await newsletterProgress(services, broadcast)));
  })
  /**
   * One address into one course for a server-side integration, with where they gave their
   * consent: enrolled now, or with `doubleOptIn` sent a confirmation email first.
   */
  .post("/enrollments", async (c) => {
    const parsed = enrollmentSchema.safeParse(await fieldsOf(c));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalid("bad_enrollment", `${issue.path.join(".") || "body"}: ${issue.message}`, "Not enrolled");
    }
    const fields = parsed.data;
    const course = apiCourse(c, fields.course);
    const done = await enrollFromIntegration(servicesFor(c), {
      course,
      email: fields.email,
      name: fields.name ?? null,
      timezone: fields.timezone,
      consentSource: fields.consentSource,
      doubleOptIn: fields.doubleOptIn === true || fields.doubleOptIn === "true",
    });
    const status = done.outcome === "unchanged" ? 200 : done.outcome === "pending" ? 202 : 201;
    return c.json({ course: course.slug, email: fields.email, ...done }, status);
  })
  /**
   * Readers from a CSV body (`content-type: text/csv`) into a course: `course`, `source` (where
   * they gave their consent) and `enroll` ("false" to not start the course) in the query.
   */
  .post("/import", async (c) => {
    const course = apiCourse(c, c.req.query("course"));
    if (!(c.req.header("content-type") ?? "").includes("text/csv") || !c.req.raw.body) {
      throw malformed("bad_body", "Send the readers as a CSV body with content-type: text/csv.", "Nothing to import");
    }
    const report = await importReaderCsv(servicesFor(c), course, c.req.raw.body as unknown as AsyncIterable<Uint8Array>, {
      consentSource: c.req.query("source") ?? "",
      enroll: c.req.query("enroll") !== "false",
    });
    return c.json({ course: course.slug, ...presentImport(report) });
  });

// One endpoint per reader action, each the same code the console's forms run.
for (const action of READER_ACTIONS) {
  apiRoutes.post(`/subscribers/:id/${action}`, async (c) => {
    const outcome = await runReaderAction(servicesFor(c), c.req.param("id"), action, await fieldsOf(c));
    return c.json({ ok: true, action, ...(outcome.lesson ? { lesson: outcome.lesson.slug } : {}), ...(outcome.sendId ? { sendId: outcome.sendId } : {}) });
  });
}
