import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type handlers throw. `onError` turns it into an HTML page or a JSON body,
 * whichever the client asked for; anything else becomes a logged 500 with no details leaked.
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
