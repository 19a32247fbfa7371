import { singleLine } from "../text.ts";

/**
 * The provider boundary. Workers speak only this interface; Resend and the local outbox
 * implement it. Errors are sorted here so the worker can decide: retry, wait, or give up.
 */

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  replyTo?: string | undefined;
  headers: Record<string, string>;
  /** Same key, same email: the provider (or outbox) drops the repeat. */
  idempotencyKey: string;
  tags?: { name: string; value: string }[];
}

/** Per email of a batch, in request order: the provider's id, or why it refused that one. */
export type BatchItemResult = { id: string } | { error: string };

export interface Mailer {
  readonly name: string;
  send(email: OutgoingEmail): Promise<{ id: string }>;
  /**
   * Up to 100 emails in one request under one idempotency key. Failures of the whole request
   * throw a MailerError like send(); per-email refusals come back in the results.
   */
  sendBatch(emails: readonly OutgoingEmail[], idempotencyKey: string): Promise<BatchItemResult[]>;
}

/**
 * `accepted_earlier`: the provider already sent an email under this idempotency key (Resend's 409
 * invalid_idempotent_request); the email went out, only its id is unknown.
 */
export type MailerErrorKind = "permanent" | "transient" | "rate_limited" | "accepted_earlier";

export class MailerError extends Error {
  override name = "MailerError";
  constructor(
    readonly kind: MailerErrorKind,
    message: string,
    readonly retryAfterMs?: number,
    readonly statusCode?: number | null,
  ) {
    super(message);
  }
}

/** Strip anything that could end a header line: a name must never become a Bcc. */
export const headerSafe = singleLine;

/** "Name <addr>" with the display name quoted and cleaned. */
export function formatAddress(email: string, name?: string | null): string {
  const clean = name ? headerSafe(name).replace(/["\\]/g, "").slice(0, 100) : "";
  return clean ? `"${clean}" <${email}>` : email;
}
