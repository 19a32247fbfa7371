import type { Course } from "../content/schema.ts";
import { resolveTimezone } from "../domain/schedule.ts";
import { forbidden, invalid, unavailable } from "../errors.ts";
import type { BotCheck } from "../limits/turnstile.ts";
import { recordSignup } from "../store/subscribers.ts";
import { dispatchQuietly } from "./dispatch.ts";
import { emit } from "./emit-event.ts";
import { firstSlugOf } from "./enroll.ts";
import { queueDueEmails } from "./queue-due-emails.ts";
import type { Services } from "./services.ts";

/** Bumped whenever the words next to the signup button change; stored with every opt-in. */
export const CONSENT_TEXT_VERSION = "2026-11-signup-v1";

export interface SignupInput {
  /** The course the form is for (chosen by the edge: the form's `course`, or the install's only course). */
  course: Course;
  /** Already normalised by the edge's schema (trimmed, domain lowercased). */
  email: string;
  name: string | null;
  /** The browser's guess; an unknown zone falls back to the course's. */
  timezone?: string | undefined;
  ip: string | null;
  userAgent: string | null;
  /** Which form the consent was given on, kept with the opt-in; `api: <source>` names an integration's stated source. */
  form: "signup-page" | "api" | `api: ${string}`;
  /**
   * Present when the deployment requires a bot check (TURNSTILE_SECRET_KEY): the check, and the
   * token the widget put in the form (`cf-turnstile-response`), if any.
   */
  botCheck?: { check: BotCheck; token: string | undefined } | undefined;
}

/** The form field (or JSON member) the Turnstile widget fills; named in every refusal. */
export const BOT_CHECK_FIELD = "cf-turnstile-response";

/**
 * Fails closed: no token, a refused token, or a verify service that cannot answer all stop the
 * signup before anything is stored. The codes start with `bot_check` so the edge can show the form again.
 */
async function passBotCheck(botCheck: NonNullable<SignupInput["botCheck"]>, ip: string | null): Promise<void> {
  if (!botCheck.token) throw invalid("bot_check_missing", "Please complete the check that you're a person, then send the form again.", "One more check");
  const verdict = await botCheck.check.verify(botCheck.token, ip);
  if (verdict === "fail") throw forbidden("bot_check_failed", "We couldn't verify that you're a person. Please complete the check again and resend the form.", "Check not passed");
  if (verdict === "unavailable") throw unavailable("bot_check_unavailable", "We can't check signups right now, so nothing was saved. Please try again in a few minutes.");
}

/**
 * An opt-in for one course: records the consent (naming the course) and, for a reader still to
 * confirm, the course as a pending enrollment and, when one is due, a confirmation email in the
 * ledger. A reader who already confirmed their address joins the course at once, and its lesson 1
 * is queued as on confirmation. Either way the new rows are offered to the queue.
 * It returns nothing on purpose: the answer must be the same for new, pending, known and
 * suppressed addresses, so the caller has nothing to tell them apart by.
 */
export async function signup(services: Services, input: SignupInput): Promise<void> {
  if (input.botCheck) await passBotCheck(input.botCheck, input.ip);
  const now = services.now();
  const result = await recordSignup(
    services.db,
    {
      email: input.email,
      name: input.name,
      timezone: resolveTimezone(input.timezone, input.course.schedule.timezone),
      ip: input.ip,
      userAgent: input.userAgent,
      form: input.form,
      consentTextVersion: CONSENT_TEXT_VERSION,
      course: { slug: input.course.slug, firstSlug: firstSlugOf(input.course) },
    },
    now,
    { enqueuedAt: services.dispatcher ? now : null },
  );
  // By id and course, never the address: logs leave the database's protection.
  if (result.subscriberId) services.log.info("reader signed up", { event: "signup", subscriber: result.subscriberId, course: input.course.slug });
  // Keyed on the reader: a repeated signup of a known address reports nothing new.
  if (result.subscriberId) await emit(services, { type: "subscriber.created", subscriberId: result.subscriberId, dedupeKey: `subscriber.created:${result.subscriberId}`, data: { course: input.course.slug } });
  if (result.confirmationSendId) await dispatchQuietly(services, [result.confirmationSendId], { alreadyMarked: true });
  if (result.enrolledId) {
    await emit(services, { type: "enrollment.started", subscriberId: result.subscriberId, data: { course: input.course.slug, enrollmentId: result.enrolledId } });
    // The same path as a confirmation: lesson 1 is due now, so it needs no tick.
    const { sendIds } = await queueDueEmails(services, { enrollmentIds: [result.enrolledId] });
    await dispatchQuietly(services, sendIds);
  }
}
