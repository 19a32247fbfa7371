import { DateTime } from "luxon";
import { courseFor } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { isValidTimezone } from "../domain/schedule.ts";
import { conflict, DomainError, invalid, notFound } from "../errors.ts";
import { composeEmail, ComposeError } from "../render/compose.ts";
import type { OutgoingEmail } from "../send/mailer.ts";
import {
  audienceKey,
  audienceSizes,
  broadcastProgress,
  broadcastResults,
  cancelBroadcast,
  createBroadcast,
  getBroadcast,
  listBroadcasts,
  parseAudience,
  scheduleDraft,
  startBroadcast,
} from "../store/broadcasts.ts";
import type { Audience, AudienceCounts, Broadcast, BroadcastProgress, BroadcastResults } from "../store/broadcasts.ts";
import type { Subscriber } from "../store/subscribers.ts";
import { courseScope } from "./course-admin.ts";
import type { Services } from "./services.ts";

/**
 * Newsletters: compose (Markdown or a lesson; everyone, one course, or one course stage; now,
 * later, or a draft first), schedule, start, cancel, preview and follow. Every newsletter belongs
 * to a course: it is sent in that course's name (sender, footer, List-Id), and "course" and
 * "stage:" audiences are that course's readers. The console, the API and the CLI call these.
 */

export async function requireBroadcast(services: Pick<Services, "db">, id: string): Promise<Broadcast> {
  const broadcast = await getBroadcast(services.db, id);
  if (!broadcast) throw notFound("unknown_broadcast", `There is no newsletter with the id "${id}".`, "No such newsletter");
  return broadcast;
}

/** A newsletter the admin must fix before it can be saved: a 422 that keeps the form as written. */
const badNewsletter = (message: string) => invalid("bad_newsletter", message, "Please check the newsletter");

/** A wall-clock time in a named zone, which must still be ahead. */
export function parseScheduledAt(local: string, zone: string, now: number): number {
  if (!local) throw badNewsletter("Pick the date and time to send at.");
  if (!isValidTimezone(zone)) throw badNewsletter(`"${zone}" is not a time zone we know. Pick one from the list.`);
  const at = DateTime.fromISO(local, { zone });
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(local) || !at.isValid) throw badNewsletter(`"${local}" is not a date and time like 2030-06-01T09:00.`);
  if (at.toMillis() <= now) throw badNewsletter(`${local.replace("T", " ")} in ${zone} has already passed. Pick a later time, or send now.`);
  return at.toMillis();
}

/** "all", "course" or "stage:<lesson-slug>"; anything else is refused. */
export function parseAudienceField(value: string): Audience {
  if (value !== "all" && value !== "course" && !value.startsWith("stage:")) throw badNewsletter('Pick who the newsletter goes to. It is "all", "course" or "stage:<lesson-slug>".');
  return parseAudience(value);
}

/**
 * The course a newsletter speaks for: its own, or, for one written before newsletters had a
 * course, the only (else first) course. Undefined when its course is gone from content/.
 */
export function courseOfNewsletter(services: Pick<Services, "catalogue">, broadcast: Broadcast): Course | undefined {
  return courseFor(services.catalogue, broadcast.course_slug);
}

export interface NewNewsletter {
  subject: string;
  preview: string | null;
  markdown: string | null;
  lessonSlug: string | null;
  audience: Audience;
  /** Send at this time; null: now when `start`, else a draft. */
  scheduledAt: number | null;
  start: boolean;
}

export type NewsletterState = "started" | "scheduled" | "draft";

/** Saves a newsletter of the course and, when asked, starts it now; the tick turns its audience into ledger rows. */
export async function createNewsletter(services: Services, course: Course, input: NewNewsletter): Promise<{ id: string; state: NewsletterState }> {
  const now = services.now();
  const { subject, preview, markdown, lessonSlug, audience, scheduledAt } = input;
  const id = await createBroadcast(services.db, course, { subject, preview, markdown, lessonSlug, audience, scheduledAt }, now);
  const sendNow = input.start && scheduledAt === null;
  if (sendNow) await startBroadcast(services.db, id, now);
  const state: NewsletterState = sendNow ? "started" : scheduledAt ? "scheduled" : "draft";
  services.log.info("newsletter created by admin", { broadcast: id, course: course.slug, audience: audienceKey(audience), status: state === "started" ? "sending" : state });
  return { id, state };
}

/** The console's compose form, as typed. */
export interface NewsletterForm {
  subject: string;
  preview: string;
  markdown: string;
  lesson: string;
  audience: string;
  when: "now" | "schedule";
  scheduledAt: string;
  timezone: string;
  /** "draft" saves it; "go" sends it now or schedules it. */
  intent: "draft" | "go";
}

/** The compose form's rules on top of createNewsletter's: one body, a time that is still ahead. */
export async function createNewsletterFromForm(services: Services, course: Course, form: NewsletterForm): Promise<{ id: string; state: NewsletterState }> {
  const audience = parseAudienceField(form.audience);
  if (form.markdown.trim() && form.lesson) throw badNewsletter("Either write the newsletter or pick a lesson to send, not both.");
  const lesson = course.lessons.find((l) => l.slug === form.lesson);
  const scheduledAt = form.intent === "go" && form.when === "schedule" ? parseScheduledAt(form.scheduledAt, form.timezone, services.now()) : null;
  return createNewsletter(services, course, {
    subject: form.subject.trim() || lesson?.subject || "",
    preview: form.preview,
    markdown: form.markdown,
    lessonSlug: form.lesson || null,
    audience,
    scheduledAt,
    start: form.intent === "go" && form.when === "now",
  });
}

export async function startNewsletter(services: Services, id: string): Promise<void> {
  const broadcast = await requireBroadcast(services, id);
  if (!(await startBroadcast(services.db, broadcast.id, services.now()))) {
    throw conflict("not_startable", `This newsletter is ${broadcast.status}; only a draft or a scheduled newsletter can be sent now.`, "Cannot send");
  }
  services.log.info("newsletter started by admin", { broadcast: broadcast.id });
}

/** Schedules a draft for a wall-clock time in a zone. */
export async function scheduleNewsletter(services: Services, id: string, local: string, zone: string): Promise<void> {
  const broadcast = await requireBroadcast(services, id);
  let at: number;
  try {
    at = parseScheduledAt(local, zone, services.now());
  } catch (error) {
    if (error instanceof DomainError && error.code === "bad_newsletter") throw invalid("bad_schedule", error.message, "Cannot schedule");
    throw error;
  }
  if (!(await scheduleDraft(services.db, broadcast.id, at, services.now()))) {
    throw conflict("not_draft", `This newsletter is ${broadcast.status}; only a draft can be scheduled.`, "Cannot schedule");
  }
}

export async function cancelNewsletter(services: Services, id: string): Promise<void> {
  const broadcast = await requireBroadcast(services, id);
  if (!(await cancelBroadcast(services.db, broadcast.id, services.now()))) {
    throw conflict("not_cancellable", `This newsletter is already ${broadcast.status}, so there is nothing to cancel.`, "Cannot cancel");
  }
  services.log.info("newsletter cancelled by admin", { broadcast: broadcast.id });
}

export type AudienceSizes = AudienceCounts;

/** How many readers an audience key ("all", "course", "stage:<slug>") reaches now. */
export function audienceSize(sizes: AudienceSizes, key: string): number {
  const audience = parseAudience(key);
  if (audience.kind === "stage") return sizes.stages.get(audience.lessonSlug) ?? 0;
  return audience.kind === "course" ? sizes.course : sizes.all;
}

/** The audiences a newsletter of this course (null: of no course) could have, by size now. */
export function newsletterAudienceSizes(services: Pick<Services, "db">, courseSlug: string | null): Promise<AudienceSizes> {
  return audienceSizes(services.db, courseSlug);
}

/** The course's newest newsletters with their results, and the audiences a new one could have. */
export async function listNewsletters(services: Pick<Services, "db" | "catalogue">, course: Course): Promise<{ broadcasts: { broadcast: Broadcast; results: BroadcastResults }[]; sizes: AudienceSizes }> {
  const scope = courseScope(services.catalogue, course);
  const filter = scope.only ? undefined : { slug: course.slug, includeNoCourse: scope.isDefault };
  const [broadcasts, sizes] = await Promise.all([listBroadcasts(services.db, 50, filter), audienceSizes(services.db, course.slug)]);
  const results = await broadcastResults(
    services.db,
    broadcasts.map((b) => b.id),
  );
  return { broadcasts: broadcasts.map((broadcast) => ({ broadcast, results: results.get(broadcast.id)! })), sizes };
}

export interface NewsletterProgress extends BroadcastProgress {
  /** Recipients expected: the audience's size until every recipient has a ledger row. */
  expected: number;
  settled: number;
  percent: number;
  done: boolean;
}

/** Progress counts from the ledger: a newsletter's progress is what the provider accepted. */
export async function newsletterProgress(services: Pick<Services, "db">, broadcast: Broadcast): Promise<NewsletterProgress> {
  const progress = await broadcastProgress(services.db, broadcast.id);
  if (!progress) throw notFound("unknown_broadcast", `There is no newsletter with the id "${broadcast.id}".`, "No such newsletter");
  // Until every recipient has a ledger row the count is partial; the audience's size keeps the bar honest meanwhile.
  const final = progress.materialized || progress.status === "sent" || progress.status === "cancelled";
  const expected = final ? progress.total : Math.max(progress.total, audienceSize(await audienceSizes(services.db, broadcast.course_slug), broadcast.audience));
  const settled = progress.sent + progress.failed + progress.cancelled;
  const done = (progress.status === "sent" || progress.status === "cancelled") && progress.queued === 0;
  const percent = expected === 0 ? (done ? 100 : 0) : Math.floor((settled * 100) / expected);
  return { ...progress, expected, settled, percent, done };
}

/**
 * The same composeEmail call the send worker makes for a newsletter row, so the preview is what
 * readers get. A newsletter that cannot be rendered is a conflict that says why.
 */
export async function previewNewsletter(services: Services, broadcast: Broadcast, subscriber: Subscriber, from: string): Promise<OutgoingEmail> {
  const now = services.now();
  const course = courseOfNewsletter(services, broadcast);
  if (!course) throw conflict("cannot_render", `This newsletter cannot be rendered: its course "${broadcast.course_slug ?? ""}" is no longer in content/.`, "Cannot preview");
  try {
    return await composeEmail(
      { id: "preview", kind: "newsletter", lesson_slug: null, created_at: now },
      subscriber,
      { course, appUrl: services.appUrl, secretKey: services.secretKey, from, now },
      { subject: broadcast.subject, markdown: broadcast.markdown, lessonSlug: broadcast.lesson_slug, preview: broadcast.preview },
    );
  } catch (error) {
    if (error instanceof ComposeError) throw conflict("cannot_render", `This newsletter cannot be rendered: ${error.message}.`, "Cannot preview");
    throw error;
  }
}
