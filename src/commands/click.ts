import { courseFor } from "../content/catalogue.ts";
import { tracksClicks } from "../content/schema.ts";
import type { Course } from "../content/schema.ts";
import { gone, notFound } from "../errors.ts";
import { trackedLinks } from "../render/markdown.ts";
import { clickTarget, recordClick } from "../store/clicks.ts";
import type { ClickTarget } from "../store/clicks.ts";
import { linkHash, readClickSubject, verifyToken } from "../tokens.ts";
import type { Services } from "./services.ts";
import { emit } from "./emit-event.ts";

// One answer for a cut-off, tampered or foreign link, a link of a preview or test email (it names
// no ledger row) and a link of an erased reader's email: the page must not tell which, and it
// never redirects, so no one can use this address to send people anywhere they choose.
const noSuchLink = () =>
  notFound("link_not_found", "This link doesn't lead anywhere. It may be cut off or changed; the email it came from has the right one.", "No such link");

const linkGone = () =>
  gone("link_gone", "The page this link led to is no longer part of the email it came from, so it can't be followed from here.", "Link no longer available");

export interface FollowedClick {
  /** Where to send the reader: a link the publisher wrote in that email's body, never anything else. */
  url: string;
  /** False for a repeat (or when nothing is recorded: a HEAD, or a course no longer tracking clicks). */
  recorded: boolean;
}

/**
 * GET /r/<token>: a tracked link of a course that records clicks (course.yaml `tracking`). The
 * token is signed and names a ledger row and a link of its body by position and hash (tokens.ts
 * clickToken); the address comes from that row's own content: the lesson in today's course, or the
 * newsletter's stored text. Stored nowhere per send, so sending costs no write; the price is that
 * a link an edit has since removed from the lesson can no longer be followed (linkGone).
 *
 * The click is recorded once per reader, email and link. Whatever opens the link counts: a mail
 * provider's or a company's link scanner that fetches every link on arrival records a click the
 * reader never made. HEAD requests (what many scanners send first) are followed but not recorded,
 * and neither is a click on a course that has since turned tracking off: its pages no longer say
 * that clicks are tracked.
 */
export async function followClick(services: Services, token: string, options: { record: boolean }): Promise<FollowedClick> {
  const check = await verifyToken(services.secretKey, token, "click", services.now());
  if (!check.ok) throw noSuchLink();
  const named = readClickSubject(check.claims.subject);
  if (!named) throw noSuchLink();
  const target = await clickTarget(services.db, named.sendId);
  if (!target) throw noSuchLink();
  const course = courseFor(services.catalogue, target.courseSlug);
  const body = bodyOf(target, course);
  if (body === null) throw noSuchLink();
  if (body === undefined) throw linkGone();
  const link = await findLink(trackedLinks(body.markdown), named.index, named.hash);
  if (!link) throw linkGone();
  if (!options.record || !course || !tracksClicks(course)) return { url: link.url, recorded: false };
  const { recorded } = await recordClick(
    services.db,
    { sendId: target.sendId, subscriberId: target.subscriberId, courseSlug: target.courseSlug, item: body.item, linkIndex: link.index, linkHash: named.hash, url: link.url },
    services.now(),
  );
  // Lessonpost's own click tracking raises email.clicked too, once per reader, email and link (as recorded).
  if (recorded) await emit(services, { type: "email.clicked", subscriberId: target.subscriberId, dedupeKey: `email.clicked:${target.sendId}:${link.index}`, data: { course: target.courseSlug, lesson: target.kind === "lesson" ? target.lessonSlug : undefined, sendId: target.sendId, url: link.url, source: "lessonpost" } });
  return { url: link.url, recorded };
}

/**
 * The Markdown the row's email body was rendered from, and what the email was (the click's unique
 * key). Null: an email with no body of tracked links (a confirmation, a graduation). Undefined: it
 * had one, but its lesson or course is no longer in content/.
 */
function bodyOf(target: ClickTarget, course: Course | undefined): { markdown: string; item: string } | null | undefined {
  if (target.kind === "lesson") {
    const lesson = course?.lessons.find((l) => l.slug === target.lessonSlug);
    return course && lesson ? { markdown: lesson.markdown, item: `lesson:${course.slug}:${lesson.slug}` } : undefined;
  }
  if (target.kind === "newsletter" && target.newsletter) {
    const item = `newsletter:${target.newsletter.id}`;
    if (target.newsletter.lessonSlug === null) return { markdown: target.newsletter.markdown ?? "", item };
    const lesson = course?.lessons.find((l) => l.slug === target.newsletter?.lessonSlug);
    return lesson ? { markdown: lesson.markdown, item } : undefined;
  }
  return null;
}

/** The link at its position if it is still the same link; else the same link wherever an edit moved it. */
async function findLink(links: readonly string[], index: number, hash: string): Promise<{ url: string; index: number } | undefined> {
  const atIndex = links[index];
  if (atIndex !== undefined && (await linkHash(atIndex)) === hash) return { url: atIndex, index };
  for (const [i, url] of links.entries()) if ((await linkHash(url)) === hash) return { url, index: i };
  return undefined;
}
