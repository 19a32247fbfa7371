import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DomainError, DomainErrorKind } from "../errors.ts";

/**
 * What the HTTP edge refuses on its own, before any command runs: a body too large or unreadable,
 * a cross-site form, missing credentials, a bad webhook signature. `onError` turns it into an HTML
 * page or a JSON body, whichever the client asked for. Commands throw DomainError instead.
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    /** Heading for the HTML page; the message is its body. */
    readonly title: string = "Something is not right",
  ) {
    super(message);
  }
}

/** The one place a refusal becomes an HTTP status. */
const STATUS: Record<DomainErrorKind, ContentfulStatusCode> = {
  malformed: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  invalid: 422,
  rate_limited: 429,
  unavailable: 503,
};

export function statusOf(error: DomainError): ContentfulStatusCode {
  return STATUS[error.kind];
}

/** A command's refusal in the edge's shape, for the one responder in app.ts. */
export function asAppError(error: DomainError): AppError {
  return new AppError(statusOf(error), error.code, error.message, error.details.title);
}
