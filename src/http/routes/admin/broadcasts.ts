import { Hono } from "hono";
import type { Context } from "hono";
import {
  audienceSize,
  cancelNewsletter,
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
import { previewReader, queueTestEmail, sentTo } from "../../../commands/course-admin.ts";
import type { Services } from "../../../commands/services.ts";
import { DomainError } from "../../../errors.ts";
import type { Broadcast } from "../../../store/broadcasts.ts";
import type { AppEnv } from "../../env.ts";
import { presentNewsletterProgress } from "../../presenters/admin-broadcasts.ts";
import { servicesFor } from "../../services.ts";
import { audienceLabel, broadcastListPage, broadcastPage } from "../../views/admin/broadcasts.tsx";
import type { AudienceChoice, BroadcastPageView, ComposeValues } from "../../views/admin/broadcasts.tsx";

// Intl's list, the same on Node and Workers; it omits a few aliases such as "UTC".
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];

const NOTICES: Record<string, string> = {
  draft: "Draft saved. Preview it, send yourself a test, then send or schedule it.",
  started: "Sending. The progress bar follows it live.",
  scheduled: "Scheduled. It starts by itself at the time shown.",
  cancelled: "Cancelled. Emails not yet sent will not go out.",
};

type Ctx = Context<AppEnv>;

function audienceChoices(services: Services, sizes: AudienceSizes): AudienceChoice[] {
  const course = services.catalogue.primary;
  return [
    { value: "all", label: audienceLabel(course, "all"), size: sizes.all },
    ...course.lessons.map((l) => ({ value: `stage:${l.slug}`, label: audienceLabel(course, `stage:${l.slug}`), size: sizes.stages.get(l.slug) ?? 0 })),
  ];
}

async function audienceChoice(services: Services, key: string): Promise<AudienceChoice> {
  return { value: key, label: audienceLabel(services.catalogue.primary, key), size: audienceSize(await newsletterAudienceSizes(services), key) };
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

function defaultValues(c: Ctx): ComposeValues {
  return { subject: "", preview: "", markdown: "", lesson: "", audience: "all", when: "now", scheduledAt: "", timezone: c.var.deps.catalogue.primary.schedule.timezone };
}

async function listPage(c: Ctx, values: ComposeValues, error?: string) {
  const services = servicesFor(c);
  const { broadcasts, sizes } = await listNewsletters(services);
  return broadcastListPage({
    course: services.catalogue.primary,
    broadcasts: broadcasts.map(({ broadcast, results }) => ({ broadcast, audience: audienceLabel(services.catalogue.primary, broadcast.audience), results })),
    audiences: audienceChoices(services, sizes),
    zones: ZONES,
    values,
    error,
  });
}

/**
 * Newsletters in the admin console: list with results, compose (Markdown or a lesson; everyone or
 * one course stage; now, later, or a draft first), preview, test send, live progress, cancel.
 * Mounted at /admin/broadcasts; every form is a same-origin POST answered with a redirect.
 */
export const broadcastAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => c.html(await listPage(c, defaultValues(c))))
  .post("/", async (c) => {
    const { deps } = c.var;
    const body = await c.req.parseBody();
    const values: ComposeValues = {
      subject: field(body, "subject"),
      preview: field(body, "preview"),
      markdown: field(body, "markdown"),
      lesson: field(body, "lesson"),
      audience: field(body, "audience") || "all",
      when: field(body, "when") === "schedule" ? "schedule" : "now",
      scheduledAt: field(body, "scheduled_at"),
      timezone: field(body, "timezone") || deps.catalogue.primary.schedule.timezone,
    };
    const form: NewsletterForm = { ...values, intent: field(body, "intent") === "draft" ? "draft" : "go" };
    try {
      const { id, state } = await createNewsletterFromForm(servicesFor(c), form);
      return c.redirect(`/admin/broadcasts/${id}?notice=${state}`, 303);
    } catch (error) {
      // Shown on the form itself, so a newsletter that took a while to write is not lost.
      if (error instanceof DomainError && error.kind === "invalid") return c.html(await listPage(c, values, error.message), 422);
      throw error;
    }
  })
  .get("/:id", async (c) => {
    const { deps } = c.var;
    const services = servicesFor(c);
    const broadcast = await load(c);
    const [progress, audience] = await Promise.all([progressView(services, broadcast), audienceChoice(services, broadcast.audience)]);
    const readerParam = c.req.query("reader") ?? "";
    const { subscriber, sample } = await previewReader(services, readerParam);
    let preview: BroadcastPageView["preview"];
    try {
      const email = await previewNewsletter(services, broadcast, subscriber, deps.emailFrom ?? "preview");
      preview = {
        email,
        htmlUrl: `/admin/broadcasts/${broadcast.id}/preview${sample ? "" : `?reader=${encodeURIComponent(subscriber.id)}`}`,
        readerParam,
        readerLabel: sample ? `a sample reader (${subscriber.email})` : subscriber.email,
      };
    } catch (error) {
      if (!(error instanceof DomainError && error.code === "cannot_render")) throw error;
      preview = { error: error.message };
    }
    const testedTo = sentTo(c.req.query("sent_to"));
    const message = testedTo ? `A test email is queued for ${testedTo}. It arrives with “[Test]” in front of the subject.` : NOTICES[c.req.query("notice") ?? ""];
    return c.html(broadcastPage({ course: deps.catalogue.primary, broadcast, audience, progress, zones: ZONES, preview, message }));
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
    const id = c.req.param("id");
    await startNewsletter(servicesFor(c), id);
    return c.redirect(`/admin/broadcasts/${id}?notice=started`, 303);
  })
  .post("/:id/schedule", async (c) => {
    const id = c.req.param("id");
    const body = await c.req.parseBody();
    await scheduleNewsletter(servicesFor(c), id, field(body, "scheduled_at"), field(body, "timezone") || c.var.deps.catalogue.primary.schedule.timezone);
    return c.redirect(`/admin/broadcasts/${id}?notice=scheduled`, 303);
  })
  .post("/:id/cancel", async (c) => {
    const id = c.req.param("id");
    await cancelNewsletter(servicesFor(c), id);
    return c.redirect(`/admin/broadcasts/${id}?notice=cancelled`, 303);
  })
  .post("/:id/test", async (c) => {
    const broadcast = await load(c);
    const body = await c.req.parseBody();
    const to = await queueTestEmail(servicesFor(c), body.to, { broadcastId: broadcast.id });
    return c.redirect(`/admin/broadcasts/${broadcast.id}?sent_to=${encodeURIComponent(to)}`, 303);
  });
