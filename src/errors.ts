/**
 * The one error a command (or the store under it) throws when an action cannot be done as asked.
 * It names what kind of refusal it is, never an HTTP status: the HTTP app maps kinds to statuses
 * once (app.ts), the CLI maps them to exit codes, and the message is written for the person who
 * asked, so every edge can show it as it is.
 *
 * It lives at the bottom of the layers, beside config, so the store's transactions can refuse
 * with it too (a reader who vanished mid-transaction is `not_found` wherever it is noticed).
 */
export type DomainErrorKind =
  /** The thing named does not exist (or is not shown to this caller). */
  | "not_found"
  /** The input cannot be read at all: not JSON, a cursor or token that does not parse. */
  | "malformed"
  /** The input is well-formed but not acceptable: a missing subject, a past date, an unknown lesson. */
  | "invalid"
  /** The thing exists but its state forbids the action: an unsubscribed reader, a finished newsletter. */
  | "conflict"
  /** It existed once and is no longer usable: an expired or superseded link. */
  | "gone"
  /** The caller may not do this. */
  | "forbidden"
  /** Too many attempts; `retryAfterSeconds` says when to come back. */
  | "rate_limited"
  /** A dependency the action needs is down; nothing was changed. */
  | "unavailable";

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly kind: DomainErrorKind,
    /** A stable machine-readable code for API clients, e.g. `reader_not_found`. */
    readonly code: string,
    message: string,
    readonly details: { title?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}

/** Named factories, so a call site reads as the refusal it makes (Outline's `server/errors`). */
export const notFound = (code: string, message: string, title = "Not found") => new DomainError("not_found", code, message, { title });
export const malformed = (code: string, message: string, title = "Please check this") => new DomainError("malformed", code, message, { title });
export const gone = (code: string, message: string, title = "This link has expired") => new DomainError("gone", code, message, { title });
export const invalid = (code: string, message: string, title = "Please check this") => new DomainError("invalid", code, message, { title });
export const conflict = (code: string, message: string, title = "Not possible") => new DomainError("conflict", code, message, { title });
export const forbidden = (code: string, message: string, title = "Not allowed") => new DomainError("forbidden", code, message, { title });
export const rateLimited = (code: string, message: string, retryAfterSeconds: number, title = "Too many attempts") =>
  new DomainError("rate_limited", code, message, { title, retryAfterSeconds });
export const unavailable = (code: string, message: string, title = "Try again shortly") => new DomainError("unavailable", code, message, { title });

/** The message of anything thrown, for logs and CLI output (`catch` gives `unknown`). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stack of anything thrown where there is one (a CLI's last words), else its message. */
export function errorStack(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
