import { gone, notFound } from "../errors.ts";
import { composeEmail, ComposeError } from "../render/compose.ts";
import { courseFor } from "../content/catalogue.ts";
import { newsletterText } from "../store/broadcast-delivery.ts";
import { courseSlugsOfSends } from "../store/send-courses.ts";
import { sentLessons, webVersionRow } from "../store/web-version.ts";
import { verifyToken } from "../tokens.ts";
import type { Services } from "./services.ts";

/** The email a web-version link opens, as its reader got it. */
export interface WebVersion {
  subject: string;
  html: string;
}

// One answer for a cut-off, tampered, foreign or unknown link and for an erased reader: the page
// must not tell which, nor show anything of anyone.
const noSuchEmail = () =>
  notFound("email_not_found", "This link doesn't open an email. It may be cut off, or the email is no longer kept.", "No email here");

const noLongerShown = () => gone("email_gone", "What this email said is no longer part of the course, so it can't be shown again.", "No longer available");

/**
 * "View in your browser": the ledger row the link names, composed again exactly as the send worker
 * composed it (the same composeEmail, the same reader, the row's own dates), so the page carries the
 * reader's own unsubscribe, preferences and web-version links, and no more than the email did. Only
 * a web-version token opens it (tokens.ts says why it never expires). Like a retry, it renders
 * today's course: a lesson since edited shows as edited, one since removed (or a course since
 * removed) can no longer be shown.
 */
export async function webVersion(services: Services, token: string): Promise<WebVersion> {
  const check = await verifyToken(services.secretKey, token, "web-version", services.now());
  if (!check.ok) throw noSuchEmail();
  const found = await webVersionRow(services.db, check.claims.subject);
  if (!found || found.subscriber.status === "deleted") throw noSuchEmail();
  const { send, subscriber } = found;
  // The course the email was sent under, so a second course's email shows its own sender, footer
  // and links; never another course's in its place.
  const course = courseFor(services.catalogue, (await courseSlugsOfSends(services.db, [send.id])).get(send.id) ?? null);
  if (!course) throw noLongerShown();
  const newsletter = send.broadcast_id ? await newsletterText(services.db, send.broadcast_id) : undefined;
  try {
    const email = await composeEmail(
      send,
      subscriber,
      {
        course,
        appUrl: services.appUrl,
        secretKey: services.secretKey,
        // Only the body is shown; the From line is not part of it.
        from: "",
        now: services.now(),
        sentLessons: (id) => sentLessons(services.db, id, course.slug),
      },
      newsletter,
    );
    return { subject: email.subject, html: email.html };
  } catch (error) {
    if (error instanceof ComposeError) throw noLongerShown();
    throw error;
  }
}
