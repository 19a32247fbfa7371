import { courseFor } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { nextItem } from "../domain/course-plan.ts";
import { conflict, gone, notFound } from "../errors.ts";
import type { EnrollmentStatus } from "../store/database.ts";
import { findEnrollment, graduationOf, joinCourse } from "../store/enrollments.ts";
import { findSubscriber } from "../store/subscribers.ts";
import type { ConsentMeta, Subscriber } from "../store/subscribers.ts";
import { verifyToken } from "../tokens.ts";
import { dispatchQuietly } from "./dispatch.ts";
import { emit } from "./emit-event.ts";
import { queueDueEmails } from "./queue-due-emails.ts";
import type { Services } from "./services.ts";

/** Already in the next course ("in": on it now, "done": through it), or null: free to join. */
export type AlreadyJoined = "in" | "done" | null;

export interface JoinOffer {
  /** The course offered: the `next` of the course the graduation email closed. */
  course: Course;
  /** The course the reader finished. */
  from: Course;
  already: AlreadyJoined;
}

// One answer for a cut-off, tampered or foreign link and for a row that is no graduation email (or
// whose reader was erased): the page must not tell which.
const noOffer = () => notFound("offer_not_found", "This link doesn't open an offer. It may be cut off: use the button in your graduation email.", "No offer here");

function alreadyFrom(status: EnrollmentStatus | undefined): AlreadyJoined {
  if (status === "active" || status === "paused" || status === "pending") return "in";
  if (status === "completed") return "done";
  return null;
}

/** Only a reader who still gets our email may join from a link: leaving all email is not undone by a button in an old email. */
function mayJoin(subscriber: Subscriber): void {
  if (subscriber.status === "active") return;
  if (subscriber.status === "unsubscribed") {
    throw conflict("not_subscribed", "You unsubscribed from all our email, so this link can't enroll you. To join, sign up again on the course's page.", "Can't join from here");
  }
  throw conflict("not_mailable", "We can no longer send email to your address, so we can't enroll you in a course by email.", "Can't join from here");
}

/**
 * What a join link offers, checked from the ledger: the graduation email it names, that email's
 * reader, and the course the finished course names as `next` today. The token is signed over the
 * graduation row alone, so it offers exactly one course to exactly one reader.
 */
async function offerOf(services: Services, token: string): Promise<JoinOffer & { subscriberId: string }> {
  const check = await verifyToken(services.secretKey, token, "join-next", services.now());
  if (!check.ok) throw noOffer();
  const graduation = await graduationOf(services.db, check.claims.subject);
  if (!graduation) throw noOffer();
  const subscriber = await findSubscriber(services.db, graduation.subscriberId);
  if (!subscriber || subscriber.status === "deleted") throw noOffer();
  const from = courseFor(services.catalogue, graduation.courseSlug);
  const course = from?.next ? services.catalogue.get(from.next) : undefined;
  if (!from || !course) throw gone("offer_gone", "This course is no longer offered here.", "No longer offered");
  mayJoin(subscriber);
  const enrollment = await findEnrollment(services.db, subscriber.id, course.slug);
  return { subscriberId: subscriber.id, from, course, already: alreadyFrom(enrollment?.status) };
}

/** The GET page: the offer, and whether the reader is already in. It changes nothing (link scanners open every link). */
export async function joinOffer(services: Services, token: string): Promise<JoinOffer> {
  const { course, from, already } = await offerOf(services, token);
  return { course, from, already };
}

/**
 * The page's POST: the reader joins the next course, by their own click. Enrolled at once and
 * lesson 1 queued now, as after a confirmation; no second opt-in, since the address is confirmed,
 * but the consent ledger records the opt-in with the course and how it was given. Joining twice
 * (two clicks, two tabs) enrolls once and says so.
 */
export async function joinNext(services: Services, input: { token: string; meta: Omit<ConsentMeta, "how"> }): Promise<JoinOffer> {
  const offer = await offerOf(services, input.token);
  const { course, from, subscriberId } = offer;
  if (offer.already) return { course, from, already: offer.already };
  const outcome = await joinCourse(
    services.db,
    { subscriberId, courseSlug: course.slug, firstSlug: nextItem(course, -1)?.slug ?? null, ...input.meta, how: "join-next", detail: { from: from.slug } },
    services.now(),
  );
  if (!outcome.joined) return { course, from, already: alreadyFrom(outcome.status) ?? "done" };
  await emit(services, { type: "enrollment.started", subscriberId, data: { course: course.slug, enrollmentId: outcome.enrollmentId, from: from.slug } });
  const { sendIds } = await queueDueEmails(services, { enrollmentIds: [outcome.enrollmentId] });
  await dispatchQuietly(services, sendIds);
  services.log.info("reader joined the next course", { course: course.slug, from: from.slug });
  return { course, from, already: null };
}
