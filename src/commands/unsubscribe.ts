import { conflict, gone, malformed } from "../errors.ts";
import { resubscribe, unsubscribe as stopEmails } from "../store/subscribers.ts";
import type { ConsentMeta, UnsubscribeScope } from "../store/subscribers.ts";
import { undoToken, verifyToken } from "../tokens.ts";
import type { Services } from "./services.ts";

const INVALID = "This link is not valid. Use the link at the bottom of any email from us, or reply to one and we'll remove you by hand.";

const invalidLink = () => malformed("token_invalid", INVALID, "Link not valid");

/** Who an unsubscribe link (never expires) or an undo link (one hour) is for. */
async function readerFrom(services: Services, token: string, purpose: "unsubscribe" | "undo"): Promise<string> {
  const check = await verifyToken(services.secretKey, token, purpose, services.now());
  if (!check.ok) {
    if (purpose === "undo" && check.reason === "expired") throw gone("token_expired", "The undo has expired. You can sign up again on the course page.", "Too late to undo");
    throw invalidLink();
  }
  return check.claims.subject;
}

/** Checks an unsubscribe link before the page shows the choices; a GET alone never changes anything. */
export async function checkUnsubscribeLink(services: Services, token: string): Promise<void> {
  await readerFrom(services, token, "unsubscribe");
}

export interface UnsubscribeInput {
  token: string;
  /** RFC 8058: a mailbox provider's POST, which always stops all email. */
  oneClick: boolean;
  /** The page's choice; ignored for one-click. */
  scope: UnsubscribeScope;
  meta: Omit<ConsentMeta, "how">;
}

/**
 * Stops all email, or only the course's lessons. A reader who is already gone gets the same answer
 * (the link may be old). The undo is a token of its own, minted only by an unsubscribe that changed
 * something and good for an hour: the forwarded unsubscribe link can never re-subscribe someone who left.
 */
export async function unsubscribe(services: Services, input: UnsubscribeInput): Promise<{ scope: UnsubscribeScope; undoToken: string | null }> {
  const now = services.now();
  const subscriberId = await readerFrom(services, input.token, "unsubscribe").catch((error: unknown) => {
    // Never the token itself: it is the reader's key to their subscription.
    services.log.warn("unsubscribe refused: link token not valid", { oneClick: input.oneClick });
    throw error;
  });
  const scope = input.oneClick ? "all" : input.scope;
  const outcome = await stopEmails(services.db, subscriberId, { ...input.meta, how: input.oneClick ? "one-click" : "page" }, now, scope);
  // One-click answers no page, so it needs no undo.
  const undo = !input.oneClick && outcome === "stopped" ? await undoToken(services.secretKey, subscriberId, now) : null;
  return { scope, undoToken: undo };
}

/** The undo on the unsubscribe page: the reader takes back what they just did. */
export async function undoUnsubscribe(services: Services, input: { token: string; meta: Omit<ConsentMeta, "how"> }): Promise<void> {
  const subscriberId = await readerFrom(services, input.token, "undo");
  const done = await resubscribe(services.db, subscriberId, { ...input.meta, how: "undo" }, services.now());
  if (!done) throw conflict("cannot_resubscribe", "This subscription can't be restored from here. You can sign up again on the course page.", "Can't undo");
}
