import type { Catalogue } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { conflict, gone, invalid, malformed } from "../errors.ts";
import { leaveCourse, rejoinCourse, resubscribe, unsubscribe as stopEmails } from "../store/subscribers.ts";
import type { ConsentMeta, UnsubscribeScope } from "../store/subscribers.ts";
import { undoToken, verifyToken } from "../tokens.ts";
import { emit } from "./emit-event.ts";
import type { Services } from "./services.ts";

const INVALID = "This link is not valid. Use the link at the bottom of any email from us, or reply to one and we'll remove you by hand.";

const invalidLink = () => malformed("token_invalid", INVALID, "Link not valid");

/** Who an unsubscribe link (never expires) or an undo link (one hour) is for. */
async function subjectOf(services: Services, token: string, purpose: "unsubscribe" | "undo"): Promise<string> {
  const check = await verifyToken(services.secretKey, token, purpose, services.now());
  if (!check.ok) {
    if (purpose === "undo" && check.reason === "expired") throw gone("token_expired", "The undo has expired. You can sign up again on the course page.", "Too late to undo");
    throw invalidLink();
  }
  return check.claims.subject;
}

/**
 * The course a slug names: by its slug, or by one it had before (an email sent before a course was
 * renamed carries the old one). Undefined when no course here answers to it.
 */
export function courseNamed(catalogue: Catalogue, slug: string): Course | undefined {
  return catalogue.get(slug) ?? catalogue.courses.find((course) => course.formerSlugs.includes(slug));
}

/**
 * The undo of "stop this course" names the course it gives back, signed with the reader, so an
 * undo can only ever restore what its own unsubscribe stopped; the undo of "stop all email" names
 * the reader alone (as it always has). Slugs are lowercase words and hyphens, reader ids UUIDs,
 * so the separator is unambiguous.
 */
const COURSE_SEPARATOR = ":";
const undoSubject = (subscriberId: string, courseSlug: string | undefined) => (courseSlug ? `${subscriberId}${COURSE_SEPARATOR}${courseSlug}` : subscriberId);

export interface UnsubscribeChoices {
  /**
   * The course "stop this course" offers: the one the email's link named (`?course=`), or the
   * install's only course. Undefined: the link named none (emails from before there were several
   * courses) or none we have, and the page offers "stop all email" alone, pointing to the
   * preferences page to leave one course. It does not list the reader's courses: this link rides
   * in every forward and every email header, and may show the choices, nothing of the reader.
   */
  course: Course | undefined;
}

/** Checks an unsubscribe link before the page shows the choices; a GET alone never changes anything. */
export async function unsubscribeChoices(services: Services, input: { token: string; course?: string | undefined }): Promise<UnsubscribeChoices> {
  await subjectOf(services, input.token, "unsubscribe");
  // The course in the link only selects what the page offers; it grants nothing, and a stale or
  // mistyped one must not stop an unsubscribe link from working.
  const named = input.course ? courseNamed(services.catalogue, input.course) : undefined;
  return { course: named ?? services.catalogue.only };
}

export interface UnsubscribeInput {
  token: string;
  /** RFC 8058: a mailbox provider's POST, which always stops all email. */
  oneClick: boolean;
  /** The page's choice; ignored for one-click. */
  scope: UnsubscribeScope;
  /** For "stop this course": which course (a slug). May be left out only where the install has one course. */
  course?: string | undefined;
  meta: Omit<ConsentMeta, "how">;
}

export interface UnsubscribeResult {
  scope: UnsubscribeScope;
  undoToken: string | null;
  /** The course stopped, for scope "course". */
  course?: Course;
}

/** The course "stop this course" is about; a form that names none or an unknown one is refused, never read as another course. */
function courseToLeave(catalogue: Catalogue, slug: string | undefined): Course {
  if (!slug) {
    if (catalogue.only) return catalogue.only;
    throw invalid("course_required", "Say which course to stop (the form's `course` field), or choose \"Stop all email\".", "Which course?");
  }
  const course = courseNamed(catalogue, slug);
  if (!course) throw invalid("unknown_course", `There is no course "${slug.slice(0, 100)}" here. Choose "Stop all email" to stop everything.`, "Unknown course");
  return course;
}

/**
 * Stops all email, or one course. A reader who is already gone gets the same answer (the link may
 * be old). The undo is a token of its own, minted only by an unsubscribe that changed something
 * and good for an hour: the forwarded unsubscribe link can never re-subscribe someone who left.
 */
export async function unsubscribe(services: Services, input: UnsubscribeInput): Promise<UnsubscribeResult> {
  const now = services.now();
  const subscriberId = await subjectOf(services, input.token, "unsubscribe").catch((error: unknown) => {
    // Never the token itself: it is the reader's key to their subscription.
    services.log.warn("unsubscribe refused: link token not valid", { oneClick: input.oneClick });
    throw error;
  });
  const meta = { ...input.meta, how: input.oneClick ? "one-click" : "page" };
  if (input.oneClick || input.scope === "all") {
    const outcome = await stopEmails(services.db, subscriberId, meta, now);
    if (outcome === "stopped") {
      services.log.info("reader unsubscribed", { event: "unsubscribe", subscriber: subscriberId, scope: "all", how: meta.how });
      await emit(services, { type: "subscriber.unsubscribed", subscriberId, data: { scope: "all", how: meta.how } });
    }
    // One-click answers no page, so it needs no undo.
    const undo = !input.oneClick && outcome === "stopped" ? await undoToken(services.secretKey, undoSubject(subscriberId, undefined), now) : null;
    return { scope: "all", undoToken: undo };
  }
  const course = courseToLeave(services.catalogue, input.course);
  const outcome = await leaveCourse(services.db, subscriberId, course.slug, meta, now);
  if (outcome === "stopped") {
    services.log.info("reader unsubscribed", { event: "unsubscribe", subscriber: subscriberId, scope: "course", course: course.slug, how: meta.how });
    await emit(services, { type: "subscriber.unsubscribed", subscriberId, data: { scope: "course", course: course.slug, how: meta.how } });
  }
  const undo = outcome === "stopped" ? await undoToken(services.secretKey, undoSubject(subscriberId, course.slug), now) : null;
  return { scope: "course", undoToken: undo, course };
}

/** The undo on the unsubscribe page: the reader takes back what they just did, and only that. */
export async function undoUnsubscribe(services: Services, input: { token: string; meta: Omit<ConsentMeta, "how"> }): Promise<{ course?: Course }> {
  const subject = await subjectOf(services, input.token, "undo");
  const at = subject.indexOf(COURSE_SEPARATOR);
  const meta = { ...input.meta, how: "undo" };
  const cannot = () => conflict("cannot_resubscribe", "This subscription can't be restored from here. You can sign up again on the course page.", "Can't undo");
  if (at === -1) {
    if (!(await resubscribe(services.db, subject, meta, services.now()))) throw cannot();
    return {};
  }
  const courseSlug = subject.slice(at + 1);
  if (!(await rejoinCourse(services.db, subject.slice(0, at), courseSlug, meta, services.now()))) throw cannot();
  const course = services.catalogue.get(courseSlug);
  return course ? { course } : {};
}
