import { Hono } from "hono";
import type { Context } from "hono";
import {
  audienceSize,
  cancelNewsletter,
  courseOfNewsletter,
  createNewsletterFromForm,
  listNewsletters,
  newsletterAudienceSizes,
  newsletterProgress,
  previewNewsletter,
  requireBroadcast,
  scheduleNewsletter,
  startNewsletter,
} from "../../../commands/broadcasts.ts";
import type { AudienceSizes, NewsletterForm } from "../../../commands/broadcasts.ts";
import { chooseCourse, defaultCourse, previewReader, queueTestEmail, sentTo } from "../../../commands/course-admin.ts";
import type { Services } from "../../../commands/services.ts";
import type { Course } from "../../../content/schema.ts";
import { DomainError } from "../../../errors.ts";
import type { Broadcast } from "../../../store/broadcasts.ts";
import type { AppEnv } from "../../env.ts";
import { presentNewsletterProgress } from "../../presenters/admin-broadcasts.ts";
import { servicesFor } from "../../services.ts";
import { audienceLabel, broadcastListPage, broadcastPage } from "../../views/admin/broadcasts.tsx";
import { courseHref, courseNav } from "../../views/admin/parts.tsx";
import type { CourseNav } from "../../views/admin/parts.tsx";
import type { AudienceChoice, BroadcastPageView, ComposeValues } from "../../views/admin/broadcasts.tsx";

// Intl's list, the same on Node and Workers; it omits a few aliases such as "UTC".
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];

const NOTICES: Record<string, { status: Broadcast["status"]; text: string }> = {
  draft: { status: "draft", text: "Draft saved. Preview it, send yourself a test, then send or schedule it." },
  started: { status: "sending", text: "Sending. The progress bar follows it live." },
  scheduled: { status: "scheduled", text: "Scheduled. It starts by itself at the time shown." },
  cancelled: { status: "cancelled", text: "Cancelled. Emails not yet sent will not go out." },
};

/** What the page says of a newsletter whose action notice no longer holds (reloaded later, or a bookmark). */
const STATUS_NOTICES: Partial<Record<Broadcast["status"], string>> = {
  sent: "Sent: every recipient is settled, and the figures below are final.",
  cancelled: "Cancelled. Emails not yet sent did not go out.",
};

/**
 * The notice after an action (`?notice=`), only while the newsletter is still in the state the
 * action put it in: "Sending. The progress bar follows it live" under a status of Sent told the
 * admin two things at once. Otherwise the current status speaks, if it has something to say.
 */
function broadcastNotice(key: string | undefined, status: Broadcast["status"]): string | undefined {
  const notice = key ? NOTICES[key] : undefined;
  if (!notice) return undefined;
  return notice.status === status ? notice.text : STATUS_NOTICES[status];
}

type Ctx = Context<AppEnv>;

const severalCourses = (services: Services) => services.catalogue.courses.length > 1;

/** What a newsletter of this course could go to: its readers, one of its stages, or everyone. */
function audienceChoices(services: Services, course: Course, sizes: AudienceSizes): AudienceChoice[] {
  const several = severalCourses(services);
  const label = (key: string) => audienceLabel(course, key, several);
  return [
    // With one course "everyone" and "the course's readers" are nearly the same; the one it always offered comes first.
    ...(several ? [{ value: "course", label: label("course"), size: sizes.course }] : []),
    { value: "all", label: label("all"), size: sizes.all },
    ...(several ? [] : [{ value: "course", label: label("course"), size: sizes.course }]),
    ...course.lessons.map((l) => ({ value: `stage:${l.slug}`, label: label(`stage:${l.slug}`), size: sizes.stages.get(l.slug) ?? 0 })),
  ];
}

async function audienceChoice(services: Services, course: Course, broadcast: Broadcast): Promise<AudienceChoice> {
  const key = broadcast.audience;
  return { value: key, label: audienceLabel(course, key, severalCourses(services)), size: audienceSize(await newsletterAudienceSizes(services, broadcast.course_slug), key) };
}

/**
 * The course a list page is about: `course` in the address, else the default. A newsletter posted
 * (`body`) must name its course once there are several: it is never sent in a name nobody picked.
 */
function pageCourse(c: Ctx, body?: Record<string, unknown>): { course: Course; nav: CourseNav } {
  const { catalogue } = c.var.deps;
  const course = chooseCourse(catalogue, c.req.query("course") ?? body?.course, body ? "strict" : "console");
  return { course, nav: courseNav(catalogue, course) };
}

/** A newsletter's own course (see courseOfNewsletter); one whose course is gone is shown under the default. */
function newsletterCourse(c: Ctx, broadcast: Broadcast): { course: Course; nav: CourseNav } {
  const { catalogue } = c.var.deps;
  const course = courseOfNewsletter({ catalogue }, broadcast) ?? defaultCourse(catalogue);
  return { course, nav: courseNav(catalogue, course) };
}

async function progressView(services: Services, broadcast: Broadcast) {
  return presentNewsletterProgress(await newsletterProgress(services, broadcast));
}

function load(c: Ctx): Promise<Broadcast> {
  return requireBroadcast(c.var.deps, c.req.param("id") ?? "");
}

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value : "";
}

function defaultValues(c: Ctx, course: Course): ComposeValues {
  // With several courses a newsletter is most often for the course it is written from.
  const audience = c.var.deps.catalogue.courses.length > 1 ? "course" : "all";
  return { subject: "", preview: "", markdown: "", lesson: "", audience, when: "now", scheduledAt: "", timezone: course.schedule.timezone };
}

async function listPage(c: Ctx, course: Course, nav: CourseNav, values: ComposeValues, error?: string) {
  const services = servicesFor(c);
  const several = severalCourses(services);
  const { broadcasts, sizes } = await listNewsletters(services, course);
  return broadcastListPage({
    course,
    nav,
    broadcasts: broadcasts.map(({ broadcast, results }) => ({ broadcast, audience: audienceLabel(course, broadcast.audience, several), results })),
    audiences: audienceChoices(services, course, sizes),
    zones: ZONES,
    values,
    error,
  });
}

/**
 * Newsletters in the admin console, per course: list with results, compose (Markdown or a lesson;
 * the course's readers, one of its stages, or everyone; now, later, or a draft first), preview,
 * test send, live progress, cancel. A newsletter is written from a course's page and is sent in
 * that course's name. Mounted at /admin/broadcasts; every form is a same-origin POST answered with
 * a redirect.
 */
export const broadcastAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { course, nav } = pageCourse(c);
    return c.html(await listPage(c, course, nav, defaultValues(c, course)));
  })
  .post("/", async (c) => {
    const body = await c.req.parseBody();
    const { course, nav } = pageCourse(c, body);
    const values: ComposeValues = {
      subject: field(body, "subject"),
      preview: field(body, "preview"),
      markdown: field(body, "markdown"),
      lesson: field(body, "lesson"),
      audience: field(body, "audience") || "all",
      when: field(body, "when") === "schedule" ? "schedule" : "now",
      scheduledAt: field(body, "scheduled_at"),
      timezone: field(body, "timezone") || course.schedule.timezone,
    };
    const form: NewsletterForm = { ...values, intent: field(body, "intent") === "draft" ? "draft" : "go" };
    try {
      const { id, state } = await createNewsletterFromForm(servicesFor(c), course, form);
      return c.redirect(courseHref(nav, `/admin/broadcasts/${id}?notice=${state}`), 303);
    } catch (error) {
      // Shown on the form itself, so a newsletter that took a while to write is not lost.
      if (error instanceof DomainError && error.kind === "invalid") return c.html(await listPage(c, course, nav, values, error.message), 422);
      throw error;
    }
  })
  .get("/:id", async (c) => {
    const { deps } = c.var;
    const services = servicesFor(c);
    const broadcast = await load(c);
    const { course, nav } = newsletterCourse(c, broadcast);
    const [progress, audience] = await Promise.all([progressView(services, broadcast), audienceChoice(services, course, broadcast)]);
    const readerParam = c.req.query("reader") ?? "";
    const { subscriber, sample } = await previewReader(services, readerParam);
    let preview: BroadcastPageView["preview"];
    try {
      const email = await previewNewsletter(services, broadcast, subscriber, deps.emailFrom ?? "preview");
      preview = {
        email,
        htmlUrl: courseHref(nav, `/admin/broadcasts/${broadcast.id}/preview${sample ? "" : `?reader=${encodeURIComponent(subscriber.id)}`}`),
        readerParam,
        readerLabel: sample ? `a sample reader (${subscriber.email})` : subscriber.email,
      };
    } catch (error) {
      if (!(error instanceof DomainError && error.code === "cannot_render")) throw error;
      preview = { error: error.message };
    }
    const testedTo = sentTo(c.req.query("sent_to"));
    const message = testedTo ? `A test email is queued for ${testedTo}. It arrives with “[Test]” in front of the subject.` : broadcastNotice(c.req.query("notice"), broadcast.status);
    return c.html(broadcastPage({ course, nav, broadcast, audience, progress, zones: ZONES, preview, message }));
  })
  .get("/:id/progress.json", async (c) => {
    const broadcast = await load(c);
    c.header("cache-control", "no-store");
    return c.json(await progressView(servicesFor(c), broadcast));
  })
  /** The newsletter's HTML as a reader gets it, for the page's sandboxed frame. */
  .get("/:id/preview", async (c) => {
    const services = servicesFor(c);
    const broadcast = await load(c);
    const { subscriber } = await previewReader(services, c.req.query("reader"));
    const email = await previewNewsletter(services, broadcast, subscriber, c.var.deps.emailFrom ?? "preview");
    if (c.req.query("format") === "text") return c.text(email.text);
    // The email's own markup, sandboxed like /admin/preview: no scripts, no same-origin access.
    c.header("Content-Security-Policy", "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'");
    return c.html(email.html);
  })
  .post("/:id/send", async (c) => {
    const broadcast = await load(c);
    await startNewsletter(servicesFor(c), broadcast.id);
    return c.redirect(courseHref(newsletterCourse(c, broadcast).nav, `/admin/broadcasts/${broadcast.id}?notice=started`), 303);
  })
  .post("/:id/schedule", async (c) => {
    const broadcast = await load(c);
    const { course, nav } = newsletterCourse(c, broadcast);
    const body = await c.req.parseBody();
    await scheduleNewsletter(servicesFor(c), broadcast.id, field(body, "scheduled_at"), field(body, "timezone") || course.schedule.timezone);
    return c.redirect(courseHref(nav, `/admin/broadcasts/${broadcast.id}?notice=scheduled`), 303);
  })
  .post("/:id/cancel", async (c) => {
    const broadcast = await load(c);
    await cancelNewsletter(servicesFor(c), broadcast.id);
    return c.redirect(courseHref(newsletterCourse(c, broadcast).nav, `/admin/broadcasts/${broadcast.id}?notice=cancelled`), 303);
  })
  .post("/:id/test", async (c) => {
    const broadcast = await load(c);
    // The worker renders a newsletter test in its broadcast's course.
    const { nav } = newsletterCourse(c, broadcast);
    const body = await c.req.parseBody();
    const to = await queueTestEmail(servicesFor(c), body.to, { broadcastId: broadcast.id });
    return c.redirect(courseHref(nav, `/admin/broadcasts/${broadcast.id}?sent_to=${encodeURIComponent(to)}`), 303);
  });
