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

/**
 * A batch as it leaves: the request body, byte for byte (Resend's `POST /emails/batch` body, the
 * one wire format every mailer reads), and each email's own idempotency key in the same order (the
 * outbox files each email under its key, as it does a single send). The body is built once, stored
 * in the ledger before it leaves and sent as stored, so a retry is the same bytes by construction.
 */
export interface BatchBody {
  body: Uint8Array;
  keys: readonly string[];
}

/** One email in the API's own field names and order (reply_to), as Resend's SDK writes them. */
function apiPayload(email: OutgoingEmail) {
  return {
    from: email.from,
    headers: email.headers,
    html: email.html,
    ...(email.replyTo ? { reply_to: email.replyTo } : {}),
    subject: email.subject,
    ...(email.tags ? { tags: email.tags } : {}),
    text: email.text,
    to: email.to,
  };
}

/**
 * The batch body for these emails, as UTF-8 bytes. Serialised once per batch: the ledger stores
 * these bytes and the provider receives them (a batch of 100 lessons is about 1.7 MB of JSON;
 * written and encoded twice, once to store and once to send, it was about a third of a worker's
 * CPU in a profile of the delivery benchmark).
 */
export function encodeBatchBody(emails: readonly OutgoingEmail[]): Buffer {
  return Buffer.from(JSON.stringify(emails.map(apiPayload)));
}

/** The emails of a batch body, back in this module's shape, each with its key (for the outbox). */
export function emailsOfBatchBody(batch: BatchBody): OutgoingEmail[] {
  const payloads = JSON.parse(new TextDecoder().decode(batch.body)) as ReturnType<typeof apiPayload>[];
  if (payloads.length !== batch.keys.length) throw new Error(`a batch body of ${payloads.length} emails came with ${batch.keys.length} keys`);
  return payloads.map(({ reply_to, ...email }, i) => ({ ...email, ...(reply_to ? { replyTo: reply_to } : {}), idempotencyKey: batch.keys[i]! }));
}

export interface Mailer {
  readonly name: string;
  send(email: OutgoingEmail): Promise<{ id: string }>;
  /**
   * Up to 100 emails in one request under one idempotency key, sent as the body's bytes. Failures of the whole request
   * throw a MailerError like send(); per-email refusals come back in the results.
   */
  sendBatch(batch: BatchBody, idempotencyKey: string): Promise<BatchItemResult[]>;
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
