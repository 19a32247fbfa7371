import type { ColumnType, Generated, GeneratedAlways, Kysely } from "kysely";

/**
 * Table types shared by SQLite and PostgreSQL. Timestamps are epoch milliseconds in integer
 * columns: the one representation both engines compare, index and sort the same way.
 */

type Timestamp = number;

export type SubscriberStatus = "pending" | "active" | "unsubscribed" | "bounced" | "complained" | "deleted";
/** "pending": asked for on the signup form, waiting for the reader to confirm their address. */
export type EnrollmentStatus = "pending" | "active" | "paused" | "completed" | "cancelled";
export type SendKind = "confirm" | "confirm-reminder" | "lesson" | "graduation" | "newsletter" | "preferences-link";
export type SendStatus = "queued" | "sending" | "sent" | "failed" | "cancelled" | "skipped";

export interface SubscribersTable {
  id: string;
  /** As typed (domain in ASCII, lowercased): what we send to. */
  email: string;
  /** lower(email), computed by the database and unique: one mailbox is one reader. Look readers up by this. */
  email_key: GeneratedAlways<string>;
  name: string | null;
  timezone: string;
  status: SubscriberStatus;
  created_at: Timestamp;
  updated_at: Timestamp;
  confirmed_at: Timestamp | null;
  unsubscribed_at: Timestamp | null;
  /** Last time a confirmation email was queued: the anti-flood window is checked against it. */
  confirmation_sent_at: Timestamp | null;
  /** Last time a fresh preferences link was queued: its own anti-flood window, like the confirmation's. */
  link_sent_at: ColumnType<number | null, number | null | undefined, number | null>;
  consent_at: Timestamp;
  consent_ip: string | null;
  consent_user_agent: string | null;
  consent_form: string;
  consent_text_version: string;
}

export interface EnrollmentsTable {
  id: string;
  subscriber_id: string;
  course_slug: string;
  status: EnrollmentStatus;
  /** Confirmation time: every lesson's due date counts from here. */
  started_at: Timestamp;
  /** Slug of the next email to send; null once the graduation email is queued. */
  next_slug: string | null;
  next_due_at: Timestamp | null;
  /** Day offset of the last lesson queued (-1 before the first): lessons are placed by day, not by index. */
  last_day: number;
  last_sent_at: Timestamp | null;
  completed_at: Timestamp | null;
  /** A reader's "pause for a week": the tick resumes the enrollment at this time. */
  paused_until: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SendsTable {
  id: string;
  /** What this email is, e.g. lesson:<enrollment>:<slug>. Unique: the heart of exactly-once. */
  dedupe_key: string;
  kind: SendKind;
  subscriber_id: string;
  enrollment_id: string | null;
  lesson_slug: string | null;
  status: SendStatus;
  attempts: ColumnType<number, number | undefined, number>;
  provider_id: string | null;
  error: string | null;
  /** The newsletter this row belongs to, for kind "newsletter". */
  broadcast_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set when the email goes out in a provider batch; the batch is retried as a whole. */
  batch_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Provider events (webhooks) kept on the row: when each first happened, and the latest one. */
  delivered_at: ColumnType<number | null, number | null | undefined, number | null>;
  delayed_at: ColumnType<number | null, number | null | undefined, number | null>;
  opened_at: ColumnType<number | null, number | null | undefined, number | null>;
  clicked_at: ColumnType<number | null, number | null | undefined, number | null>;
  bounced_at: ColumnType<number | null, number | null | undefined, number | null>;
  complained_at: ColumnType<number | null, number | null | undefined, number | null>;
  last_event: ColumnType<string | null, string | null | undefined, string | null>;
  /** First time a request carrying this row left for the provider; null: it certainly never reached it. */
  attempted_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** The idempotency key the row was first sent under; its email as sent is in send_requests. */
  request_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** Why an admin skipped this failed lesson (status "skipped"), so the course could go on. */
  skip_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** When an admin last put this failed row back in the queue. */
  retried_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** When the job was last handed to Redis; null means Redis has not seen it yet. */
  enqueued_at: Timestamp | null;
  sent_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ConsentKind = "opt_in" | "confirm" | "unsubscribe" | "resubscribe" | "suppress" | "preferences";

export interface ConsentEventsTable {
  id: string;
  subscriber_id: string;
  kind: ConsentKind;
  at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
  /** The course the consent was given for (an opt-in on a course's form, a course left); null: all email. */
  course_slug: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CourseStateTable {
  course_slug: string;
  /** 1 while an admin has paused the whole course; stored as an integer for SQLite. */
  paused: number;
  /** Fingerprint of the calendar the enrollments were last timed against (see scheduleVersion). */
  schedule_version: string | null;
  updated_at: Timestamp;
}

export interface WebhookEventsTable {
  /** The provider's event id (svix-id): the unit of exactly-once recording. */
  id: string;
  type: string;
  provider_email_id: string | null;
  send_id: string | null;
  occurred_at: Timestamp | null;
  received_at: Timestamp;
  payload: string;
}

export type SuppressionReason = "deleted" | "bounced" | "complained";

export interface SuppressionsTable {
  /** SHA-256 of the normalised address; the address itself is not kept. */
  email_hash: string;
  reason: SuppressionReason;
  created_at: Timestamp;
}

export type BroadcastStatus = "draft" | "scheduled" | "sending" | "sent" | "cancelled";

export interface BroadcastsTable {
  id: string;
  subject: string;
  /** The newsletter body; null when it re-sends a lesson (lesson_slug). */
  markdown: string | null;
  /** Inbox preview text shown after the subject; null = the body's first words (or the lesson's preview). */
  preview: string | null;
  lesson_slug: string | null;
  /** "all" (every active reader) or "stage:<slug>" (readers whose next lesson is that one). */
  audience: string;
  /** The course the newsletter is for (its readers, its sender identity); null: every course's readers. */
  course_slug: ColumnType<string | null, string | null | undefined, string | null>;
  status: BroadcastStatus;
  scheduled_at: Timestamp | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  cursor: string | null;
  /** 1 once every recipient has a ledger row. */
  materialized: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AdminSessionsTable {
  /** SHA-256 (hex) of the random session secret the signed cookie carries. */
  id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/**
 * A row's email (JSON) exactly as it first left, kept until the provider has answered for it, so a
 * retry repeats it byte for byte under the same key. Its own table because SQLite rewrites a whole
 * row on every update: on `sends`, each status change would copy the ~15 KB email again.
 */
export interface SendRequestsTable {
  send_id: string;
  body: string;
}

/**
 * A batch's request as it first left, one row per batch instead of one per email: the hundred
 * emails of a batch differ only in names and links, so compressed together (brotli) they take a
 * few dozen KB instead of ~1.5 MB. Which rows it holds, in request order, is inside it; a row of
 * the batch with a request_key is one of them. Kept until the provider has answered for all.
 */
export interface BatchRequestsTable {
  batch_id: string;
  body: Uint8Array;
}

/**
 * A reader following a tracked link (course.yaml `tracking: { clicks: true }`): one row per reader,
 * email and link, the first time they followed it (src/store/clicks.ts).
 */
export interface ClicksTable {
  id: string;
  /** The ledger row whose email held the link (the first one followed, if the reader got it twice). */
  send_id: string;
  subscriber_id: string;
  /** The course the email spoke for; null for a newsletter of no course. */
  course_slug: string | null;
  /** What was sent: `lesson:<course>:<slug>` or `newsletter:<id>`; with the reader and link, unique. */
  item: string;
  /** The link's position in the email's body, and its hash (src/tokens.ts linkHash). */
  link_index: number;
  link_hash: string;
  /** The address the reader was sent on to: one the publisher wrote, never the reader's own data. */
  url: string;
  clicked_at: Timestamp;
}

/**
 * An automatic pause of course and newsletter mail by the complaint-rate guard: what it was decided
 * on, and who resumed it. Append-only history; the one in force has `in_force` = 1.
 */
export interface SendingPausesTable {
  id: string;
  /** 1 while the pause holds, null once resumed; unique, so only one pause is ever in force. */
  in_force: number | null;
  paused_at: Timestamp;
  complaints: number;
  delivered: number;
  window_start: Timestamp;
  window_end: Timestamp;
  /** The decision in words (rate, counts, window, threshold), as the console shows it. */
  reason: string;
  resumed_at: Timestamp | null;
  /** Which door the admin used: "console", "api" or "cli (<user>)". */
  resumed_by: string | null;
}

/** The latest complaint-rate check, one row (id "install"). */
export interface SendingGuardTable {
  id: string;
  /** "too-few" | "ok" | "warn" | "pause" (see src/domain/sending-guard.ts). */
  level: string;
  complaints: number;
  delivered: number;
  window_start: Timestamp;
  window_end: Timestamp;
  checked_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** SHA-256 (hex) of the whole key; the key itself is shown once and never stored. */
  key_hash: string;
  /** The key's first characters ("lp_AbCd"), so a list can tell keys apart without holding them. */
  key_hint: string;
  /** The scopes, space-separated ("read send"). */
  scopes: string;
  created_at: Timestamp;
  /** Updated at most once a minute per key, so a busy script costs no write per request. */
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  /** The whsec_ secret, sealed with SECRET_KEY (see src/send/webhook-delivery.ts). */
  secret_sealed: string;
  enabled: number;
  disabled_reason: string | null;
  failing_since: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OutgoingEventsTable {
  seq: Generated<number>;
  id: string;
  type: string;
  subscriber_id: string | null;
  /** JSON: the payload's `data`. */
  data: string;
  dedupe_key: string | null;
  created_at: Timestamp;
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_seq: number;
  subscriber_id: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  enqueued_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  delivered_at: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  at: Timestamp;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface DB {
  subscribers: SubscribersTable;
  enrollments: EnrollmentsTable;
  sends: SendsTable;
  consent_events: ConsentEventsTable;
  course_state: CourseStateTable;
  webhook_events: WebhookEventsTable;
  suppressions: SuppressionsTable;
  broadcasts: BroadcastsTable;
  admin_sessions: AdminSessionsTable;
  send_requests: SendRequestsTable;
  batch_requests: BatchRequestsTable;
  clicks: ClicksTable;
  sending_pauses: SendingPausesTable;
  sending_guard: SendingGuardTable;
  api_keys: ApiKeysTable;
  webhook_endpoints: WebhookEndpointsTable;
  outgoing_events: OutgoingEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type Database = Kysely<DB>;
