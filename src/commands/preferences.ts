import { isValidTimezone } from "../domain/schedule.ts";
import { conflict, gone, invalid, malformed, notFound } from "../errors.ts";
import { webVersionUrlFor } from "../render/compose.ts";
import { pauseEnrollment, resumeEnrollment } from "../store/enrollments.ts";
import { enrollmentOf, exportReaderData, setReaderTimezone } from "../store/reader-data.ts";
import { findSubscriber, recordConsent, requestPreferencesLink } from "../store/subscribers.ts";
import { sentLessons } from "../store/web-version.ts";
import type { ConsentMeta, Subscriber } from "../store/subscribers.ts";
import { unsubscribeToken, verifyToken } from "../tokens.ts";
import { dispatchQuietly } from "./dispatch.ts";
import { eraseEverywhere } from "./erase-reader.ts";
import type { Services } from "./services.ts";

const DAY_MS = 24 * 3600 * 1000;

/** The codes a preferences link is refused with; the edge offers to email a fresh link for them. */
export const PREFERENCES_LINK_REFUSALS: ReadonlySet<string> = new Set(["token_expired", "token_invalid"]);

const nothingHere = () => notFound("not_found", "We hold no data for this link any more.", "Nothing here");

/**
 * The reader a preferences link is for. Only a preferences token opens these pages: the
 * unsubscribe token travels in every email's headers and every forward, so it may not reach the
 * reader's data. The refusal's title and message are written as the heading and text of the page
 * that emails a fresh link.
 */
export async function preferencesReader(services: Services, token: string): Promise<string> {
  const check = await verifyToken(services.secretKey, token, "preferences", services.now());
  if (check.ok) return check.claims.subject;
  if (check.reason === "expired") {
    throw gone("token_expired", "Links to your preferences work for 30 days. Enter your address and we'll email you a fresh one.", "This link has expired");
  }
  throw malformed(
    "token_invalid",
    "It may be cut off, or it is an unsubscribe link, which can only unsubscribe. Enter your address and we'll email you a link to your preferences.",
    "This link can't open your preferences",
  );
}

export interface Preferences {
  subscriber: Subscriber;
  /** For the page's "stop all email" button, which must work without the preferences link. */
  unsubscribeToken: string;
  paused: boolean;
  pausedUntil: number | null;
  enrolled: boolean;
  /** The lessons already sent to the reader, in course order, each with its web version. */
  sentLessons: SentLessonLink[];
}

export interface SentLessonLink {
  number: number;
  title: string;
  webVersionUrl: string;
}

/** Lessons since removed from the course are left out: their web version can no longer be shown. */
async function sentLessonLinks(services: Services, subscriberId: string): Promise<SentLessonLink[]> {
  const sent = new Map((await sentLessons(services.db, subscriberId, services.catalogue.primary.slug)).map((row) => [row.lessonSlug, row.id]));
  const links: SentLessonLink[] = [];
  for (const lesson of services.catalogue.primary.lessons) {
    const id = sent.get(lesson.slug);
    if (id) links.push({ number: lesson.number, title: lesson.title, webVersionUrl: await webVersionUrlFor(services, id) });
  }
  return links;
}

export async function readPreferences(services: Services, subscriberId: string): Promise<Preferences> {
  const subscriber = await findSubscriber(services.db, subscriberId);
  if (!subscriber) throw nothingHere();
  const enrollment = await enrollmentOf(services.db, subscriberId, services.catalogue.primary.slug);
  return {
    subscriber,
    unsubscribeToken: await unsubscribeToken(services.secretKey, subscriberId),
    paused: enrollment?.status === "paused",
    pausedUntil: enrollment?.paused_until ?? null,
    enrolled: enrollment?.status === "active" || enrollment?.status === "paused",
    sentLessons: await sentLessonLinks(services, subscriberId),
  };
}

type ReaderChange = { subscriberId: string; meta: Omit<ConsentMeta, "how"> };

/** Pauses the course for a week (a course week, on compressed demo calendars). */
export async function pauseForAWeek(services: Services, input: ReaderChange): Promise<void> {
  const now = services.now();
  const enrollment = await enrollmentOf(services.db, input.subscriberId, services.catalogue.primary.slug);
  const week = 7 * (services.courseDaySeconds ? services.courseDaySeconds * 1000 : DAY_MS);
  if (!enrollment || !(await pauseEnrollment(services.db, enrollment.id, now, now + week))) {
    throw conflict("not_active", "There are no lessons to pause right now.", "Nothing to pause");
  }
  await recordConsent(services.db, input.subscriberId, "preferences", { ...input.meta, how: "preferences" }, now, { change: "pause-week" });
}

export async function resumeLessons(services: Services, input: { subscriberId: string }): Promise<void> {
  const enrollment = await enrollmentOf(services.db, input.subscriberId, services.catalogue.primary.slug);
  if (!enrollment || !(await resumeEnrollment(services.db, enrollment.id, services.now()))) throw conflict("not_paused", "Lessons are not paused.", "Not paused");
}

export async function changeTimezone(services: Services, input: ReaderChange & { timezone: string }): Promise<void> {
  if (!isValidTimezone(input.timezone)) throw invalid("invalid_timezone", "Choose a time zone from the list.", "Unknown time zone");
  const now = services.now();
  await setReaderTimezone(services.db, input.subscriberId, input.timezone, now);
  await recordConsent(services.db, input.subscriberId, "preferences", { ...input.meta, how: "preferences" }, now, { change: "timezone", timezone: input.timezone });
}

/** The reader's own data, as they can download it (GDPR access and portability). */
export async function exportMyData(services: Services, subscriberId: string): Promise<NonNullable<Awaited<ReturnType<typeof exportReaderData>>>> {
  const data = await exportReaderData(services.db, subscriberId);
  if (!data) throw nothingHere();
  return data;
}

/** "Delete my data": only with the box ticked, since it cannot be undone. */
export async function deleteMyData(services: Services, input: { subscriberId: string; confirmed: boolean }): Promise<void> {
  if (!input.confirmed) throw invalid("not_confirmed", "Tick the box to confirm that you want your data deleted.", "Please confirm");
  await eraseEverywhere(services, input.subscriberId);
}

/**
 * "Email me a fresh link". It returns nothing on purpose: the form must not tell whether an
 * address is a reader, so the caller answers the same either way.
 */
export async function emailPreferencesLink(services: Services, input: { email: string }): Promise<void> {
  const now = services.now();
  const sendId = await requestPreferencesLink(services.db, input.email, now, { enqueuedAt: services.dispatcher ? now : null });
  if (sendId) await dispatchQuietly(services, [sendId], { alreadyMarked: true });
}
