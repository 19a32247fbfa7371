/**
 * A local stand-in for Resend's HTTP API (POST /emails, POST /emails/batch, GET /emails/:id),
 * faithful enough that the real `resend` SDK behaves as it does against api.resend.com:
 * same request fields (snake_case), same response and error bodies, same status codes,
 * idempotency keys, batch validation modes and rate-limit headers. Point the SDK at it with
 * `RESEND_BASE_URL=<fake.url>` or `new Resend(key, { baseUrl: fake.url })`.
 *
 * Behaviour that Resend documents only loosely is pinned down here so tests can rely on it:
 * - Order of checks per API request: API key → fault hook / failNext → rate limit →
 *   JSON body → idempotency key → (latency) → validation → accept.
 * - Only successful (2xx) outcomes are stored under an idempotency key. A validation error or
 *   an injected fault releases the key, so a retry with the same key is processed afresh —
 *   Resend only replays when an email was actually sent. Exception: `afterAccept` faults,
 *   which model "the email went out but the client never saw the answer".
 * - Request bodies are compared for idempotency after canonicalising JSON key order, plus the
 *   path and the batch validation mode: re-rendering the same email in a retry must replay,
 *   not 409.
 * - Rate limit: `window: "fixed"` (default) counts admitted requests per wall-clock second,
 *   the same buckets `requestsPerSecondSeen()` reports; `"sliding"` admits at most N requests
 *   in any 1000 ms span; `"bucket"` is a token bucket refilled at N a second and holding
 *   `burst` tokens (default N), the usual way an API enforces "N per second": the rate holds on
 *   average, and requests sent evenly but delivered a little bunched still pass. Rejected requests
 *   do not consume the budget.
 *
 * Control endpoints under /_fake/* (never authenticated, rate limited, delayed or counted)
 * let a test in another process read and steer a fake started by fake-resend-cli.ts.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";
import type { HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export type FaultStatus = 429 | 500 | 502 | 503;

export interface FailNextOptions {
  /** HTTP status to answer with, or "disconnect" to drop the TCP connection without answering. */
  status: FaultStatus | "disconnect";
  /** Sets `retry-after` (seconds). 429 faults default to 1. */
  retryAfterSeconds?: number;
  /**
   * Process the request normally first (email recorded, idempotency response stored), then
   * answer with the fault: the "sent, but the response was lost" case that retries with an
   * idempotency key exist for.
   */
  afterAccept?: boolean;
  /** Raw response body instead of Resend's JSON error, e.g. a gateway's HTML page. */
  body?: string;
}

export interface FakeRequestInfo {
  method: string;
  path: string;
  headers: Headers;
  /** Parsed JSON body, or undefined when absent or unparsable. */
  body: unknown;
  idempotencyKey: string | undefined;
  /** 1-based number of this API request since start or the last reset. */
  seq: number;
}

export type FaultHook = (req: FakeRequestInfo) => Response | undefined | Promise<Response | undefined>;

export interface RateLimitOptions {
  requestsPerSecond: number;
  window?: "fixed" | "sliding" | "bucket";
  /** Token bucket only: how many requests it holds (a burst it admits at once). Default requestsPerSecond. */
  burst?: number;
}

export interface FakeResendOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** When set, requests need `Authorization: Bearer <apiKey>` (401 missing, 403 wrong). */
  apiKey?: string | null;
  rateLimit?: RateLimitOptions | null;
  /** Added to every API response; also the window in which a same-key request gets 409 concurrent. */
  latencyMs?: number;
  /** Default true. False models a provider that ignores Idempotency-Key (every request sends). */
  honorIdempotency?: boolean;
  /** Default 24 h, as Resend. */
  idempotencyTtlMs?: number;
  /** Header whose value identifies one logical send, for duplicates(). Default X-Lessonpost-Send-Id; null disables. */
  dedupHeader?: string | null;
  /** Default true. False drops html/text from recorded emails to keep benchmark memory flat. */
  storeBodies?: boolean;
  /** Default true. False keeps only counters, not the per-request log. */
  logRequests?: boolean;
  /** Clock for timestamps, rate limiting and idempotency expiry (latency still uses real timers). */
  now?: () => number;
}

export interface FakeEmailTag {
  name: string;
  value: string;
}

export interface FakeEmail {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  html: string | undefined;
  text: string | undefined;
  headers: Record<string, string>;
  reply_to: string[];
  tags: FakeEmailTag[];
  scheduled_at: string | undefined;
  attachments: number;
  template_id: string | undefined;
  idempotencyKey: string | undefined;
  batch: boolean;
  /** Position in the batch request, when batch is true. */
  batchIndex: number | undefined;
  /** Epoch milliseconds. */
  receivedAt: number;
}

export type FakeRequestOutcome =
  | "accepted"
  | "partially_accepted"
  | "replayed"
  | "rejected"
  | "conflict"
  | "rate_limited"
  | "fault"
  | "unauthorized"
  | "not_found"
  | "read";

export interface FakeRequestRecord {
  seq: number;
  method: string;
  path: string;
  status: number;
  /** Arrival time, epoch milliseconds. */
  time: number;
  durationMs: number;
  idempotencyKey: string | undefined;
  outcome: FakeRequestOutcome;
  /** Emails this request added to the accepted list (a replay or a refusal adds none). */
  emails: number;
}

export interface SecondCount {
  /** Unix time in whole seconds. */
  second: number;
  /** API requests that arrived in this second (rate-limited ones included). */
  requests: number;
  rateLimited: number;
  /** Emails accepted in this second. */
  emails: number;
}

export type DuplicateReason = "idempotency-key" | "send-id" | "recipient-subject";

export interface DuplicateGroup {
  reason: DuplicateReason;
  key: string;
  emails: FakeEmail[];
}

export interface FakeStats {
  emails: number;
  requests: number;
  byStatus: Record<string, number>;
  byOutcome: Record<string, number>;
  /** Emails beyond the first of each duplicate group (an email counted once even if in two groups). */
  duplicates: number;
  duplicateGroups: { reason: DuplicateReason; key: string; ids: string[] }[];
  perSecond: SecondCount[];
  maxRequestsInAnySecond: number;
  idempotencyKeys: number;
  /** Injected faults that actually fired: before processing (failNext, fault hook) and after acceptance. */
  faultsFired: { beforeAccept: number; afterAccept: number; hook: number };
  config: { rateLimit: RateLimitOptions | null; latencyMs: number; apiKeyRequired: boolean };
}

/** The fake without a listening socket: drive `app` with `app.request()` in-process. */
export interface FakeResendCore {
  readonly app: Hono<{ Bindings: HttpBindings }>;
  /** Every accepted email, in order of acceptance. Cleared in place by reset(). */
  readonly emails: readonly FakeEmail[];
  /** Every API request, in order of completion (empty when logRequests is false). */
  readonly requests: readonly FakeRequestRecord[];
  duplicates(): DuplicateGroup[];
  requestsPerSecondSeen(): SecondCount[];
  stats(): FakeStats;
  /** The next `count` API requests answer with this fault (queued after earlier failNext calls). */
  failNext(count: number, options: FailNextOptions): void;
  /** Runs on every API request before failNext; a returned Response is sent as is. */
  setFault(hook: FaultHook | undefined): void;
  setRateLimit(limit: RateLimitOptions | null): void;
  setLatency(ms: number): void;
  setApiKey(key: string | null): void;
  /** Forgets emails, requests, idempotency keys, counters and faults; keeps configuration. */
  reset(): void;
}

export interface FakeResend extends FakeResendCore {
  /** Base URL for RESEND_BASE_URL, without trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Resend's wire format
// ---------------------------------------------------------------------------------------------

type ErrorName =
  | "validation_error"
  | "missing_required_field"
  | "invalid_attachment"
  | "invalid_idempotency_key"
  | "invalid_idempotent_request"
  | "concurrent_idempotent_requests"
  | "missing_api_key"
  | "invalid_api_key"
  | "not_found"
  | "method_not_allowed"
  | "rate_limit_exceeded"
  | "internal_server_error"
  | "application_error";

interface ApiError {
  status: number;
  name: ErrorName;
  message: string;
}

const MAX_RECIPIENTS = 50;
const MAX_BATCH = 100;
const MAX_IDEMPOTENCY_KEY = 256;
const DAY_MS = 24 * 60 * 60 * 1000;
const ADDRESS_FORMAT =
  "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.";

const BARE_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;
const NAMED_ADDRESS = /^[^<>]*<([^<>]+)>$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;

function errorBody(status: number, name: ErrorName, message: string): string {
  return JSON.stringify({ statusCode: status, name, message });
}

/** Lower-cased bare address, or undefined when it is not a valid Resend address. */
function parseAddress(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  const named = NAMED_ADDRESS.exec(trimmed);
  const bare = named ? (named[1] ?? "").trim() : trimmed;
  return BARE_ADDRESS.test(bare) ? bare.toLowerCase() : undefined;
}

function addressList(
  value: unknown,
  field: string,
  max: number,
): { ok: true; list: string[] } | { ok: false; error: ApiError } {
  const items = typeof value === "string" ? [value] : value;
  const invalid = (why: string): { ok: false; error: ApiError } => ({
    ok: false,
    error: { status: 422, name: "validation_error", message: `Invalid \`${field}\` field. ${why}` },
  });
  if (!Array.isArray(items)) return invalid(ADDRESS_FORMAT);
  if (items.length === 0) return invalid("At least one recipient is required.");
  if (items.length > max) return invalid(`A maximum of ${max} recipients is allowed.`);
  for (const item of items) if (parseAddress(item) === undefined) return invalid(ADDRESS_FORMAT);
  return { ok: true, list: items as string[] };
}

type Parsed = Omit<FakeEmail, "id" | "idempotencyKey" | "batch" | "batchIndex" | "receivedAt">;

function validateEmail(raw: unknown, batch: boolean): { ok: true; email: Parsed } | { ok: false; error: ApiError } {
  const fail = (name: ErrorName, message: string) => ({ ok: false as const, error: { status: 422, name, message } });
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail("validation_error", "The request body must be a JSON object.");
  }
  const body = raw as Record<string, unknown>;
  const present = (key: string) => body[key] !== undefined && body[key] !== null;

  if (batch && present("attachments")) return fail("validation_error", "The `attachments` field is not supported for batch emails.");
  if (batch && present("scheduled_at")) return fail("validation_error", "The `scheduled_at` field is not supported for batch emails.");

  let templateId: string | undefined;
  if (present("template")) {
    const t = body.template as { id?: unknown } | null;
    if (typeof t !== "object" || t === null || typeof t.id !== "string" || t.id === "") {
      return fail("validation_error", "Invalid `template` field. It must be an object with an `id`.");
    }
    templateId = t.id;
  }
  // A template supplies from, subject and body itself; everything else is required.
  const usesTemplate = templateId !== undefined;

  if (!present("from") && !usesTemplate) return fail("missing_required_field", "Missing `from` field.");
  if (present("from") && parseAddress(body.from) === undefined) return fail("validation_error", `Invalid \`from\` field. ${ADDRESS_FORMAT}`);

  if (!present("to")) return fail("missing_required_field", "Missing `to` field.");
  const to = addressList(body.to, "to", MAX_RECIPIENTS);
  if (!to.ok) return to;
  const lists: Record<"cc" | "bcc" | "reply_to", string[]> = { cc: [], bcc: [], reply_to: [] };
  for (const field of ["cc", "bcc", "reply_to"] as const) {
    if (!present(field)) continue;
    const list = addressList(body[field], field, MAX_RECIPIENTS);
    if (!list.ok) return list;
    lists[field] = list.list;
  }

  if (!present("subject") && !usesTemplate) return fail("missing_required_field", "Missing `subject` field.");
  if (present("subject") && typeof body.subject !== "string") return fail("validation_error", "Invalid `subject` field. It must be a string.");

  if (!present("html") && !present("text") && !usesTemplate) return fail("missing_required_field", "Missing `html` or `text` field.");
  for (const field of ["html", "text"] as const) {
    if (present(field) && typeof body[field] !== "string") return fail("validation_error", `Invalid \`${field}\` field. It must be a string.`);
  }

  const headers: Record<string, string> = {};
  if (present("headers")) {
    const h = body.headers;
    if (typeof h !== "object" || h === null || Array.isArray(h)) return fail("validation_error", "Invalid `headers` field. It must be an object.");
    for (const [name, value] of Object.entries(h)) {
      if (!HEADER_NAME.test(name)) return fail("validation_error", `Invalid \`headers\` field. \`${name}\` is not a valid header name.`);
      if (typeof value !== "string") return fail("validation_error", `Invalid \`headers\` field. The value of \`${name}\` must be a string.`);
      if (value.includes("\r") || value.includes("\n")) {
        return fail("validation_error", `Invalid \`headers\` field. The value of \`${name}\` must not contain line breaks (CR or LF).`);
      }
      headers[name] = value;
    }
  }

  const tags: FakeEmailTag[] = [];
  if (present("tags")) {
    if (!Array.isArray(body.tags)) return fail("validation_error", "Invalid `tags` field. It must be an array.");
    for (const tag of body.tags as unknown[]) {
      const t = tag as { name?: unknown; value?: unknown } | null;
      if (typeof t !== "object" || t === null || typeof t.name !== "string" || typeof t.value !== "string" || !TAG_PART.test(t.name) || !TAG_PART.test(t.value)) {
        return fail(
          "validation_error",
          "Invalid `tags` field. Tag names and values can only contain ASCII letters, numbers, underscores or dashes, up to 256 characters.",
        );
      }
      tags.push({ name: t.name, value: t.value });
    }
  }

  let attachments = 0;
  if (present("attachments")) {
    if (!Array.isArray(body.attachments)) return fail("validation_error", "Invalid `attachments` field. It must be an array.");
    for (const a of body.attachments as unknown[]) {
      const att = a as { content?: unknown; path?: unknown } | null;
      if (typeof att !== "object" || att === null || (att.content == null && att.path == null)) {
        return fail("invalid_attachment", "Attachment must have either a `content` or `path`.");
      }
    }
    attachments = body.attachments.length;
  }

  if (present("scheduled_at") && typeof body.scheduled_at !== "string") return fail("validation_error", "Invalid `scheduled_at` field. It must be a string.");

  return {
    ok: true,
    email: {
      from: typeof body.from === "string" ? body.from : "",
      to: to.list,
      cc: lists.cc,
      bcc: lists.bcc,
      reply_to: lists.reply_to,
      subject: typeof body.subject === "string" ? body.subject : "",
      html: typeof body.html === "string" ? body.html : undefined,
      text: typeof body.text === "string" ? body.text : undefined,
      headers,
      tags,
      scheduled_at: typeof body.scheduled_at === "string" ? body.scheduled_at : undefined,
      attachments,
      template_id: templateId,
    },
  };
}

/** JSON with sorted object keys, so equal payloads compare equal whatever order the client built them in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

// ---------------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------------

interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

class RateLimiter {
  readonly limit: number;
  readonly window: "fixed" | "sliding" | "bucket";
  private windowStart = -1;
  private used = 0;
  // Sliding window: admitted timestamps as a queue; head advances as entries age out, so each
  // request costs amortised O(1) however high the limit is.
  private stamps: number[] = [];
  private head = 0;

  constructor(options: RateLimitOptions) {
    if (!(options.requestsPerSecond > 0)) throw new Error("rateLimit.requestsPerSecond must be positive");
    this.limit = Math.floor(options.requestsPerSecond);
    this.window = options.window ?? "fixed";
    this.burst = Math.max(1, Math.floor(options.burst ?? options.requestsPerSecond));
  }

  take(now: number): LimitDecision {
    if (this.window === "bucket") return this.takeBucket(now);
    return this.window === "fixed" ? this.takeFixed(now) : this.takeSliding(now);
  }

  private readonly burst: number;
  private tokens = -1;
  private refilledAt = 0;

  private takeBucket(now: number): LimitDecision {
    if (this.tokens < 0) this.tokens = this.burst;
    else this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.limit) / 1000);
    this.refilledAt = now;
    const resetSeconds = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.limit / 1000));
    if (this.tokens < 1) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    this.tokens -= 1;
    return { allowed: true, limit: this.limit, remaining: Math.floor(this.tokens), resetSeconds };
  }

  private takeFixed(now: number): LimitDecision {
    const start = Math.floor(now / 1000) * 1000;
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.used = 0;
    }
    const resetSeconds = Math.max(1, Math.ceil((start + 1000 - now) / 1000));
    if (this.used >= this.limit) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    this.used++;
    return { allowed: true, limit: this.limit, remaining: this.limit - this.used, resetSeconds };
  }

  private takeSliding(now: number): LimitDecision {
    const stamps = this.stamps;
    while (this.head < stamps.length && (stamps[this.head] ?? 0) <= now - 1000) this.head++;
    if (this.head > 1024 && this.head * 2 > stamps.length) {
      this.stamps = stamps.slice(this.head);
      this.head = 0;
    }
    const inWindow = this.stamps.length - this.head;
    const oldest = this.stamps[this.head] ?? now;
    const resetSeconds = Math.max(1, Math.ceil((oldest + 1000 - now) / 1000));
    if (inWindow >= this.limit) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    this.stamps.push(now);
    return { allowed: true, limit: this.limit, remaining: this.limit - inWindow - 1, resetSeconds };
  }
}

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

interface IdempotencyEntry {
  fingerprint: string;
  pending: boolean;
  status: number;
  body: string;
  expiresAt: number;
}

interface Outcome {
  status: number;
  body: string;
  outcome: FakeRequestOutcome;
  headers?: Record<string, string>;
  /** Emails recorded while handling the request. */
  accepted?: number;
}

const faultSchema = z.object({
  count: z.number().int().positive().optional(),
  status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal("disconnect")]).optional(),
  retryAfterSeconds: z.number().nonnegative().optional(),
  afterAccept: z.boolean().optional(),
  body: z.string().optional(),
  clear: z.boolean().optional(),
});

const configSchema = z.object({
  rateLimit: z
    .object({ requestsPerSecond: z.number().positive(), window: z.enum(["fixed", "sliding", "bucket"]).optional(), burst: z.number().positive().optional() })
    .nullable()
    .optional(),
  latencyMs: z.number().nonnegative().optional(),
  apiKey: z.string().min(1).nullable().optional(),
});

function recipientsKey(to: readonly string[]): string {
  return to
    .map((a) => parseAddress(a) ?? a.toLowerCase())
    .sort()
    .join(",");
}

export function createFakeResend(options: FakeResendOptions = {}): FakeResendCore {
  const now = options.now ?? Date.now;
  const honorIdempotency = options.honorIdempotency ?? true;
  const idempotencyTtlMs = options.idempotencyTtlMs ?? DAY_MS;
  const dedupHeader = options.dedupHeader === undefined ? "x-lessonpost-send-id" : options.dedupHeader?.toLowerCase() ?? null;
  const storeBodies = options.storeBodies ?? true;
  const logRequests = options.logRequests ?? true;

  let apiKey = options.apiKey ?? null;
  let latencyMs = options.latencyMs ?? 0;
  let rateLimitConfig: RateLimitOptions | null = options.rateLimit ?? null;
  let limiter = rateLimitConfig ? new RateLimiter(rateLimitConfig) : null;
  let faultHook: FaultHook | undefined;

  const emails: FakeEmail[] = [];
  const requests: FakeRequestRecord[] = [];
  const emailsById = new Map<string, FakeEmail>();
  let idempotency = new Map<string, IdempotencyEntry>();
  let faults: { remaining: number; options: FailNextOptions }[] = [];
  let faultsFired = { beforeAccept: 0, afterAccept: 0, hook: 0 };
  let seq = 0;
  let requestCount = 0;
  let byStatus = new Map<number, number>();
  let byOutcome = new Map<string, number>();
  let pastSeconds: SecondCount[] = [];
  let currentSecond: SecondCount | undefined;
  // Requests in flight when reset() runs must not leak their results into the fresh state.
  let generation = 0;

  function secondBucket(at: number): SecondCount {
    const second = Math.floor(at / 1000);
    if (currentSecond?.second === second) return currentSecond;
    if (currentSecond) pastSeconds.push(currentSecond);
    currentSecond = { second, requests: 0, rateLimited: 0, emails: 0 };
    return currentSecond;
  }

  function takeFault(): FailNextOptions | undefined {
    const head = faults[0];
    if (!head) return undefined;
    head.remaining--;
    if (head.remaining <= 0) faults.shift();
    return head.options;
  }

  function sweepIdempotency(at: number): void {
    // Entries are re-inserted on completion, so the Map is ordered by expiry; stop at the first live one.
    for (const [key, entry] of idempotency) {
      if (entry.pending || entry.expiresAt > at) break;
      idempotency.delete(key);
    }
  }

  function recordEmail(parsed: Parsed, key: string | undefined, batch: boolean, batchIndex: number | undefined, at: number): FakeEmail {
    const email: FakeEmail = {
      id: randomUUID(),
      ...parsed,
      html: storeBodies ? parsed.html : undefined,
      text: storeBodies ? parsed.text : undefined,
      idempotencyKey: key,
      batch,
      batchIndex,
      receivedAt: at,
    };
    emails.push(email);
    emailsById.set(email.id, email);
    secondBucket(at).emails++;
    return email;
  }

  function faultOutcome(fault: FailNextOptions): Outcome {
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined || fault.status === 429) headers["retry-after"] = String(fault.retryAfterSeconds ?? 1);
    if (fault.status === 429) {
      headers["ratelimit-limit"] = String(limiter?.limit ?? 2);
      headers["ratelimit-remaining"] = "0";
      headers["ratelimit-reset"] = headers["retry-after"] ?? "1";
    }
    const status = fault.status === "disconnect" ? 500 : fault.status;
    if (fault.body !== undefined) return { status, body: fault.body, outcome: "fault", headers: { ...headers, "content-type": "text/html; charset=utf-8" } };
    const [name, message]: [ErrorName, string] =
      status === 429
        ? ["rate_limit_exceeded", rateLimitMessage(limiter?.limit ?? 2)]
        : status === 500
          ? ["internal_server_error", "An unexpected error occurred."]
          : ["application_error", "An unexpected error occurred, please try again."];
    return { status, body: errorBody(status, name, message), outcome: "fault", headers };
  }

  function rateLimitMessage(limit: number): string {
    return `Too many requests. You can only make ${limit} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`;
  }

  function processEmails(
    path: "/emails" | "/emails/batch",
    body: unknown,
    mode: "strict" | "permissive",
    key: string | undefined,
    at: number,
  ): Outcome {
    if (path === "/emails") {
      const result = validateEmail(body, false);
      if (!result.ok) return { status: result.error.status, body: errorBody(result.error.status, result.error.name, result.error.message), outcome: "rejected" };
      const email = recordEmail(result.email, key, false, undefined, at);
      return { status: 200, body: JSON.stringify({ id: email.id }), outcome: "accepted" };
    }

    if (!Array.isArray(body)) return { status: 422, body: errorBody(422, "validation_error", "The request body must be an array of emails."), outcome: "rejected" };
    if (body.length === 0) return { status: 422, body: errorBody(422, "validation_error", "The batch must contain at least 1 email."), outcome: "rejected" };
    if (body.length > MAX_BATCH) {
      return { status: 422, body: errorBody(422, "validation_error", `Too many emails in batch. The maximum is ${MAX_BATCH}, got ${body.length}.`), outcome: "rejected" };
    }
    const results = body.map((item) => validateEmail(item, true));
    if (mode === "strict") {
      const index = results.findIndex((r) => !r.ok);
      const failed = results[index];
      if (failed && !failed.ok) {
        return { status: 422, body: errorBody(422, failed.error.name, `emails[${index}]: ${failed.error.message}`), outcome: "rejected" };
      }
    }
    const data: { id: string }[] = [];
    const errors: { index: number; message: string }[] = [];
    results.forEach((r, index) => {
      if (r.ok) data.push({ id: recordEmail(r.email, key, true, index, at).id });
      else errors.push({ index, message: r.error.message });
    });
    if (mode === "strict") return { status: 200, body: JSON.stringify({ data }), outcome: "accepted" };
    return { status: 200, body: JSON.stringify({ data, errors }), outcome: errors.length === 0 ? "accepted" : "partially_accepted" };
  }

  async function handleApi(c: Context<{ Bindings: HttpBindings }>, path: "/emails" | "/emails/batch"): Promise<Outcome> {
    const arrival = now();
    const myGeneration = generation;
    const bucket = secondBucket(arrival);
    bucket.requests++;
    const requestSeq = ++seq;
    const rawKey = c.req.header("idempotency-key");
    const text = await c.req.text();
    let body: unknown;
    let bodyOk = true;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      bodyOk = false;
    }

    const delayed = async (outcome: Outcome): Promise<Outcome> => {
      if (latencyMs > 0) await sleep(latencyMs);
      return outcome;
    };

    if (apiKey !== null) {
      const auth = c.req.header("authorization");
      const token = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
      if (!token) {
        return delayed({
          status: 401,
          body: errorBody(401, "missing_api_key", "Missing API key in the authorization header. Include the following header Authorization: Bearer YOUR_API_KEY in the request."),
          outcome: "unauthorized",
        });
      }
      if (token !== apiKey) return delayed({ status: 403, body: errorBody(403, "invalid_api_key", "API key is invalid"), outcome: "unauthorized" });
    }

    if (faultHook) {
      const injected = await faultHook({ method: c.req.method, path, headers: c.req.raw.headers, body, idempotencyKey: rawKey, seq: requestSeq });
      if (injected) {
        faultsFired.hook++;
        return delayed({
          status: injected.status,
          body: await injected.text(),
          outcome: "fault",
          headers: Object.fromEntries(injected.headers.entries()),
        });
      }
    }
    const fault = takeFault();
    if (fault && !fault.afterAccept) {
      faultsFired.beforeAccept++;
      if (fault.status === "disconnect") c.env?.incoming?.socket?.destroy();
      return delayed(faultOutcome(fault));
    }

    let limitHeaders: Record<string, string> = {};
    if (limiter) {
      const decision = limiter.take(arrival);
      limitHeaders = {
        "ratelimit-limit": String(decision.limit),
        "ratelimit-remaining": String(decision.remaining),
        "ratelimit-reset": String(decision.resetSeconds),
      };
      if (!decision.allowed) {
        bucket.rateLimited++;
        return delayed({
          status: 429,
          body: errorBody(429, "rate_limit_exceeded", rateLimitMessage(decision.limit)),
          outcome: "rate_limited",
          headers: { ...limitHeaders, "retry-after": String(decision.resetSeconds) },
        });
      }
    }
    const withLimits = (o: Outcome): Outcome => ({ ...o, headers: { ...limitHeaders, ...o.headers } });

    if (!bodyOk) return delayed(withLimits({ status: 422, body: errorBody(422, "validation_error", "Invalid JSON in request body."), outcome: "rejected" }));

    const modeHeader = c.req.header("x-batch-validation") ?? "strict";
    if (path === "/emails/batch" && modeHeader !== "strict" && modeHeader !== "permissive") {
      return delayed(withLimits({ status: 422, body: errorBody(422, "validation_error", "Invalid `x-batch-validation` header. Use `strict` or `permissive`."), outcome: "rejected" }));
    }
    const mode = modeHeader as "strict" | "permissive";

    let key: string | undefined;
    let fingerprint = "";
    if (rawKey !== undefined) {
      if (rawKey.length < 1 || rawKey.length > MAX_IDEMPOTENCY_KEY) {
        return delayed(withLimits({ status: 400, body: errorBody(400, "invalid_idempotency_key", "The key must be between 1-256 chars."), outcome: "rejected" }));
      }
      key = rawKey;
      if (honorIdempotency) {
        sweepIdempotency(arrival);
        fingerprint = createHash("sha1").update(`${path}\n${path === "/emails/batch" ? mode : ""}\n${canonicalJson(body)}`).digest("base64");
        const existing = idempotency.get(key);
        if (existing && !existing.pending && existing.expiresAt <= arrival) idempotency.delete(key);
        else if (existing?.pending) {
          return delayed(withLimits({
            status: 409,
            body: errorBody(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress."),
            outcome: "conflict",
          }));
        } else if (existing && existing.fingerprint !== fingerprint) {
          return delayed(withLimits({
            status: 409,
            body: errorBody(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."),
            outcome: "conflict",
          }));
        } else if (existing) {
          return delayed(withLimits({ status: existing.status, body: existing.body, outcome: "replayed" }));
        }
        idempotency.set(key, { fingerprint, pending: true, status: 0, body: "", expiresAt: Infinity });
      }
    }

    // The idempotency claim above stays pending across this wait; that is what makes a second
    // same-key request see 409 concurrent_idempotent_requests.
    if (latencyMs > 0) await sleep(latencyMs);
    if (myGeneration !== generation) {
      return withLimits({ status: 500, body: errorBody(500, "internal_server_error", "The fake was reset while this request was in flight."), outcome: "fault" });
    }

    const before = emails.length;
    const result = processEmails(path, body, mode, key, now());
    // processEmails is synchronous, so no other request recorded emails in between.
    const accepted = emails.length - before;
    if (key !== undefined && honorIdempotency) {
      idempotency.delete(key);
      if (result.status >= 200 && result.status < 300) {
        idempotency.set(key, { fingerprint, pending: false, status: result.status, body: result.body, expiresAt: now() + idempotencyTtlMs });
      }
    }
    if (fault?.afterAccept) {
      faultsFired.afterAccept++;
      if (fault.status === "disconnect") c.env?.incoming?.socket?.destroy();
      return { ...faultOutcome(fault), accepted };
    }
    return { ...withLimits(result), accepted };
  }

  function record(c: Context, path: string, arrival: number, outcome: Outcome): Response {
    requestCount++;
    byStatus.set(outcome.status, (byStatus.get(outcome.status) ?? 0) + 1);
    byOutcome.set(outcome.outcome, (byOutcome.get(outcome.outcome) ?? 0) + 1);
    if (logRequests) {
      requests.push({
        seq: requests.length + 1,
        method: c.req.method,
        path,
        status: outcome.status,
        time: arrival,
        durationMs: now() - arrival,
        idempotencyKey: c.req.header("idempotency-key"),
        outcome: outcome.outcome,
        emails: outcome.accepted ?? 0,
      });
    }
    return new Response(outcome.body, {
      status: outcome.status,
      headers: { "content-type": "application/json; charset=utf-8", ...outcome.headers },
    });
  }

  function duplicates(): DuplicateGroup[] {
    const byIdem = new Map<string, FakeEmail[]>();
    const byContent = new Map<string, { reason: DuplicateReason; emails: FakeEmail[] }>();
    for (const email of emails) {
      if (email.idempotencyKey !== undefined) {
        const k = `${email.idempotencyKey}#${email.batchIndex ?? ""}`;
        const list = byIdem.get(k);
        if (list) list.push(email);
        else byIdem.set(k, [email]);
      }
      let sendId: string | undefined;
      if (dedupHeader !== null) {
        for (const [name, value] of Object.entries(email.headers)) if (name.toLowerCase() === dedupHeader) sendId = value;
      }
      const to = recipientsKey(email.to);
      const [reason, k]: [DuplicateReason, string] =
        sendId !== undefined ? ["send-id", `${sendId}|${to}`] : ["recipient-subject", `${to}|${email.subject}`];
      const group = byContent.get(`${reason}:${k}`);
      if (group) group.emails.push(email);
      else byContent.set(`${reason}:${k}`, { reason, emails: [email] });
    }
    const groups: DuplicateGroup[] = [];
    for (const [key, list] of byIdem) if (list.length > 1) groups.push({ reason: "idempotency-key", key, emails: list });
    for (const [key, g] of byContent) {
      if (g.emails.length > 1) groups.push({ reason: g.reason, key: key.slice(g.reason.length + 1), emails: g.emails });
    }
    return groups;
  }

  function requestsPerSecondSeen(): SecondCount[] {
    const all = currentSecond ? [...pastSeconds, currentSecond] : [...pastSeconds];
    return all.map((s) => ({ ...s }));
  }

  function stats(): FakeStats {
    const groups = duplicates();
    const extra = new Set<string>();
    for (const g of groups) for (const e of g.emails.slice(1)) extra.add(e.id);
    const perSecond = requestsPerSecondSeen();
    return {
      emails: emails.length,
      requests: requestCount,
      byStatus: Object.fromEntries(byStatus),
      byOutcome: Object.fromEntries(byOutcome),
      duplicates: extra.size,
      duplicateGroups: groups.map((g) => ({ reason: g.reason, key: g.key, ids: g.emails.map((e) => e.id) })),
      perSecond,
      maxRequestsInAnySecond: perSecond.reduce((m, s) => Math.max(m, s.requests), 0),
      idempotencyKeys: idempotency.size,
      faultsFired: { ...faultsFired },
      config: currentConfig(),
    };
  }

  function currentConfig(): FakeStats["config"] {
    return { rateLimit: rateLimitConfig, latencyMs, apiKeyRequired: apiKey !== null };
  }

  function failNext(count: number, fault: FailNextOptions): void {
    if (!Number.isInteger(count) || count < 1) throw new Error("failNext count must be a positive integer");
    faults.push({ remaining: count, options: { ...fault } });
  }

  function setRateLimit(limit: RateLimitOptions | null): void {
    rateLimitConfig = limit;
    limiter = limit ? new RateLimiter(limit) : null;
  }

  function reset(): void {
    generation++;
    emails.length = 0;
    requests.length = 0;
    emailsById.clear();
    idempotency = new Map();
    faults = [];
    faultsFired = { beforeAccept: 0, afterAccept: 0, hook: 0 };
    faultHook = undefined;
    seq = 0;
    requestCount = 0;
    byStatus = new Map();
    byOutcome = new Map();
    pastSeconds = [];
    currentSecond = undefined;
    if (rateLimitConfig) limiter = new RateLimiter(rateLimitConfig);
  }

  const json = (value: unknown, status = 200) =>
    new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json; charset=utf-8" } });
  const sinceParam = (c: Context) => Math.max(0, Number.parseInt(c.req.query("since") ?? "0", 10) || 0);

  const app = new Hono<{ Bindings: HttpBindings }>();

  app.get("/_fake/emails", (c) => {
    const since = sinceParam(c);
    const withBodies = c.req.query("bodies") !== "0";
    const slice = emails.slice(since);
    return json({ total: emails.length, emails: withBodies ? slice : slice.map((e) => ({ ...e, html: undefined, text: undefined })) });
  });
  app.get("/_fake/requests", (c) => json({ total: requests.length, requests: requests.slice(sinceParam(c)) }));
  app.get("/_fake/stats", () => json(stats()));
  app.post("/_fake/reset", () => {
    reset();
    return json({ ok: true });
  });
  app.post("/_fake/fault", async (c) => {
    const parsed = faultSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return json({ error: parsed.error.message }, 400);
    const { count, status, clear, ...rest } = parsed.data;
    if (clear) faults = [];
    if (status !== undefined) failNext(count ?? 1, { status, ...rest });
    return json({ ok: true, queued: faults.reduce((n, f) => n + f.remaining, 0) });
  });
  app.post("/_fake/config", async (c) => {
    const parsed = configSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return json({ error: parsed.error.message }, 400);
    if (parsed.data.rateLimit !== undefined) setRateLimit(parsed.data.rateLimit);
    if (parsed.data.latencyMs !== undefined) latencyMs = parsed.data.latencyMs;
    if (parsed.data.apiKey !== undefined) apiKey = parsed.data.apiKey;
    return json({ ok: true, config: currentConfig() });
  });

  for (const path of ["/emails", "/emails/batch"] as const) {
    app.post(path, async (c) => {
      const arrival = now();
      return record(c, path, arrival, await handleApi(c, path));
    });
  }
  app.get("/emails/:id", (c) => {
    const arrival = now();
    const email = emailsById.get(c.req.param("id"));
    if (!email) {
      return record(c, c.req.path, arrival, { status: 404, body: errorBody(404, "not_found", "Email not found"), outcome: "not_found" });
    }
    const body = {
      object: "email",
      id: email.id,
      to: email.to,
      from: email.from,
      created_at: new Date(email.receivedAt).toISOString(),
      subject: email.subject,
      html: email.html ?? null,
      text: email.text ?? null,
      bcc: email.bcc.length ? email.bcc : null,
      cc: email.cc.length ? email.cc : null,
      reply_to: email.reply_to.length ? email.reply_to : null,
      last_event: email.scheduled_at ? "scheduled" : "delivered",
      scheduled_at: email.scheduled_at ?? null,
      tags: email.tags,
    };
    return record(c, c.req.path, arrival, { status: 200, body: JSON.stringify(body), outcome: "read" });
  });
  app.all("/emails", (c) =>
    record(c, "/emails", now(), { status: 405, body: errorBody(405, "method_not_allowed", "Method is not allowed for the requested path."), outcome: "not_found" }),
  );
  app.all("/emails/batch", (c) =>
    record(c, "/emails/batch", now(), { status: 405, body: errorBody(405, "method_not_allowed", "Method is not allowed for the requested path."), outcome: "not_found" }),
  );
  app.notFound((c) =>
    record(c, c.req.path, now(), { status: 404, body: errorBody(404, "not_found", "The requested endpoint does not exist."), outcome: "not_found" }),
  );

  return {
    app,
    emails,
    requests,
    duplicates,
    requestsPerSecondSeen,
    stats,
    failNext,
    setFault: (hook) => {
      faultHook = hook;
    },
    setRateLimit,
    setLatency: (ms) => {
      if (!(ms >= 0)) throw new Error("latencyMs must be >= 0");
      latencyMs = ms;
    },
    setApiKey: (key) => {
      apiKey = key;
    },
    reset,
  };
}

export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  const core = createFakeResend(options);
  const hostname = options.hostname ?? "127.0.0.1";
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: core.app.fetch, port: options.port ?? 0, hostname }, () => resolve(s as Server)) as Server;
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  let closed: Promise<void> | undefined;
  return Object.assign(core, {
    url,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Clients (undici, benchmarks) hold keep-alive sockets open; close() alone would wait for them.
        server.closeAllConnections();
      })),
  });
}
