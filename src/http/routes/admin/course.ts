import { Hono } from "hono";
import { sampleReader } from "../../../render/sample-reader.ts";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import type { AppDeps, AppEnv } from "../../env.ts";
import type { TestSend } from "../../../queue/queues.ts";
import { composeEmail } from "../../../render/compose.ts";
import type { ComposableSend } from "../../../render/compose.ts";
import { GRADUATION_SLUG } from "../../../domain/course-plan.ts";
import { isCoursePaused, setCoursePaused } from "../../../store/course-state.ts";
import type { Database } from "../../../store/database.ts";
import type { Subscriber } from "../../../store/subscribers.ts";
import { coursePage, lessonPreviewPage } from "../../views/admin/course.tsx";
import type { CourseOverview, StageCount } from "../../views/admin/course.tsx";
import { emailKey } from "../../../email-address.ts";

const NOTICES: Record<string, string> = {
  paused: "The course is paused. Queued lessons wait until you resume.",
  resumed: "The course is running again. Lessons that waited go out now.",
};

/** A reader by id or address, for previews; undefined when there is none. */
export async function findReader(db: Database, idOrEmail: string): Promise<Subscriber | undefined> {
  const key = idOrEmail.trim();
  if (!key) return undefined;
  return db
    .selectFrom("subscribers")
    .selectAll()
    .where((eb) => eb.or([eb("id", "=", key), eb("email_key", "=", emailKey(key))]))
    .executeTakeFirst();
}


/** The chosen reader, the sample reader when none is chosen, or a 404 naming what was typed. */
export async function previewReader(deps: AppDeps, param: string | undefined, now: number): Promise<{ subscriber: Subscriber; sample: boolean }> {
  if (!param?.trim()) return { subscriber: sampleReader(now), sample: true };
  const subscriber = await findReader(deps.db, param);
  if (!subscriber) throw new AppError(404, "unknown_reader", `No reader with the id or address "${param.trim()}".`, "No such reader");
  return { subscriber, sample: false };
}

const address = z.email();

/** The address a test went to, for the page after the redirect; anything else in the link is ignored. */
export function sentTo(value: string | undefined): string | undefined {
  return value && address.safeParse(value).success ? value : undefined;
}

/**
 * Queues a test email to an admin's address. Test sends ride the send queue, so without a
 * dispatcher (Cloudflare, where the app has no Redis) they cannot be offered at all.
 */
export async function queueTestEmail(deps: AppDeps, to: unknown, test: Omit<TestSend, "to">): Promise<string> {
  const parsed = address.safeParse(typeof to === "string" ? to.trim() : "");
  if (!parsed.success) throw new AppError(422, "bad_address", "Enter the email address the test should go to, like you@example.com.", "Not an email address");
  const enqueue = deps.dispatcher?.enqueueTest;
  if (!enqueue) {
    throw new AppError(503, "no_queue", "Test emails go through the send queue, and this server has none (no Redis dispatcher). Send tests from the Node server.", "Test emails unavailable");
  }
  try {
    await enqueue.call(deps.dispatcher, { to: parsed.data, ...test });
  } catch (error) {
    deps.log.warn("test email not queued", { error: error instanceof Error ? error.message : String(error) });
    throw new AppError(503, "queue_unavailable", "The send queue (Redis) did not answer, so the test email was not queued. Try again in a moment.", "Queue unavailable");
  }
  return parsed.data;
}

function isPreviewSlug(deps: AppDeps, slug: string): boolean {
  return slug === "graduation" || deps.course.lessons.some((l) => l.slug === slug);
}

function unknownLesson(deps: AppDeps, slug: string): AppError {
  return new AppError(404, "unknown_lesson", `There is no lesson "${slug}". Lessons: ${deps.course.lessons.map((l) => l.slug).join(", ")}, graduation.`, "No such lesson");
}

async function overview(deps: AppDeps): Promise<Omit<CourseOverview, "message">> {
  const { db, course } = deps;
  const [stages, days, paused] = await Promise.all([
    db
      .selectFrom("enrollments")
      .select((eb) => ["next_slug", "status", eb.fn.countAll<number>().as("n")])
      .where("course_slug", "=", course.slug)
      .groupBy(["next_slug", "status"])
      .execute(),
    db
      .selectFrom("enrollments")
      .select((eb) => ["last_day", eb.fn.countAll<number>().as("n")])
      .where("course_slug", "=", course.slug)
      .where("status", "in", ["active", "paused"])
      .groupBy("last_day")
      .execute(),
    isCoursePaused(db, course.slug),
  ]);
  const stage = (slug: string): StageCount => ({
    waiting: stages.filter((r) => r.next_slug === slug && r.status === "active").reduce((sum, r) => sum + Number(r.n), 0),
    waitingPaused: stages.filter((r) => r.next_slug === slug && r.status === "paused").reduce((sum, r) => sum + Number(r.n), 0),
  });
  const byStatus = (status: string) => stages.filter((r) => r.status === status).reduce((sum, r) => sum + Number(r.n), 0);
  // A reader's latest lesson is the last one on or before their last_day (lessons are placed by day).
  const lessons = course.lessons.map((lesson, i) => {
    const nextDay = course.lessons[i + 1]?.day ?? Infinity;
    const received = days.filter((r) => r.last_day >= lesson.day && r.last_day < nextDay).reduce((sum, r) => sum + Number(r.n), 0);
    return { lesson, received, ...stage(lesson.slug) };
  });
  return {
    course,
    paused,
    daySeconds: deps.courseDaySeconds,
    lessons,
    graduation: stage(GRADUATION_SLUG),
    totals: { active: byStatus("active"), paused: byStatus("paused"), completed: byStatus("completed"), cancelled: byStatus("cancelled") },
  };
}

/**
 * The course in the admin console: its schedule, where readers are in it, each lesson as a
 * chosen reader receives it, test sends, and pausing the whole course. Mounted at /admin/course.
 */
export const courseAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const view = await overview(c.var.deps);
    return c.html(coursePage({ ...view, message: NOTICES[c.req.query("notice") ?? ""] }));
  })
  .post("/pause", async (c) => {
    await setCoursePaused(c.var.deps.db, c.var.deps.course.slug, true, c.var.now);
    c.var.deps.log.info("course paused by admin", { course: c.var.deps.course.slug });
    return c.redirect("/admin/course?notice=paused", 303);
  })
  .post("/resume", async (c) => {
    await setCoursePaused(c.var.deps.db, c.var.deps.course.slug, false, c.var.now);
    c.var.deps.log.info("course resumed by admin", { course: c.var.deps.course.slug });
    return c.redirect("/admin/course?notice=resumed", 303);
  })
  .get("/preview", async (c) => {
    const { deps, now } = c.var;
    const slug = c.req.query("lesson") || deps.course.lessons[0]?.slug || "graduation";
    if (!isPreviewSlug(deps, slug)) throw unknownLesson(deps, slug);
    const readerParam = c.req.query("reader") ?? "";
    const { subscriber, sample } = await previewReader(deps, readerParam, now);
    const isGraduation = slug === "graduation";
    // The same composeEmail call as /admin/preview and the send worker, so what is shown is what is sent.
    const send: ComposableSend = { id: "preview", kind: isGraduation ? "graduation" : "lesson", lesson_slug: isGraduation ? GRADUATION_SLUG : slug, created_at: now };
    const email = await composeEmail(send, subscriber, { course: deps.course, appUrl: deps.appUrl, secretKey: deps.secretKey, from: deps.emailFrom ?? "preview", now });
    const lesson = deps.course.lessons.find((l) => l.slug === slug);
    const title = lesson ? `${lesson.number}. ${lesson.title}` : "Graduation email";
    return c.html(
      lessonPreviewPage({
        course: deps.course,
        slug,
        title,
        reader: { id: subscriber.id, email: subscriber.email, sample },
        readerParam,
        email,
        sentTo: sentTo(c.req.query("sent_to")),
      }),
    );
  })
  .post("/test", async (c) => {
    const { deps } = c.var;
    const body = await c.req.parseBody();
    const slug = typeof body.lesson === "string" ? body.lesson : "";
    if (!isPreviewSlug(deps, slug)) throw unknownLesson(deps, slug);
    const to = await queueTestEmail(deps, body.to, { lessonSlug: slug });
    return c.redirect(`/admin/course/preview?lesson=${encodeURIComponent(slug)}&sent_to=${encodeURIComponent(to)}`, 303);
  });
