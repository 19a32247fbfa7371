import { Hono } from "hono";
import type { Context } from "hono";
import { DateTime } from "luxon";
import { AppError } from "../../errors.ts";
import type { AppDeps, AppEnv } from "../../env.ts";
import { composeEmail, ComposeError } from "../../../render/compose.ts";
import { isValidTimezone } from "../../../domain/schedule.ts";
import { broadcastProgress, BroadcastError, cancelBroadcast, createBroadcast, getBroadcast, listBroadcasts, parseAudience, startBroadcast } from "../../../store/broadcasts.ts";
import type { Audience, Broadcast } from "../../../store/broadcasts.ts";
import type { Database } from "../../../store/database.ts";
import type { OutgoingEmail } from "../../../send/mailer.ts";
import type { Subscriber } from "../../../store/subscribers.ts";
import { audienceLabel, broadcastListPage, broadcastPage, STATUS_LABELS } from "../../views/admin/broadcasts.ts";
import type { AudienceChoice, BroadcastPageView, BroadcastResults, ComposeValues, ProgressView } from "../../views/admin/broadcasts.ts";
import { previewReader, queueTestEmail, sentTo } from "./course.ts";

// Intl's list, the same on Node and Workers; it omits a few aliases such as "UTC".
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];

const NOTICES: Record<string, string> = {
  draft: "Draft saved. Preview it, send yourself a test, then send or schedule it.",
  started: "Sending. The progress bar follows it live.",
  scheduled: "Scheduled. It starts by itself at the time shown.",
  cancelled: "Cancelled. Emails not yet sent will not go out.",
};

/**
 * Who a newsletter reaches, counted exactly as the tick selects them (src/store/broadcast-delivery.ts):
 * active readers, and for a stage the ones whose active enrollment's next lesson is that one.
 */
async function audienceSizes(db: Database): Promise<{ all: number; stages: Map<string, number> }> {
  const [all, stages] = await Promise.all([
    db.selectFrom("subscribers").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "=", "active").executeTakeFirstOrThrow(),
    db
      .selectFrom("enrollments")
      .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
      .select((eb) => ["enrollments.next_slug", eb.fn.count<number>("subscribers.id").distinct().as("n")])
      .where("subscribers.status", "=", "active")
      .where("enrollments.status", "=", "active")
      .groupBy("enrollments.next_slug")
      .execute(),
  ]);
  return { all: Number(all.n), stages: new Map(stages.flatMap((r) => (r.next_slug ? [[r.next_slug, Number(r.n)] as const] : []))) };
}

async function audienceChoices(deps: AppDeps): Promise<AudienceChoice[]> {
  const sizes = await audienceSizes(deps.db);
  return [
    { value: "all", label: audienceLabel(deps.course, "all"), size: sizes.all },
    ...deps.course.lessons.map((l) => ({ value: `stage:${l.slug}`, label: audienceLabel(deps.course, `stage:${l.slug}`), size: sizes.stages.get(l.slug) ?? 0 })),
  ];
}

async function audienceChoice(deps: AppDeps, key: string): Promise<AudienceChoice> {
  const sizes = await audienceSizes(deps.db);
  const audience = parseAudience(key);
  return { value: key, label: audienceLabel(deps.course, key), size: audience.kind === "all" ? sizes.all : (sizes.stages.get(audience.lessonSlug) ?? 0) };
}

/** Sent/failed/bounced/delivered for many newsletters in one query. */
async function resultsFor(db: Database, ids: readonly string[]): Promise<Map<string, BroadcastResults>> {
  const results = new Map<string, BroadcastResults>(ids.map((id) => [id, { total: 0, sent: 0, failed: 0, bounced: 0, delivered: 0 }]));
  if (ids.length === 0) return results;
  const rows = await db
    .selectFrom("sends")
    .select((eb) => ["broadcast_id", "status", eb.fn.countAll<number>().as("n"), eb.fn.count<number>("bounced_at").as("bounced"), eb.fn.count<number>("delivered_at").as("delivered")])
    .where("broadcast_id", "in", ids)
    .groupBy(["broadcast_id", "status"])
    .execute();
  for (const row of rows) {
    const r = results.get(row.broadcast_id ?? "");
    if (!r) continue;
    const n = Number(row.n);
    r.total += n;
    if (row.status === "sent") r.sent += n;
    if (row.status === "failed") r.failed += n;
    r.bounced += Number(row.bounced);
    r.delivered += Number(row.delivered);
  }
  return results;
}

async function progressView(deps: AppDeps, broadcast: Broadcast): Promise<ProgressView> {
  const progress = await broadcastProgress(deps.db, broadcast.id);
  if (!progress) throw notFound(broadcast.id);
  // Until every recipient has a ledger row the count is partial; the audience's size keeps the bar honest meanwhile.
  const final = progress.materialized || progress.status === "sent" || progress.status === "cancelled";
  const expected = final ? progress.total : Math.max(progress.total, (await audienceChoice(deps, broadcast.audience)).size);
  const settled = progress.sent + progress.failed + progress.cancelled;
  const done = (progress.status === "sent" || progress.status === "cancelled") && progress.queued === 0;
  const percent = expected === 0 ? (done ? 100 : 0) : Math.floor((settled * 100) / expected);
  return { ...progress, expected, settled, percent, done, statusLabel: STATUS_LABELS[progress.status] };
}

/** The same composeEmail call the send worker makes for a newsletter row, so the preview is what readers get. */
function composeNewsletter(deps: AppDeps, broadcast: Broadcast, subscriber: Subscriber, now: number): Promise<OutgoingEmail> {
  return composeEmail(
    { id: "preview", kind: "newsletter", lesson_slug: null, created_at: now },
    subscriber,
    { course: deps.course, appUrl: deps.appUrl, secretKey: deps.secretKey, from: deps.emailFrom ?? "preview", now },
    { subject: broadcast.subject, markdown: broadcast.markdown, lessonSlug: broadcast.lesson_slug, preview: broadcast.preview },
  );
}

function notFound(id: string): AppError {
  return new AppError(404, "unknown_broadcast", `There is no newsletter with the id "${id}".`, "No such newsletter");
}

async function load(c: Context<AppEnv>): Promise<Broadcast> {
  const id = c.req.param("id") ?? "";
  const broadcast = await getBroadcast(c.var.deps.db, id);
  if (!broadcast) throw notFound(id);
  return broadcast;
}

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value : "";
}

/** A wall-clock time in a named zone, which must still be ahead. */
function parseScheduledAt(local: string, zone: string, now: number): number {
  if (!local) throw new BroadcastError("Pick the date and time to send at.");
  if (!isValidTimezone(zone)) throw new BroadcastError(`"${zone}" is not a time zone we know. Pick one from the list.`);
  const at = DateTime.fromISO(local, { zone });
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(local) || !at.isValid) throw new BroadcastError(`"${local}" is not a date and time like 2030-06-01T09:00.`);
  if (at.toMillis() <= now) throw new BroadcastError(`${local.replace("T", " ")} in ${zone} has already passed. Pick a later time, or send now.`);
  return at.toMillis();
}

function parseAudienceField(value: string): Audience {
  if (value !== "all" && !value.startsWith("stage:")) throw new BroadcastError("Pick who the newsletter goes to.");
  return parseAudience(value);
}

function defaultValues(deps: AppDeps): ComposeValues {
  return { subject: "", preview: "", markdown: "", lesson: "", audience: "all", when: "now", scheduledAt: "", timezone: deps.course.schedule.timezone };
}

async function listPage(c: Context<AppEnv>, values: ComposeValues, error?: string) {
  const { deps } = c.var;
  const [broadcasts, audiences] = await Promise.all([listBroadcasts(deps.db), audienceChoices(deps)]);
  const results = await resultsFor(
    deps.db,
    broadcasts.map((b) => b.id),
  );
  return broadcastListPage({
    course: deps.course,
    broadcasts: broadcasts.map((broadcast) => ({ broadcast, audience: audienceLabel(deps.course, broadcast.audience), results: results.get(broadcast.id)! })),
    audiences,
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
  .get("/", async (c) => c.html(await listPage(c, defaultValues(c.var.deps))))
  .post("/", async (c) => {
    const { deps, now } = c.var;
    const body = await c.req.parseBody();
    const values: ComposeValues = {
      subject: field(body, "subject"),
      preview: field(body, "preview"),
      markdown: field(body, "markdown"),
      lesson: field(body, "lesson"),
      audience: field(body, "audience") || "all",
      when: field(body, "when") === "schedule" ? "schedule" : "now",
      scheduledAt: field(body, "scheduled_at"),
      timezone: field(body, "timezone") || deps.course.schedule.timezone,
    };
    const intent = field(body, "intent") === "draft" ? "draft" : "go";
    try {
      const audience = parseAudienceField(values.audience);
      if (values.markdown.trim() && values.lesson) throw new BroadcastError("Either write the newsletter or pick a lesson to send, not both.");
      const lesson = deps.course.lessons.find((l) => l.slug === values.lesson);
      const scheduledAt = intent === "go" && values.when === "schedule" ? parseScheduledAt(values.scheduledAt, values.timezone, now) : null;
      const id = await createBroadcast(
        deps.db,
        deps.course,
        { subject: values.subject.trim() || lesson?.subject || "", preview: values.preview, markdown: values.markdown, lessonSlug: values.lesson || null, audience, scheduledAt },
        now,
      );
      const sendNow = intent === "go" && values.when === "now";
      if (sendNow) await startBroadcast(deps.db, id, now);
      deps.log.info("newsletter created by admin", { broadcast: id, audience: values.audience, status: sendNow ? "sending" : scheduledAt ? "scheduled" : "draft" });
      return c.redirect(`/admin/broadcasts/${id}?notice=${sendNow ? "started" : scheduledAt ? "scheduled" : "draft"}`, 303);
    } catch (error) {
      // Shown on the form itself, so a newsletter that took a while to write is not lost.
      if (error instanceof BroadcastError) return c.html(await listPage(c, values, error.message), 422);
      throw error;
    }
  })
  .get("/:id", async (c) => {
    const { deps, now } = c.var;
    const broadcast = await load(c);
    const [progress, audience] = await Promise.all([progressView(deps, broadcast), audienceChoice(deps, broadcast.audience)]);
    const readerParam = c.req.query("reader") ?? "";
    const { subscriber, sample } = await previewReader(deps, readerParam, now);
    let preview: BroadcastPageView["preview"];
    try {
      const email = await composeNewsletter(deps, broadcast, subscriber, now);
      preview = {
        email,
        htmlUrl: `/admin/broadcasts/${broadcast.id}/preview${sample ? "" : `?reader=${encodeURIComponent(subscriber.id)}`}`,
        readerParam,
        readerLabel: sample ? `a sample reader (${subscriber.email})` : subscriber.email,
      };
    } catch (error) {
      if (!(error instanceof ComposeError)) throw error;
      preview = { error: `This newsletter cannot be rendered: ${error.message}.` };
    }
    const testedTo = sentTo(c.req.query("sent_to"));
    const message = testedTo ? `A test email is queued for ${testedTo}. It arrives with “[Test]” in front of the subject.` : NOTICES[c.req.query("notice") ?? ""];
    return c.html(broadcastPage({ course: deps.course, broadcast, audience, progress, zones: ZONES, preview, message }));
  })
  .get("/:id/progress.json", async (c) => {
    const broadcast = await load(c);
    c.header("cache-control", "no-store");
    return c.json(await progressView(c.var.deps, broadcast));
  })
  /** The newsletter's HTML as a reader gets it, for the page's sandboxed frame. */
  .get("/:id/preview", async (c) => {
    const { deps, now } = c.var;
    const broadcast = await load(c);
    const { subscriber } = await previewReader(deps, c.req.query("reader"), now);
    let email;
    try {
      email = await composeNewsletter(deps, broadcast, subscriber, now);
    } catch (error) {
      if (error instanceof ComposeError) throw new AppError(409, "cannot_render", `This newsletter cannot be rendered: ${error.message}.`, "Cannot preview");
      throw error;
    }
    if (c.req.query("format") === "text") return c.text(email.text);
    // The email's own markup, sandboxed like /admin/preview: no scripts, no same-origin access.
    c.header("Content-Security-Policy", "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'");
    return c.html(email.html);
  })
  .post("/:id/send", async (c) => {
    const broadcast = await load(c);
    if (!(await startBroadcast(c.var.deps.db, broadcast.id, c.var.now))) {
      throw new AppError(409, "not_startable", `This newsletter is ${broadcast.status}; only a draft or a scheduled newsletter can be sent now.`, "Cannot send");
    }
    c.var.deps.log.info("newsletter started by admin", { broadcast: broadcast.id });
    return c.redirect(`/admin/broadcasts/${broadcast.id}?notice=started`, 303);
  })
  .post("/:id/schedule", async (c) => {
    const { deps, now } = c.var;
    const broadcast = await load(c);
    const body = await c.req.parseBody();
    let at: number;
    try {
      at = parseScheduledAt(field(body, "scheduled_at"), field(body, "timezone") || deps.course.schedule.timezone, now);
    } catch (error) {
      if (error instanceof BroadcastError) throw new AppError(422, "bad_schedule", error.message, "Cannot schedule");
      throw error;
    }
    const result = await deps.db.updateTable("broadcasts").set({ status: "scheduled", scheduled_at: at, updated_at: now }).where("id", "=", broadcast.id).where("status", "=", "draft").executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new AppError(409, "not_draft", `This newsletter is ${broadcast.status}; only a draft can be scheduled.`, "Cannot schedule");
    }
    return c.redirect(`/admin/broadcasts/${broadcast.id}?notice=scheduled`, 303);
  })
  .post("/:id/cancel", async (c) => {
    const broadcast = await load(c);
    if (!(await cancelBroadcast(c.var.deps.db, broadcast.id, c.var.now))) {
      throw new AppError(409, "not_cancellable", `This newsletter is already ${broadcast.status}, so there is nothing to cancel.`, "Cannot cancel");
    }
    c.var.deps.log.info("newsletter cancelled by admin", { broadcast: broadcast.id });
    return c.redirect(`/admin/broadcasts/${broadcast.id}?notice=cancelled`, 303);
  })
  .post("/:id/test", async (c) => {
    const broadcast = await load(c);
    const body = await c.req.parseBody();
    const to = await queueTestEmail(c.var.deps, body.to, { broadcastId: broadcast.id });
    return c.redirect(`/admin/broadcasts/${broadcast.id}?sent_to=${encodeURIComponent(to)}`, 303);
  });
