import { gone, malformed } from "../errors.ts";
import { enroll } from "./enroll.ts";
import { queueDueEmails } from "./queue-due-emails.ts";
import { confirmSubscriber } from "../store/subscribers.ts";
import type { ConsentMeta } from "../store/subscribers.ts";
import { CONFIRM_TOKEN_TTL_SECONDS, verifyToken } from "../tokens.ts";
import { dispatchQuietly } from "./dispatch.ts";
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

/**
 * Checks a confirmation link without using it. Link scanners and mail previewers fetch links with
 * GET, so the page that shows the button must never confirm anyone.
 */
export async function checkConfirmLink(services: Services, token: string): Promise<void> {
  await linkFrom(services, token);
}

/**
 * Double opt-in, completed: confirms the reader, enrolls them and queues what is due now (lesson 1),
 * then offers it to the queue. `alreadyConfirmed` lets the page say so instead of welcoming twice.
 */
export async function confirm(services: Services, input: { token: string; meta: Omit<ConsentMeta, "how"> }): Promise<{ alreadyConfirmed: boolean }> {
  const now = services.now();
  const { subscriberId, issuedAt } = await linkFrom(services, input.token);
  const outcome = await confirmSubscriber(services.db, subscriberId, { ...input.meta, how: "confirm-page" }, now, issuedAt);
  if (outcome === "not-allowed") throw invalidLink();
  if (outcome === "superseded") throw gone("token_superseded", SUPERSEDED, "Link no longer valid");
  if (outcome === "confirmed") {
    const enrollmentId = await enroll(services, { subscriberId });
    const { sendIds } = await queueDueEmails(services, { enrollmentIds: [enrollmentId] });
    await dispatchQuietly(services, sendIds);
  }
  return { alreadyConfirmed: outcome === "already-confirmed" };
}
