/** JSON answers of POST /subscribe, for clients that send JSON. */

export const ACCEPTED_MESSAGE = "Check your inbox: if this address can receive the course, a confirmation link is on its way.";

/** The same body for new, pending and known addresses: the endpoint never reveals who is subscribed. */
export function signupAccepted() {
  return { status: "accepted", message: ACCEPTED_MESSAGE } as const;
}

/** Names the field, so a client can point at it. */
export function signupRejected(field: string, message: string) {
  return { error: { code: "invalid_input", field, message } };
}

export function signupsThrottled() {
  return { error: { code: "rate_limited", message: "Too many signups from here. Try again later." } };
}

/** A signup stopped by the bot check: names the field the widget fills, so a client can point at it. */
export function signupBotCheckRefused(code: string, field: string, message: string) {
  return { error: { code, field, message } };
}
