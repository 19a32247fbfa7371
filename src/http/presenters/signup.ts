/** JSON answers of POST /subscribe, for clients that send JSON. */

import type { Course } from "../../content/schema.ts";

/**
 * The same body for new, pending, known and suppressed addresses (it depends on the course alone),
 * so the endpoint never reveals who is subscribed; true in each case, like the HTML page.
 */
export function acceptedMessage(course: Pick<Course, "name">): string {
  return `Check your inbox: if this address can receive email from us, we've sent it a link to confirm it, or, if it's already confirmed with us, the first lesson of ${course.name}.`;
}

export function signupAccepted(course: Pick<Course, "name" | "slug">) {
  return { status: "accepted", course: course.slug, message: acceptedMessage(course) } as const;
}

/** Names the field, so a client can point at it. */
export function signupRejected(field: string, message: string, code = "invalid_input") {
  return { error: { code, field, message } };
}

export function signupsThrottled() {
  return { error: { code: "rate_limited", message: "Too many signups from here. Try again later." } };
}

/** A signup stopped by the bot check: names the field the widget fills, so a client can point at it. */
export function signupBotCheckRefused(code: string, field: string, message: string) {
  return { error: { code, field, message } };
}
