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
  const chunks: Uint8Array[] = [OPEN];
  emails.forEach((email, i) => {
    if (i > 0) chunks.push(COMMA);
    const encoded = PreEncodedEmail.encodedTextOf(email);
    // Only while the email still holds the strings its pieces were made from.
    if (encoded && encoded.html === email.html && encoded.text === email.text) writeWithPieces(chunks, email, encoded);
    else chunks.push(Buffer.from(JSON.stringify(apiPayload(email))));
  });
  chunks.push(CLOSE);
  return Buffer.concat(chunks);
}

/**
 * An email's html and text as the UTF-8 bytes of their JSON string contents (between the quotes),
 * in pieces whose concatenation is exactly that. The pieces of a personalised email are the
 * template's (encoded once per template) around the reader's own values, so a batch body costs
 * copying bytes instead of escaping and encoding every email's ~15,000 characters again: that was
 * half of encodeBatchBody's time, and encodeBatchBody a quarter of a worker's CPU.
 */
export interface PreEncodedText {
  html: string;
  text: string;
  htmlPieces(): readonly Uint8Array[];
  textPieces(): readonly Uint8Array[];
}

/**
 * An email that carries its pieces in a private field: never data (not in JSON, not in a copy,
 * which is encoded the plain way, not in a test's equality), and no weak table entry per email.
 */
class PreEncodedEmail implements OutgoingEmail {
  declare from: string;
  declare to: string;
  declare subject: string;
  declare html: string;
  declare text: string;
  declare replyTo?: string | undefined;
  declare headers: Record<string, string>;
  declare idempotencyKey: string;
  declare tags?: { name: string; value: string }[];
  readonly #encoded: PreEncodedText;

  constructor(email: OutgoingEmail, encoded: PreEncodedText) {
    Object.assign(this, email);
    this.#encoded = encoded;
  }

  static encodedTextOf(email: OutgoingEmail): PreEncodedText | undefined {
    return #encoded in email ? (email as PreEncodedEmail).#encoded : undefined;
  }
}

/** `email` as built from these pieces (see PreEncodedText); encodeBatchBody uses them only while they match its strings. */
export function withPreEncodedText(email: OutgoingEmail, encoded: PreEncodedText | undefined): OutgoingEmail {
  return encoded ? new PreEncodedEmail(email, encoded) : email;
}

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");
const QUOTE = Buffer.from('"');

/** JSON.stringify(apiPayload(email)) as bytes, byte for byte, with html and text from their pieces. */
function writeWithPieces(chunks: Uint8Array[], email: OutgoingEmail, encoded: PreEncodedText): void {
  const before = `{"from":${JSON.stringify(email.from)},"headers":${JSON.stringify(email.headers)},"html":"`;
  const middle = `"${email.replyTo ? `,"reply_to":${JSON.stringify(email.replyTo)}` : ""},"subject":${JSON.stringify(email.subject)}${email.tags ? `,"tags":${JSON.stringify(email.tags)}` : ""},"text":"`;
  chunks.push(Buffer.from(before), ...encoded.htmlPieces(), Buffer.from(middle), ...encoded.textPieces(), QUOTE, Buffer.from(`,"to":${JSON.stringify(email.to)}}`));
}

/**
 * `value`'s JSON string contents (JSON.stringify without the quotes) as UTF-8. Joining these for
 * consecutive strings gives the encoding of the joined string unless a surrogate pair is split
 * between them, which the caller rules out (splitsPair).
 */
export function jsonStringContents(value: string): Buffer {
  const json = JSON.stringify(value);
  return Buffer.from(json.slice(1, -1));
}

/** True when `before` ends and `after` begins a surrogate pair: their JSON pieces would not join. */
export function splitsPair(before: string, after: string): boolean {
  const last = before.charCodeAt(before.length - 1);
  const first = after.charCodeAt(0);
  return last >= 0xd800 && last <= 0xdbff && first >= 0xdc00 && first <= 0xdfff;
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
