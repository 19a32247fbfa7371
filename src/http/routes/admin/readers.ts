import { Hono } from "hono";
import type { Context } from "hono";
import type { Lesson } from "../../../content/schema.ts";
import { buildTimeline, decodeCursor, explainNextLesson, isReaderFilter, READER_FILTERS, readerDetail, searchReaders } from "../../../store/admin-queries.ts";
import type { ReaderFilter, ReaderPage } from "../../../store/admin-queries.ts";
import { pauseEnrollment, resumeEnrollment } from "../../../store/enrollments.ts";
import { ManualSendError, moveToLesson, retryHeldLesson, sendLessonNow, skipHeldLesson } from "../../../store/manual-sends.ts";
import { exportReaderData } from "../../../store/reader-data.ts";
import { eraseEverywhere } from "../../../commands/erase-reader.ts";
import { findSubscriber, unsubscribe } from "../../../store/subscribers.ts";
import { dispatchQuietly } from "../../../commands/dispatch.ts";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { readerPage, readersPage } from "../../views/admin/readers.tsx";

/**
 * Readers: search, one reader's story, and what an admin may do to them. The actions live here
 * once and serve both the console's forms and the JSON API (./api.ts).
 */

export const READER_ACTIONS = ["send-lesson", "move", "pause", "resume", "unsubscribe", "retry-lesson", "skip-lesson"] as const;
export type ReaderAction = (typeof READER_ACTIONS)[number];

export interface ActionOutcome {
  action: ReaderAction;
  lesson?: Lesson;
  sendId?: string;
}

type Ctx = Context<AppEnv>;

/** A lesson by slug or by its number in the course ("3"). */
export function resolveLesson(c: Ctx, value: unknown): Lesson {
  const { course } = c.var.deps;
  const text = typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : "";
  if (!text) throw new AppError(400, "lesson_required", "Pick a lesson.", "Pick a lesson");
  const lesson = /^\d{1,4}$/.test(text) ? course.lessons.find((l) => l.number === Number(text)) : course.lessons.find((l) => l.slug === text);
  if (!lesson) {
    throw new AppError(400, "unknown_lesson", `There is no lesson "${text.slice(0, 100)}". Lessons: ${course.lessons.map((l) => `${l.number} (${l.slug})`).join(", ")}.`, "No such lesson");
  }
  return lesson;
}

async function requireReader(c: Ctx, id: string) {
  const subscriber = await findSubscriber(c.var.deps.db, id);
  if (!subscriber) throw new AppError(404, "unknown_reader", "There is no reader with that id.", "No such reader");
  return subscriber;
}

async function enrollmentOf(c: Ctx, subscriberId: string) {
  const enrollment = await c.var.deps.db
    .selectFrom("enrollments")
    .select(["id", "status"])
    .where("subscriber_id", "=", subscriberId)
    .where("course_slug", "=", c.var.deps.course.slug)
    .executeTakeFirst();
  if (!enrollment) throw new AppError(409, "not_enrolled", "This reader is not enrolled in the course.", "Not enrolled");
  return enrollment;
}

function conflict(error: unknown): never {
  if (error instanceof ManualSendError) throw new AppError(409, "not_possible", error.message, "Not possible");
  throw error;
}

export async function runReaderAction(c: Ctx, id: string, action: ReaderAction, fields: Record<string, unknown>): Promise<ActionOutcome> {
  const { deps, now } = c.var;
  await requireReader(c, id);
  let outcome: ActionOutcome;
  switch (action) {
    case "send-lesson": {
      const lesson = resolveLesson(c, fields.lesson);
      const sendId = await sendLessonNow(deps.db, deps.course, id, lesson.slug, now).catch(conflict);
      await dispatchQuietly(deps, [sendId]);
      outcome = { action, lesson, sendId };
      break;
    }
    case "move": {
      const lesson = resolveLesson(c, fields.lesson);
      await moveToLesson(deps.db, deps.course, id, lesson.slug, now).catch(conflict);
      outcome = { action, lesson };
      break;
    }
    case "pause": {
      const enrollment = await enrollmentOf(c, id);
      if (!(await pauseEnrollment(deps.db, enrollment.id, now))) throw new AppError(409, "not_active", `The course is ${enrollment.status} for this reader, so it cannot be paused.`, "Not possible");
      outcome = { action };
      break;
    }
    case "resume": {
      const enrollment = await enrollmentOf(c, id);
      if (!(await resumeEnrollment(deps.db, enrollment.id, now))) throw new AppError(409, "not_paused", `The course is ${enrollment.status} for this reader, not paused.`, "Not possible");
      outcome = { action };
      break;
    }
    // A lesson that failed for good holds the course: retry it, or skip it for a stated reason.
    case "retry-lesson": {
      const enrollment = await enrollmentOf(c, id);
      const requeued = await retryHeldLesson(deps.db, enrollment.id, now).catch(conflict);
      await dispatchQuietly(deps, requeued.sendIds);
      outcome = { action };
      break;
    }
    case "skip-lesson": {
      const reason = typeof fields.reason === "string" ? fields.reason.trim() : "";
      if (!reason) throw new AppError(400, "reason_required", "Say why the lesson is skipped; the reason is kept on the reader's record.", "Reason required");
      const enrollment = await enrollmentOf(c, id);
      outcome = { action, sendId: await skipHeldLesson(deps.db, enrollment.id, reason, now).catch(conflict) };
      break;
    }
    case "unsubscribe": {
      // The consent record says an admin did it; the admin's own address is not the reader's.
      if (!(await unsubscribe(deps.db, id, { ip: null, userAgent: null, how: "admin" }, now, "all"))) {
        throw new AppError(409, "not_possible", "This reader cannot be unsubscribed.", "Not possible");
      }
      outcome = { action };
      break;
    }
  }
  deps.log.info("admin action", { action, subscriber: id, lesson: outcome.lesson?.slug });
  return outcome;
}

export async function exportReader(c: Ctx, id: string) {
  const data = await exportReaderData(c.var.deps.db, id);
  if (!data) throw new AppError(404, "unknown_reader", "There is no reader with that id.", "No such reader");
  c.var.deps.log.info("admin action", { action: "export", subscriber: id });
  return data;
}

export async function eraseReaderAsAdmin(c: Ctx, id: string): Promise<void> {
  if (!(await eraseEverywhere(servicesFor(c), id))) throw new AppError(404, "unknown_reader", "There is no reader with that id.", "No such reader");
  c.var.deps.log.info("admin action", { action: "erase", subscriber: id });
}

export interface ReaderListInput {
  q: string;
  status: ReaderFilter | undefined;
  page: ReaderPage;
}

/** The list query from a request's search parameters; bad ones are a 400 that says what is wrong. */
export async function listReaders(c: Ctx, defaultLimit = 50): Promise<ReaderListInput> {
  const q = (c.req.query("q") ?? "").trim();
  if (q.length > 200) throw new AppError(400, "bad_query", "Search for at most 200 characters.");
  const statusParam = c.req.query("status") ?? "";
  if (statusParam && !isReaderFilter(statusParam)) throw new AppError(400, "bad_status", `status must be one of: ${READER_FILTERS.join(", ")}.`);
  const status = statusParam ? (statusParam as ReaderFilter) : undefined;
  const cursorOf = (name: string) => {
    const raw = c.req.query(name);
    if (!raw) return undefined;
    const cursor = decodeCursor(raw);
    if (!cursor) throw new AppError(400, "bad_cursor", `That ${name} is not one this console gave out; start again from the first page.`);
    return cursor;
  };
  // Offsets would make page 2,000 scan 100,000 rows; the keyset cursor costs the same on every page.
  if (c.req.query("page") !== undefined) throw new AppError(400, "use_cursor", "Pages are addressed by cursor: pass the previous answer's `next` as cursor (or its `prev` as before).");
  const after = cursorOf("cursor");
  const before = cursorOf("before");
  if (after && before) throw new AppError(400, "bad_cursor", "Send cursor or before, not both.");
  const limitParam = c.req.query("limit");
  const limit = limitParam === undefined ? defaultLimit : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new AppError(400, "bad_limit", "limit must be a whole number from 1 to 200.");
  const page = await searchReaders(c.var.deps.db, { courseSlug: c.var.deps.course.slug, q, status, after, before, limit });
  return { q, status, page };
}

export async function readerView(c: Ctx, id: string) {
  const { deps, now } = c.var;
  const detail = await readerDetail(deps.db, id, deps.course.slug);
  if (!detail) throw new AppError(404, "unknown_reader", "There is no reader with that id.", "No such reader");
  return { detail, timeline: buildTimeline(deps.course, detail), next: explainNextLesson(deps.course, detail, now, deps.courseDaySeconds) };
}

function noticeFor(c: Ctx): string | undefined {
  const code = c.req.query("notice");
  const slug = c.req.query("lesson");
  const lesson = slug ? c.var.deps.course.lessons.find((l) => l.slug === slug) : undefined;
  const named = lesson ? `Lesson ${lesson.number} “${lesson.title}”` : "The lesson";
  switch (code) {
    case "send-lesson":
      return `${named} is queued to go out now.`;
    case "move":
      return `${named} is now their next lesson; it goes out on the scheduler's next tick.`;
    case "pause":
      return "Paused. Their place in the course is kept.";
    case "resume":
      return "Resumed. Their next lesson is timed from now.";
    case "unsubscribe":
      return "Unsubscribed from all email.";
    case "retry-lesson":
      return "The held lesson is back in the queue.";
    case "skip-lesson":
      return "The held lesson was skipped; the course goes on.";
    case "deleted":
      return "The reader was erased. Only a hash of their address is kept, so it is never mailed by accident.";
    default:
      return undefined;
  }
}

/** An unreadable body is already a 400 (the app's body guard). */
async function formFields(c: Ctx): Promise<Record<string, unknown>> {
  return c.req.parseBody();
}

const readerActionRoutes = new Hono<AppEnv>();
for (const action of READER_ACTIONS) {
  readerActionRoutes.post(`/:id/${action}`, async (c) => {
    const id = c.req.param("id");
    const outcome = await runReaderAction(c, id, action, await formFields(c));
    const query = new URLSearchParams({ notice: action, ...(outcome.lesson ? { lesson: outcome.lesson.slug } : {}) });
    return c.redirect(`/admin/readers/${encodeURIComponent(id)}?${query}`, 303);
  });
}

export const readerRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const list = await listReaders(c);
    return c.html(readersPage({ course: c.var.deps.course, ...list, zone: c.var.deps.course.schedule.timezone, message: noticeFor(c) }));
  })
  .get("/:id", async (c) => {
    const view = await readerView(c, c.req.param("id"));
    return c.html(readerPage({ course: c.var.deps.course, ...view, zone: c.var.deps.course.schedule.timezone, message: noticeFor(c) }));
  })
  .route("/", readerActionRoutes)
  .post("/:id/export", async (c) => {
    const id = c.req.param("id");
    const data = await exportReader(c, id);
    return c.body(JSON.stringify(data, null, 2), 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="reader-${id.replace(/[^\w-]/g, "")}.json"`,
      "cache-control": "no-store",
    });
  })
  .post("/:id/delete", async (c) => {
    const id = c.req.param("id");
    const fields = await formFields(c);
    if (fields.confirm !== "yes") throw new AppError(400, "confirm_required", "Tick the box to confirm the erasure; nothing was deleted.", "Not confirmed");
    await eraseReaderAsAdmin(c, id);
    return c.redirect("/admin/readers?notice=deleted", 303);
  });
