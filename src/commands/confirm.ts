import type { Course } from "../content/schema.ts";
import { gone, malformed } from "../errors.ts";
import { enrollmentsInState, upcomingOf } from "../store/enrollments.ts";
import { confirmSubscriber, findSubscriber, lastOptInCourse } from "../store/subscribers.ts";
import type { ConsentMeta } from "../store/subscribers.ts";
import { CONFIRM_TOKEN_TTL_SECONDS, verifyToken } from "../tokens.ts";
import { dispatchQuietly } from "./dispatch.ts";
import { emit } from "./emit-event.ts";
import { courseOfLegacyOptIn, enrollPending } from "./enroll.ts";
import { queueDueEmails } from "./queue-due-emails.ts";
import type { Services } from "./services.ts";

const INVALID = "This confirmation link is not valid. It may have been mistyped or cut off: sign up again to get a fresh one.";
const EXPIRED = "This confirmation link has expired. Sign up again and we'll send you a new one.";
const SUPERSEDED = "You unsubscribed after this link was sent, so it no longer signs you up. To come back, sign up again and confirm the new link.";

const invalidLink = () => malformed("token_invalid", INVALID, "Link not valid");

/** The reader the link is for, and when the link was made (ms; to the second, as signed). */
async function linkFrom(services: Services, token: string): Promise<{ subscriberId: string; issuedAt: number }> {
  const check = await verifyToken(services.secretKey, token, "confirm", services.now());
  if (!check.ok) throw check.reason === "expired" ? gone("token_expired", EXPIRED, "Link expired") : invalidLink();
  return { subscriberId: check.claims.subject, issuedAt: (check.claims.expiresAt - CONFIRM_TOKEN_TTL_SECONDS) * 1000 };
}

function coursesOf(services: Pick<Services, "catalogue">, slugs: readonly string[]): Course[] {
  return slugs.flatMap((slug) => services.catalogue.get(slug) ?? []);
}

/**
 * Checks a confirmation link without using it, and names the courses confirming will start (what
 * the reader asked for on the forms; none when there is nothing waiting). Link scanners and mail
 * previewers fetch links with GET, so the page that shows the button must never confirm anyone.
 */
export async function checkConfirmLink(services: Services, token: string): Promise<{ courses: Course[] }> {
  const { subscriberId } = await linkFrom(services, token);
  const pending = await enrollmentsInState(services.db, subscriberId, ["pending"]);
  if (pending.length > 0) return { courses: coursesOf(services, pending.map((e) => e.courseSlug)) };
  const subscriber = await findSubscriber(services.db, subscriberId);
  if (subscriber?.status === "pending" && (await lastOptInCourse(services.db, subscriberId)) === null) return { courses: [courseOfLegacyOptIn(services.catalogue)] };
  return { courses: [] };
}

/** One course on the "you're in" page: what is on its way now, and the email after it. */
export interface CourseUnderway {
  course: Course;
  /** Slug of the email queued by this confirmation (lesson 1, or where a returning reader resumes); null if none. */
  arriving: string | null;
  /** The next email after that one and when it is due (ms); null when nothing is scheduled yet. */
  next: { slug: string; at: number } | null;
}

export interface ConfirmResult {
  alreadyConfirmed: boolean;
  /** The reader's courses under way, by course slug. */
  courses: CourseUnderway[];
  /** The reader's time zone, for saying when. */
  timezone: string;
}

/**
 * Double opt-in, completed: confirms the reader, activates every course they asked for before
 * confirming, queues what is due now (each lesson 1) and offers it to the queue. `alreadyConfirmed`
 * lets the page say so instead of welcoming twice; a course still waiting for a reader who was
 * already confirmed (a confirm that stopped halfway, say) starts then too.
 */
export async function confirm(services: Services, input: { token: string; meta: Omit<ConsentMeta, "how"> }): Promise<ConfirmResult> {
  const now = services.now();
  const { subscriberId, issuedAt } = await linkFrom(services, input.token);
  const outcome = await confirmSubscriber(services.db, subscriberId, { ...input.meta, how: "confirm-page" }, now, issuedAt);
  if (outcome === "not-allowed") throw invalidLink();
  if (outcome === "superseded") throw gone("token_superseded", SUPERSEDED, "Link no longer valid");
  // Before any course is activated: no lesson of this reader can be queued, let alone sent, before it.
  if (outcome === "confirmed") {
    services.log.info("reader confirmed", { event: "confirm", subscriber: subscriberId });
    await emit(services, { type: "subscriber.confirmed", subscriberId });
  }

  // Only a fresh confirmation of an opt-in that named no course (one made before courses had
  // folders) falls back to the install's course; a finished course asked for again starts nothing.
  const legacy = outcome === "confirmed" && (await lastOptInCourse(services.db, subscriberId)) === null;
  const activated = await enrollPending(services, { subscriberId, legacy });
  const before = new Map((await upcomingOf(services.db, activated.map((e) => e.id))).map((e) => [e.id, e]));
  // After `before` is read (the tick may queue lesson 1 any moment now), before lesson 1 is queued here.
  for (const e of activated) await emit(services, { type: "enrollment.started", subscriberId, data: { course: e.courseSlug, enrollmentId: e.id } });
  if (activated.length > 0) {
    const { sendIds } = await queueDueEmails(services, { enrollmentIds: activated.map((e) => e.id) });
    await dispatchQuietly(services, sendIds);
  }

  const underway = await enrollmentsInState(services.db, subscriberId, ["active", "paused"]);
  const courses: CourseUnderway[] = [];
  for (const enrollment of await upcomingOf(services.db, underway.map((e) => e.id))) {
    const course = services.catalogue.get(enrollment.courseSlug);
    if (!course) continue;
    const was = before.get(enrollment.id);
    const arriving = was && was.nextSlug !== null && (was.lastDay !== enrollment.lastDay || was.nextSlug !== enrollment.nextSlug) ? was.nextSlug : null;
    const next = enrollment.nextSlug !== null && enrollment.nextDueAt !== null ? { slug: enrollment.nextSlug, at: enrollment.nextDueAt } : null;
    courses.push({ course, arriving, next });
  }
  const subscriber = await findSubscriber(services.db, subscriberId);
  return { alreadyConfirmed: outcome === "already-confirmed", courses, timezone: subscriber?.timezone ?? courses[0]?.course.schedule.timezone ?? "UTC" };
}
