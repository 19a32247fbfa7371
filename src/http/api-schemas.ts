import { z } from "zod";
import { API_SCOPES } from "../commands/api-keys.ts";
import { EVENT_TYPES } from "../commands/emit-event.ts";
import { READER_ACTIONS } from "../commands/reader-actions.ts";
import type { ReaderAction } from "../commands/reader-actions.ts";
import { emailSchema } from "../email-address.ts";
import { invalid, malformed } from "../errors.ts";

/**
 * The /admin/api contract in one place: the zod schema each route validates its query and body
 * with, the shapes it answers with, and a registry that names them per route. The routes import
 * their schema objects from here, and src/http/openapi.ts builds the OpenAPI document from the same
 * objects, so what is documented is what is checked. test/routes/openapi.test.ts fails when a
 * mounted /admin/api route has no entry here, or an entry names no route.
 */

// ── Request fields shared by several routes ────────────────────────────────────────────────────

const courseField = z
  .string()
  .max(200)
  .optional()
  .describe("The course's slug. May be left out when the install has one course; with several, leaving it out is a 422 course_required.");

const courseFilterField = z.string().max(200).optional().describe("Only this course (a slug); every course when left out.");

const lessonField = z
  .union([z.string().max(200), z.number().int()])
  .optional()
  .describe('A lesson of the course, by slug or by its number in the course ("3").');

// ── Request schemas (each validated by its route) ──────────────────────────────────────────────

/** ?course= on routes that act on one course. */
export const courseQuery = z.object({ course: courseField });

/** ?course= on routes that may look at every course. */
export const courseFilterQuery = z.object({ course: courseFilterField });

/** A body (or query) that only names the course: POST /course/pause and /course/resume. */
export const courseBody = z.object({ course: courseField });

/** GET /subscribers. The command checks the values (status names, cursors, limit) and says which is wrong. */
export const readerListQuery = z.object({
  course: courseField,
  q: z.string().optional().describe("Search in addresses and names (at most 200 characters)."),
  status: z.string().optional().describe("Only readers in this state, as the dashboard counts them: pending, active, paused, finished, left, unsubscribed, bounced or complained (\"completed\" is accepted as finished)."),
  cursor: z.string().optional().describe("The previous answer's `next`, for the page after it."),
  before: z.string().optional().describe("The previous answer's `prev`, for the page before it."),
  limit: z.string().optional().describe("Readers per page, a whole number from 1 to 200 (default 50)."),
  page: z.string().optional().describe("Refused (400 use_cursor): pages are addressed by cursor."),
});

const LIMIT_MESSAGE = "limit must be a whole number from 1 to 500.";
/** GET /sends/failed. */
export const failedSendsQuery = z.object({
  course: courseFilterField,
  limit: z.coerce
    .number({ error: LIMIT_MESSAGE })
    .int(LIMIT_MESSAGE)
    .min(1, LIMIT_MESSAGE)
    .max(500, LIMIT_MESSAGE)
    .default(50)
    .describe("How many failed sends to list, 1 to 500 (default 50)."),
});

/** GET /sends/retry-progress. The command checks the value (400 bad_since). */
export const retryProgressQuery = z.object({
  since: z.string().optional().describe("The `since` a POST /sends/retry-failed answered: epoch milliseconds."),
});

/** POST /newsletters and /broadcasts: JSON, a form, or the query. */
export const newsletterBody = z.object({
  course: courseField,
  subject: z.string().max(1000).optional().describe("The subject line (required unless `lesson` is given)."),
  markdown: z.string().max(500_000).optional().describe("The newsletter's body in Markdown; or give `lesson`."),
  lesson: z.string().max(200).optional().describe("Send a lesson of the course as the newsletter (its slug), instead of `markdown`."),
  preview: z.string().max(1000).optional().describe("Preview text shown after the subject in inboxes."),
  audience: z.string().max(300).optional().describe('"all" (default: every confirmed reader), "course" (readers of this course), or "stage:<lesson-slug>".'),
  scheduledAt: z.string().max(100).optional().describe("An ISO time still ahead, such as 2030-06-01T09:00:00Z; default now."),
  draft: z.union([z.boolean(), z.enum(["true", "false"])]).optional().describe("true to only save it."),
});

/** POST /enrollments: what an integration sends. */
export const enrollmentBody = z.object({
  email: emailSchema.describe("The reader's address."),
  name: z
    .string()
    .max(100, "keep the name under 100 characters")
    // eslint-disable-next-line no-control-regex
    .transform((v) => v.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim() || null)
    .nullish()
    .describe("The reader's name."),
  timezone: z.string().max(64).optional().describe("An IANA time zone such as Europe/Berlin; default the course's."),
  course: courseField,
  consentSource: z.string({ error: "consentSource is required: where the reader gave their consent" }).max(1000).describe("Where the reader gave their consent; kept on their record."),
  doubleOptIn: z.union([z.boolean(), z.enum(["true", "false"])]).optional().describe("true to send a confirmation email first instead of enrolling at once."),
});

/** POST /import: the CSV is the body; the rest is in the query. */
export const importQuery = z.object({
  course: courseField,
  source: z.string().max(1000).optional().describe("Where these readers gave their consent."),
  enroll: z.enum(["true", "false"]).optional().describe('"false" to import without starting the course.'),
});
export const csvBody = z.string().describe("CSV with an `email` column, and optionally `name` and `timezone`.");

/** POST /subscribers/:id/<action>: the fields each action reads. */
export const readerActionBodies: Record<ReaderAction, z.ZodObject> = {
  "send-lesson": z.object({ course: courseField, lesson: lessonField }),
  move: z.object({ course: courseField, lesson: lessonField }),
  pause: z.object({ course: courseField }),
  resume: z.object({ course: courseField }),
  "retry-lesson": z.object({ course: courseField }),
  "skip-lesson": z.object({ course: courseField, reason: z.string().max(1000).optional().describe("Why the lesson is skipped (required); kept on the reader's record.") }),
  unsubscribe: z.object({}),
};

/** POST /keys. */
export const apiKeyBody = z.object({
  name: z.string({ error: "name is required: say who uses the key." }).max(1000).describe("Who or what uses the key."),
  scopes: z
    .array(z.string().max(100), { error: `scopes is required: a list of ${API_SCOPES.join(", ")}.` })
    .max(20)
    .describe(`Any of ${API_SCOPES.join(", ")}.`),
});

/** POST and PATCH /webhooks. Event names and targets are checked by the command (it names what is wrong). */
const webhookUrl = z.string({ error: "url must be a string" }).min(1, "url is required").describe("Where events are POSTed: an https URL on a public address.");
const webhookEvents = z
  .array(z.string({ error: "each event must be a string" }).max(100), { error: "events must be an array of event names" })
  .max(50)
  .describe(`The events to send: any of ${EVENT_TYPES.join(", ")}.`);
export const webhookCreateBody = z.object({ url: webhookUrl, events: webhookEvents });
export const webhookChangeBody = z.object({
  url: webhookUrl.optional(),
  events: webhookEvents.optional(),
  enabled: z.boolean({ error: "enabled must be true or false" }).optional().describe("false to stop deliveries; true to enable an endpoint again (also one disabled after failing)."),
});

/** GET /webhooks/deliveries and /webhooks/:id/deliveries. */
export const deliveryLogQuery = z.object({
  limit: z.coerce
    .number({ error: LIMIT_MESSAGE })
    .int(LIMIT_MESSAGE)
    .min(1, LIMIT_MESSAGE)
    .max(500, LIMIT_MESSAGE)
    .default(50)
    .describe("How many deliveries to list, newest first, 1 to 500 (default 50)."),
});

/**
 * Validates `value` with `schema`; a refusal names the first field that is wrong. `code` is the
 * error code the route has always answered with (bad_enrollment, bad_limit, …).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, code: string, kind: "invalid" | "malformed" = "invalid", title?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".");
  // A message that already names its field ("limit must be …") is not prefixed again.
  const message = !field || issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
  throw (kind === "malformed" ? malformed : invalid)(code, message, title);
}

// ── Answers ────────────────────────────────────────────────────────────────────────────────────

const isoTime = z.string().describe("An ISO 8601 time.");
const isoOrNull = isoTime.nullable();

export const errorAnswer = z.object({ error: z.object({ code: z.string().describe("A stable, machine-readable code such as course_required."), message: z.string() }) });

const apiKeyAnswer = z.object({
  id: z.string(),
  name: z.string(),
  hint: z.string().describe("The key's first characters, to tell keys apart."),
  scopes: z.array(z.enum(API_SCOPES)),
  createdAt: isoTime,
  lastUsedAt: isoOrNull,
  revoked: z.boolean(),
  revokedAt: isoOrNull,
});

const readerRow = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  status: z.string(),
  createdAt: isoOrNull,
  enrollment: z.object({ status: z.string(), nextSlug: z.string().nullable(), nextDueAt: isoOrNull }).nullable(),
});

const importLine = z.object({ line: z.number().int(), email: z.string(), reason: z.string() });

const sendingPause = z.object({
  id: z.string(),
  pausedAt: isoOrNull,
  reason: z.string(),
  complaints: z.number(),
  delivered: z.number(),
  rate: z.number(),
  window: z.object({ start: isoOrNull, end: isoOrNull }),
  resumedAt: isoOrNull,
  resumedBy: z.string().nullable(),
});

const webhookEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: isoOrNull,
  createdAt: isoOrNull,
  updatedAt: isoOrNull,
});

const webhookDelivery = z.object({
  id: z.string(),
  endpointId: z.string(),
  eventId: z.string(),
  type: z.string(),
  subscriberId: z.string().nullable(),
  status: z.string().describe("pending, delivered or failed."),
  attempts: z.number().int(),
  responseCode: z.number().int().nullable(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  nextAttemptAt: isoOrNull,
  deliveredAt: isoOrNull,
  createdAt: isoOrNull,
  tries: z.array(z.object({ at: isoOrNull, responseCode: z.number().int().nullable(), durationMs: z.number(), error: z.string().nullable() })).optional(),
});

/** The answers of the routes whose shape a client can count on; each is checked against a real answer in test/routes/openapi.test.ts. */
export const answers = {
  apiKeyList: z.object({ items: z.array(apiKeyAnswer) }),
  apiKey: apiKeyAnswer,
  apiKeyCreated: apiKeyAnswer.extend({ key: z.string().describe("The key itself: shown in this answer only.") }),
  sessionsEnded: z.object({ ended: z.number().int() }),
  readerList: z.object({ course: z.string(), items: z.array(readerRow), next: z.string().nullable(), prev: z.string().nullable() }),
  erased: z.object({ erased: z.literal(true) }),
  failedSends: z.object({
    total: z.number().int(),
    items: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        lesson: z.string().nullable(),
        subscriberId: z.string(),
        email: z.string().nullable(),
        error: z.string().nullable(),
        attempts: z.number().int(),
        failedAt: isoOrNull,
      }),
    ),
  }),
  retryStarted: z.object({ retried: z.number().int(), since: z.number().int(), progress: z.string().describe("Where to poll the retry's progress.") }),
  retryProgress: z.object({ total: z.number().int(), sent: z.number().int(), failed: z.number().int(), waiting: z.number().int(), cancelled: z.number().int() }),
  sendQueued: z.object({ id: z.string(), status: z.literal("queued") }),
  enrollmentPaused: z.object({ status: z.literal("paused") }),
  enrollmentResumed: z.object({ status: z.literal("active") }),
  coursePaused: z.object({ course: z.string(), paused: z.boolean() }),
  newsletterCreated: z.object({
    id: z.string(),
    state: z.string(),
    course: z.string(),
    audience: z.string(),
    progress: z.string().describe("GET this path for the newsletter's progress."),
  }),
  broadcast: z.object({
    id: z.string(),
    course: z.string(),
    subject: z.string(),
    audience: z.string(),
    status: z.string(),
    statusLabel: z.string(),
    scheduledAt: isoOrNull,
    startedAt: isoOrNull,
    finishedAt: isoOrNull,
    createdAt: isoOrNull,
    progress: z.object({ expected: z.number(), settled: z.number(), percent: z.number(), done: z.boolean(), materialized: z.boolean() }),
    results: z.object({ total: z.number(), queued: z.number(), sent: z.number(), failed: z.number(), cancelled: z.number(), bounced: z.number(), delivered: z.number() }),
  }),
  enrolled: z
    .object({
      course: z.string(),
      email: z.string(),
      outcome: z.enum(["enrolled", "joined", "pending", "unchanged"]).describe("enrolled (a new reader) or joined (a known one): 201; pending (a confirmation email was sent first): 202; unchanged: 200."),
      subscriberId: z.string().nullable(),
      enrollment: z.object({ id: z.string(), status: z.string() }).nullable(),
    }),
  importReport: z.object({
    course: z.string(),
    rows: z.number().int(),
    imported: z.number().int(),
    joined: z.array(importLine),
    invalid: z.array(importLine),
    duplicates: z.array(importLine),
    suppressed: z.array(importLine),
    existing: z.array(importLine),
    warnings: z.array(importLine).describe("Rows imported with a change, each naming it (an unknown time zone and the course's zone used instead)."),
  }),
  readerAction: z.object({ ok: z.literal(true), action: z.string(), lesson: z.string().optional(), sendId: z.string().optional() }),
  sendingStatus: z.object({
    paused: z.boolean(),
    pause: sendingPause.nullable(),
    check: z
      .object({ level: z.string(), complaints: z.number(), delivered: z.number(), rate: z.number(), window: z.object({ start: isoOrNull, end: isoOrNull }), checkedAt: isoOrNull })
      .nullable(),
    rules: z.object({ windowDays: z.number(), minimumDelivered: z.number(), warnRate: z.number(), pauseRate: z.number() }),
  }),
  sendingResumed: z.object({ resumed: z.literal(true), pause: sendingPause }),
  webhook: webhookEndpoint,
  webhookCreated: webhookEndpoint.extend({ secret: z.string().describe("The signing secret (whsec_…): shown in this answer only.") }),
  webhookList: z.object({ items: z.array(webhookEndpoint) }),
  webhookDeleted: z.object({ deleted: z.literal(true) }),
  webhookTest: z.object({ deliveryId: z.string() }),
  deliveryLog: z.object({ items: z.array(webhookDelivery) }),
  deliveryReplayed: z.object({ replayed: z.literal(true), id: z.string() }),
  /** Rich answers whose full shape the README describes; documented as objects with their main fields. */
  stats: z
    .object({
      course: z.string(),
      counts: z
        .object({
          total: z.number().describe("Every reader of the course: the buckets below add up to it."),
          pending: z.number().describe("Signed up, has not confirmed yet."),
          active: z.number().describe("Confirmed, lessons still coming."),
          paused: z.number().describe("Confirmed, lessons on hold for now."),
          finished: z.number().describe("Got the whole course (graduated)."),
          left: z.number().describe("Left this course, still gets other email."),
          unsubscribed: z.number().describe("Stopped all email."),
          bounced: z.number().describe("The address does not receive mail."),
          complained: z.number().describe("Marked an email as spam."),
          signups: z.number().describe("Same as total (the earlier name)."),
          completed: z.number().describe("Same as finished (the earlier name)."),
        })
        .describe("Each reader counted once (README, Reader counts): the same numbers as the dashboard, course page and `admin stats`."),
      days: z.array(z.unknown()),
      zone: z.string(),
      queue: z.record(z.string(), z.unknown()).nullable().describe("BullMQ's raw job states (every course's); null without a queue."),
      queueHealth: z.object({ waiting: z.number(), sending: z.number(), retrying: z.number(), failed: z.number() }).nullable(),
      failedSends: z.number(),
    })
    .loose(),
  reader: z.object({ subscriber: z.object({ id: z.string(), email: z.string() }).loose(), course: z.string(), enrollment: z.unknown(), enrollments: z.array(z.unknown()), next: z.unknown(), timeline: z.array(z.unknown()) }).loose(),
  readerExport: z.record(z.string(), z.unknown()).describe("Everything kept about the reader, as their data export."),
  analytics: z.object({ course: z.string() }).loose().describe("Per-lesson figures and the cohort funnel (README, Analytics)."),
  openapi: z.object({ openapi: z.string(), info: z.unknown(), paths: z.record(z.string(), z.unknown()) }).loose(),
};

// ── The registry ───────────────────────────────────────────────────────────────────────────────

export interface ApiOperation {
  summary: string;
  description?: string;
  tag: string;
  /** Path parameters by name, with what they are. */
  params?: Record<string, string>;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; contentTypes: readonly string[]; required?: boolean };
  ok: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** The 4xx answers the route itself gives (401 and 403 come from the gate, for every route). */
  errors: readonly number[];
}

const JSON_OR_FORM = ["application/json", "application/x-www-form-urlencoded"] as const;
const JSON_ONLY = ["application/json"] as const;

const READER_ACTION_SUMMARY: Record<ReaderAction, string> = {
  "send-lesson": "Send a lesson to the reader now",
  move: "Move the reader to a lesson (it is their next email)",
  pause: "Pause the reader's course",
  resume: "Resume the reader's course",
  "retry-lesson": "Retry the reader's failed lesson that holds their course",
  "skip-lesson": "Skip the reader's failed lesson, for a stated reason",
  unsubscribe: "Unsubscribe the reader from all email",
};

const readerActions = Object.fromEntries(
  READER_ACTIONS.map((action): [string, ApiOperation] => [
    `POST /admin/api/subscribers/:id/${action}`,
    {
      summary: READER_ACTION_SUMMARY[action],
      description: action === "unsubscribe" ? undefined : "The course is the reader's only one, or named with `course`.",
      tag: "Readers",
      params: { id: "The reader's id." },
      body: { schema: readerActionBodies[action], contentTypes: JSON_OR_FORM },
      ok: { status: 200, description: "Done.", schema: answers.readerAction },
      errors: [400, 404, 409, 422],
    },
  ]),
);

/** Every /admin/api route, keyed `METHOD path` exactly as registered (as in src/http/api-scopes.ts). */
/** POST /newsletters and its alias POST /broadcasts: one operation under two paths. */
const NEW_NEWSLETTER: ApiOperation = {
  summary: "Start (or schedule, or save) a newsletter in a course's name",
  description: "Fields come from a JSON or form body; query parameters fill in what the body leaves out.",
  tag: "Newsletters",
  body: { schema: newsletterBody, contentTypes: JSON_OR_FORM, required: true },
  ok: { status: 201, description: "Created.", schema: answers.newsletterCreated },
  errors: [400, 422],
};

export const API_OPERATIONS: Readonly<Record<string, ApiOperation>> = {
  "GET /admin/api/stats": {
    summary: "A course's dashboard figures",
    tag: "Course",
    query: courseQuery,
    ok: { status: 200, description: "Counts, the last days, and the queue (every course's).", schema: answers.stats },
    errors: [422],
  },
  "GET /admin/api/subscribers": {
    summary: "List a course's readers, a page at a time",
    tag: "Readers",
    query: readerListQuery,
    ok: { status: 200, description: "A page of readers and the cursors around it.", schema: answers.readerList },
    errors: [400, 422],
  },
  "GET /admin/api/subscribers/:id": {
    summary: "One reader: record, enrollments, next email and timeline",
    tag: "Readers",
    params: { id: "The reader's id." },
    query: courseFilterQuery,
    ok: { status: 200, description: "The reader.", schema: answers.reader },
    errors: [404, 422],
  },
  "GET /admin/api/subscribers/:id/export": {
    summary: "A reader's data export",
    tag: "Readers",
    params: { id: "The reader's id." },
    ok: { status: 200, description: "Everything kept about the reader.", schema: answers.readerExport },
    errors: [404],
  },
  "DELETE /admin/api/subscribers/:id": {
    summary: "Erase a reader and everything kept about them",
    tag: "Readers",
    params: { id: "The reader's id." },
    ok: { status: 200, description: "Erased.", schema: answers.erased },
    errors: [404],
  },
  ...readerActions,
  "POST /admin/api/enrollments": {
    summary: "Enroll an address in a course (server-side integrations)",
    description: "With where the reader gave their consent; enrolled now, or with `doubleOptIn` sent a confirmation email first.",
    tag: "Readers",
    body: { schema: enrollmentBody, contentTypes: JSON_OR_FORM, required: true },
    ok: { status: 201, description: "Enrolled (202 when a confirmation email was sent first, 200 when already in the course).", schema: answers.enrolled },
    errors: [400, 409, 422],
  },
  "POST /admin/api/enrollments/:id/pause": {
    summary: "Pause one enrollment",
    tag: "Readers",
    params: { id: "The enrollment's id." },
    ok: { status: 200, description: "Paused; queued emails are parked until the resume.", schema: answers.enrollmentPaused },
    errors: [404, 409],
  },
  "POST /admin/api/enrollments/:id/resume": {
    summary: "Resume one enrollment",
    tag: "Readers",
    params: { id: "The enrollment's id." },
    ok: { status: 200, description: "Active again.", schema: answers.enrollmentResumed },
    errors: [404, 409],
  },
  "POST /admin/api/import": {
    summary: "Import readers from a CSV body",
    tag: "Readers",
    query: importQuery,
    body: { schema: csvBody, contentTypes: ["text/csv"], required: true },
    ok: { status: 200, description: "The per-line report.", schema: answers.importReport },
    errors: [400, 413, 422],
  },
  "GET /admin/api/courses/:slug/analytics": {
    summary: "A course's per-lesson figures and cohort funnel",
    tag: "Course",
    params: { slug: "The course's slug." },
    ok: { status: 200, description: "The figures.", schema: answers.analytics },
    errors: [404],
  },
  "GET /admin/api/sending": {
    summary: "The complaint-rate guard: paused or not, and its latest check",
    tag: "Sending",
    ok: { status: 200, description: "The guard's state.", schema: answers.sendingStatus },
    errors: [],
  },
  "POST /admin/api/sending/resume": {
    summary: "Resume course and newsletter mail after the guard paused it",
    tag: "Sending",
    ok: { status: 200, description: "Resumed.", schema: answers.sendingResumed },
    errors: [409],
  },
  "GET /admin/api/sends/failed": {
    summary: "List failed sends",
    tag: "Sending",
    query: failedSendsQuery,
    ok: { status: 200, description: "The failed sends, newest first, and how many there are.", schema: answers.failedSends },
    errors: [400, 422],
  },
  "GET /admin/api/sends/retry-progress": {
    summary: "Progress of a retry of every failed send",
    tag: "Sending",
    query: retryProgressQuery,
    ok: { status: 200, description: "How many of the retried sends were sent, failed, are waiting or were cancelled.", schema: answers.retryProgress },
    errors: [400],
  },
  "POST /admin/api/sends/retry-failed": {
    summary: "Retry every failed send",
    tag: "Sending",
    query: courseFilterQuery,
    ok: { status: 200, description: "Retrying; poll `progress`.", schema: answers.retryStarted },
    errors: [422],
  },
  "POST /admin/api/sends/:id/retry": {
    summary: "Retry one failed send",
    tag: "Sending",
    params: { id: "The send's id." },
    ok: { status: 200, description: "Queued again.", schema: answers.sendQueued },
    errors: [404, 409],
  },
  "POST /admin/api/newsletters": NEW_NEWSLETTER,
  "POST /admin/api/broadcasts": { ...NEW_NEWSLETTER, summary: "Start (or schedule, or save) a newsletter: /newsletters under the console's name" },
  "GET /admin/api/broadcasts/:id": {
    summary: "A newsletter's progress and results",
    tag: "Newsletters",
    params: { id: "The newsletter's id." },
    ok: { status: 200, description: "The newsletter.", schema: answers.broadcast },
    errors: [404],
  },
  "POST /admin/api/course/pause": {
    summary: "Pause a whole course",
    description: "`course` in the query or the body.",
    tag: "Course",
    query: courseQuery,
    body: { schema: courseBody, contentTypes: JSON_OR_FORM },
    ok: { status: 200, description: "Paused; queued emails are parked until the resume.", schema: answers.coursePaused },
    errors: [400, 422],
  },
  "POST /admin/api/course/resume": {
    summary: "Resume a whole course",
    description: "`course` in the query or the body.",
    tag: "Course",
    query: courseQuery,
    body: { schema: courseBody, contentTypes: JSON_OR_FORM },
    ok: { status: 200, description: "Resumed.", schema: answers.coursePaused },
    errors: [400, 422],
  },
  "DELETE /admin/api/sessions": {
    summary: "Log out everywhere: end every console session",
    tag: "Access",
    ok: { status: 200, description: "How many sessions ended.", schema: answers.sessionsEnded },
    errors: [],
  },
  "GET /admin/api/keys": {
    summary: "List API keys (never the keys themselves)",
    tag: "Access",
    ok: { status: 200, description: "The keys, with their scopes and last use.", schema: answers.apiKeyList },
    errors: [],
  },
  "POST /admin/api/keys": {
    summary: "Create an API key with scopes",
    tag: "Access",
    body: { schema: apiKeyBody, contentTypes: JSON_ONLY, required: true },
    ok: { status: 201, description: "The key, in this answer only.", schema: answers.apiKeyCreated },
    errors: [400, 422],
  },
  "DELETE /admin/api/keys/:id": {
    summary: "Revoke an API key",
    tag: "Access",
    params: { id: "The key's id." },
    ok: { status: 200, description: "The revoked key.", schema: answers.apiKey },
    errors: [404],
  },
  "POST /admin/api/webhooks": {
    summary: "Register a webhook endpoint",
    description: "Targets on loopback, private or link-local addresses are refused unless WEBHOOKS_ALLOW_PRIVATE_TARGETS=true.",
    tag: "Webhooks",
    body: { schema: webhookCreateBody, contentTypes: JSON_ONLY, required: true },
    ok: { status: 201, description: "Registered; the signing secret is in this answer only.", schema: answers.webhookCreated },
    errors: [400, 422],
  },
  "GET /admin/api/webhooks": {
    summary: "List webhook endpoints (never their secrets)",
    tag: "Webhooks",
    ok: { status: 200, description: "The endpoints, enabled or disabled (with the reason).", schema: answers.webhookList },
    errors: [],
  },
  "GET /admin/api/webhooks/deliveries": {
    summary: "The delivery log of every endpoint",
    tag: "Webhooks",
    query: deliveryLogQuery,
    ok: { status: 200, description: "Deliveries, newest first, with each attempt's response code and duration.", schema: answers.deliveryLog },
    errors: [422],
  },
  "POST /admin/api/webhooks/deliveries/:id/replay": {
    summary: "Replay a delivery (same webhook-id)",
    tag: "Webhooks",
    params: { id: "The delivery's id." },
    ok: { status: 202, description: "Queued again.", schema: answers.deliveryReplayed },
    errors: [404, 409],
  },
  "GET /admin/api/webhooks/:id": {
    summary: "One webhook endpoint",
    tag: "Webhooks",
    params: { id: "The endpoint's id." },
    ok: { status: 200, description: "The endpoint.", schema: answers.webhook },
    errors: [404],
  },
  "PATCH /admin/api/webhooks/:id": {
    summary: "Change a webhook endpoint's URL or events, or enable or disable it",
    tag: "Webhooks",
    params: { id: "The endpoint's id." },
    body: { schema: webhookChangeBody, contentTypes: JSON_ONLY, required: true },
    ok: { status: 200, description: "The endpoint as changed.", schema: answers.webhook },
    errors: [400, 404, 422],
  },
  "DELETE /admin/api/webhooks/:id": {
    summary: "Delete a webhook endpoint",
    tag: "Webhooks",
    params: { id: "The endpoint's id." },
    ok: { status: 200, description: "Deleted.", schema: answers.webhookDeleted },
    errors: [404],
  },
  "POST /admin/api/webhooks/:id/test": {
    summary: "Send a test event (webhook.test) to one endpoint",
    tag: "Webhooks",
    params: { id: "The endpoint's id." },
    ok: { status: 202, description: "Recorded for delivery; follow it in the delivery log.", schema: answers.webhookTest },
    errors: [404],
  },
  "GET /admin/api/webhooks/:id/deliveries": {
    summary: "One endpoint's delivery log",
    tag: "Webhooks",
    params: { id: "The endpoint's id." },
    query: deliveryLogQuery,
    ok: { status: 200, description: "Its deliveries, newest first, with each attempt.", schema: answers.deliveryLog },
    errors: [404, 422],
  },
  "GET /admin/api/openapi.json": {
    summary: "This API's OpenAPI 3.1 document",
    tag: "Reference",
    ok: { status: 200, description: "The document.", schema: answers.openapi },
    errors: [],
  },
  "GET /admin/api/docs": {
    summary: "This API's reference page (HTML)",
    tag: "Reference",
    ok: { status: 200, description: "The page.", contentType: "text/html" },
    errors: [],
  },
};
