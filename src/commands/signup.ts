import { resolveTimezone } from "../domain/schedule.ts";
import { recordSignup } from "../store/subscribers.ts";
import { dispatchQuietly } from "./dispatch.ts";
import type { Services } from "./services.ts";

/** Bumped whenever the words next to the signup button change; stored with every opt-in. */
export const CONSENT_TEXT_VERSION = "2026-11-signup-v1";

export interface SignupInput {
  /** Already normalised by the edge's schema (trimmed, domain lowercased). */
  email: string;
  name: string | null;
  /** The browser's guess; an unknown zone falls back to the course's. */
  timezone?: string | undefined;
  ip: string | null;
  userAgent: string | null;
  /** Which form the consent was given on, kept with the opt-in. */
  form: "signup-page" | "api";
}

/**
 * An opt-in: records the consent and, when one is due, a confirmation email in the ledger, then
 * offers it to the queue. It returns nothing on purpose: the answer must be the same for new,
 * pending, known and suppressed addresses, so the caller has nothing to tell them apart by.
 */
export async function signup(services: Services, input: SignupInput): Promise<void> {
  const now = services.now();
  const result = await recordSignup(
    services.db,
    {
      email: input.email,
      name: input.name,
      timezone: resolveTimezone(input.timezone, services.course.schedule.timezone),
      ip: input.ip,
      userAgent: input.userAgent,
      form: input.form,
      consentTextVersion: CONSENT_TEXT_VERSION,
    },
    now,
    { enqueuedAt: services.dispatcher ? now : null },
  );
  if (result.confirmationSendId) await dispatchQuietly(services, [result.confirmationSendId], { alreadyMarked: true });
}
