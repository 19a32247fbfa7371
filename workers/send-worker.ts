import { Queue, UnrecoverableError, Worker } from "bullmq";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { courseFor } from "../src/content/catalogue.ts";
import type { Catalogue } from "../src/content/catalogue.ts";
import type { Course } from "../src/content/schema.ts";
import { emitSent } from "../src/commands/emit-event.ts";
import { isGuardedKind } from "../src/domain/sending-guard.ts";
import { errorMessage } from "../src/errors.ts";
import type { Logger } from "../src/log.ts";
import { QUEUES } from "../src/queue/queues.ts";
import type { SendJobData, TestSend } from "../src/queue/queues.ts";
import { composeEmail, ComposeError } from "../src/render/compose.ts";
import type { ComposeContext, NewsletterContent } from "../src/render/compose.ts";
import { encodeBatchBody, MailerError } from "../src/send/mailer.ts";
import type { BatchBody, Mailer, OutgoingEmail } from "../src/send/mailer.ts";
import { newsletterText } from "../src/store/broadcast-delivery.ts";
import type { Database } from "../src/store/database.ts";
import { courseSlugsOfSends } from "../src/store/send-courses.ts";
import { latestCourseOfReaders, readScreeningState } from "../src/store/send-screening.ts";
import type { ScreeningState } from "../src/store/send-screening.ts";
import {
  batchIdempotencyKeyFor,
  batchRequest,
  broadcastCourseSlug,
  batchMembers,
  cancelUnattempted,
  claimBatch,
  claimSend,
  idempotencyKeyFor,
  markAcceptedEarlier,
  markCancelled,
  markFailed,
  markSent,
  noteAttemptError,
  parkSend,
  recordAttempt,
  recordBatchRequest,
  releaseRequest,
  storedRequests,
  settleBatch,
} from "../src/store/sends.ts";
import type { Send } from "../src/store/sends.ts";
import type { Subscriber } from "../src/store/subscribers.ts";
import { sentLessons } from "../src/store/web-version.ts";
import { sampleReader } from "../src/render/sample-reader.ts";

export interface SendWorkerDeps {
  db: Database;
  catalogue: Catalogue;
  mailer: Mailer;
  log: Logger;
  connection: Redis;
  prefix: string;
  appUrl: string;
  secretKey: string;
  from: string;
  concurrency: number;
  /** Job lock duration; also the stalled-job check interval. */
  lockMs?: number | undefined;
  /** Provider requests per second across all workers; undefined = no limit (the outbox). */
  rateLimit?: number | undefined;
}

export type SendOutcome = { sent: number; failed: number; skipped: number };

/**
 * What to do with a row instead of sending it, if anything. Checked at send time, not queue time,
 * so an unsubscribe stops even the jobs already waiting in Redis, and a pause parks them.
 */
type Verdict = { action: "send" } | { action: "cancel" | "park"; reason: string };

/** What the verdict needs about a set of rows, read in five queries however many rows there are. */
async function loadState(db: Database, rows: readonly Send[]): Promise<ScreeningState> {
  const ids = (pick: (row: Send) => string | null) => [...new Set(rows.map(pick).filter((id): id is string => id !== null))];
  return readScreeningState(db, { subscriberIds: ids((r) => r.subscriber_id), enrollmentIds: ids((r) => r.enrollment_id), broadcastIds: ids((r) => r.broadcast_id) });
}

function verdict(send: Send, state: ScreeningState): Verdict {
  const subscriber = state.subscribers.get(send.subscriber_id);
  if (!subscriber || subscriber.status === "deleted") return { action: "cancel", reason: "subscriber deleted" };
  // The reminder only makes sense while the signup is still unconfirmed: a reader who confirmed,
  // left or was erased since it was queued never gets it.
  if (send.kind === "confirm-reminder") {
    return subscriber.status === "pending" ? { action: "send" } : { action: "cancel", reason: `subscriber ${subscriber.status}` };
  }
  // Both answer the reader's own request (a signup, a fresh link), so they go to any reader we may mail.
  if (send.kind === "confirm" || send.kind === "preferences-link") {
    return subscriber.status === "bounced" || subscriber.status === "complained" ? { action: "cancel", reason: `address ${subscriber.status}` } : { action: "send" };
  }
  if (subscriber.status !== "active") return { action: "cancel", reason: `subscriber ${subscriber.status}` };
  if (send.enrollment_id) {
    const enrollment = state.enrollments.get(send.enrollment_id);
    if (!enrollment || enrollment.status === "cancelled") return { action: "cancel", reason: `enrollment ${enrollment?.status ?? "missing"}` };
    if (enrollment.status === "paused") return { action: "park", reason: "reader paused" };
    if (state.pausedCourses.has(enrollment.course_slug)) return { action: "park", reason: "course paused" };
  }
  if (send.kind === "newsletter" && send.broadcast_id) {
    const status = state.broadcasts.get(send.broadcast_id);
    if (!status || status === "cancelled") return { action: "cancel", reason: "newsletter cancelled" };
  }
  // After every reason to cancel: a reader who left is not kept waiting for a resume.
  if (state.sendingPaused && isGuardedKind(send.kind)) return { action: "park", reason: "sending paused: complaint rate" };
  return { action: "send" };
}

export interface SendWorker {
  worker: Worker<SendJobData, SendOutcome>;
  /** Stops taking jobs, waits for the ones in flight, then closes its connections. */
  close(): Promise<void>;
}

/** Never called at import time: the entry point decides when a process starts taking work. */
export function createSendWorker(deps: SendWorkerDeps): SendWorker {
  const rateQueue = new Queue(QUEUES.send, { connection: deps.connection, prefix: deps.prefix });
  rateQueue.on("error", (error) => deps.log.warn("send queue connection problem", { error: error.message }));
  /** Each email is rendered with its own course: sender, footer, List-Id, links. */
  const ctx = (course: Course): ComposeContext => ({
    course,
    catalogue: deps.catalogue,
    appUrl: deps.appUrl,
    secretKey: deps.secretKey,
    from: deps.from,
    now: Date.now(),
    // Graduation links each lesson's web version: the reader's own sent rows of this course.
    sentLessons: (subscriberId) => sentLessons(deps.db, subscriberId, course.slug),
  });

  /**
   * The course each row speaks for (its enrollment's, or its newsletter's), or a reason it has
   * none: its course is gone from content/, and an email is never sent under another course's
   * identity. A confirmation, its reminder or a preferences link belongs to no course: it speaks
   * for the reader's latest enrollment (the pending one a confirmation answers), else the only or
   * first course.
   */
  async function coursesOf(rows: readonly Send[]): Promise<Map<string, Course | string>> {
    const slugs = await courseSlugsOfSends(deps.db, rows.map((r) => r.id));
    const courseless = rows.filter((row) => !row.enrollment_id && !row.broadcast_id);
    const readers = courseless.length > 0 && deps.catalogue.courses.length > 1 ? await latestCourseOfReaders(deps.db, [...new Set(courseless.map((r) => r.subscriber_id))]) : new Map<string, string>();
    return new Map(
      rows.map((row) => {
        const slug = slugs.get(row.id) ?? null;
        if (slug === null) {
          const theirs = !row.enrollment_id && !row.broadcast_id ? readers.get(row.subscriber_id) : undefined;
          return [row.id, (theirs !== undefined ? deps.catalogue.get(theirs) : undefined) ?? courseFor(deps.catalogue, null)!];
        }
        return [row.id, courseFor(deps.catalogue, slug) ?? `its course "${slug}" is no longer in content/; not sent under another course's identity`];
      }),
    );
  }

  /**
   * Applies a cancel/park verdict; true when the row should still go out. A batch row is only ever
   * screened before its batch's first request, and leaves the batch if it is cancelled.
   */
  async function screen(send: Send, state: ScreeningState): Promise<boolean> {
    return (await screenAs(send, state)) === "send";
  }

  /** screen(), saying what it did with the row. */
  async function screenAs(send: Send, state: ScreeningState): Promise<Verdict["action"]> {
    const v = verdict(send, state);
    if (v.action === "send") return "send";
    if (v.action === "park") await parkSend(deps.db, send.id, v.reason, Date.now());
    else if (send.batch_id) await cancelUnattempted(deps.db, send.id, v.reason, Date.now());
    else await markCancelled(deps.db, send.id, v.reason, Date.now());
    deps.log.info(v.action === "park" ? "send parked" : "send cancelled", { send: send.id, reason: v.reason });
    return v.action;
  }

  // A newsletter's text is read once per process, not once per reader.
  const newsletters = new Map<string, Promise<NewsletterContent | undefined>>();
  const newsletterFor = (id: string) => {
    let content = newsletters.get(id);
    if (!content) {
      content = newsletterText(deps.db, id);
      newsletters.set(id, content);
      if (newsletters.size > 100) newsletters.delete(newsletters.keys().next().value!);
    }
    return content;
  };

  /**
   * Renders a row with its course, or cancels it when it can no longer be rendered (its lesson was
   * removed). A row whose course is gone fails for good: returns the reason.
   */
  async function compose(send: Send, subscriber: Subscriber | undefined, course: Course | string | undefined): Promise<OutgoingEmail | { failed: string } | undefined> {
    if (!subscriber) return undefined;
    if (course === undefined || typeof course === "string") {
      const reason = course ?? "its course is unknown";
      await markFailed(deps.db, send.id, reason, Date.now());
      deps.log.warn("send failed permanently", { send: send.id, reason });
      return { failed: reason };
    }
    try {
      const newsletter = send.broadcast_id ? await newsletterFor(send.broadcast_id) : undefined;
      return await composeEmail(send, subscriber, ctx(course), newsletter);
    } catch (error) {
      if (!(error instanceof ComposeError)) throw error;
      await markCancelled(deps.db, send.id, error.message, Date.now());
      deps.log.warn("send cancelled", { send: send.id, reason: error.message });
      return undefined;
    }
  }

  /**
   * Sorts a provider failure: 429 pauses the whole queue for retry-after without spending an
   * attempt; permanent errors fail the rows for good; anything else is retried with backoff.
   */
  async function onFailure(job: Job<SendJobData, SendOutcome>, rows: readonly Send[], error: unknown): Promise<never> {
    if (error instanceof MailerError && error.kind === "rate_limited") {
      await rateQueue.rateLimit(error.retryAfterMs ?? 1_000);
      deps.log.warn("provider rate limit; queue paused", { ms: error.retryAfterMs ?? 1_000 });
      throw Worker.RateLimitError();
    }
    const message = errorMessage(error);
    if (error instanceof MailerError && error.kind === "accepted_earlier") {
      // Not a failure: the provider already sent an email under this key.
      await markAcceptedEarlier(deps.db, rows.map((r) => r.id), `accepted by the provider under this key earlier (${message}); provider id unknown`, Date.now());
      await emitSent({ db: deps.db, log: deps.log, now: Date.now }, rows.map((r) => r.id));
      deps.log.warn("send resolved as accepted earlier", { job: job.id, emails: rows.length });
      throw new UnrecoverableError(message);
    }
    if (error instanceof MailerError && error.kind === "permanent") {
      for (const row of rows) await markFailed(deps.db, row.id, message, Date.now());
      // A definite refusal: nothing was accepted under the key, so a retry may build it afresh.
      await releaseRequest(deps.db, rows.map((r) => r.id), Date.now());
      deps.log.warn("send failed permanently", { job: job.id, emails: rows.length, reason: message });
      throw new UnrecoverableError(message);
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    for (const row of rows) {
      if (lastAttempt) await markFailed(deps.db, row.id, `gave up after ${job.attemptsMade + 1} attempts: ${message}`, Date.now());
      else await noteAttemptError(deps.db, row.id, message, Date.now());
    }
    deps.log.warn("send attempt failed", { job: job.id, attempt: job.attemptsMade + 1, reason: message, final: lastAttempt });
    throw error;
  }

  /** A stored request, as it first left. */
  const storedEmail = (body: string): OutgoingEmail => JSON.parse(body) as OutgoingEmail;

  async function sendOne(job: Job<SendJobData, SendOutcome>, sendId: string): Promise<SendOutcome> {
    const send = await claimSend(deps.db, sendId, Date.now());
    if (!send) return { sent: 0, failed: 0, skipped: 1 };
    const state = await loadState(deps.db, [send]);
    // A single send may always be dropped, even on a retry: no other email shares its request.
    const action = await screenAs(send, state);
    // A parked row's job ends as failed, not completed: BullMQ keeps a completed job's id for a day
    // (removeOnComplete), so when the pause ends the tick's offer of the row, under that same id,
    // would be a no-op and the email would wait a day; a failed job is removed at once (removeOnFail).
    if (action === "park") throw new UnrecoverableError("parked until the pause ends");
    if (action === "cancel") return { sent: 0, failed: 0, skipped: 1 };
    let email: OutgoingEmail | undefined;
    const frozen = (await storedRequests(deps.db, [send.id])).get(send.id);
    if (frozen !== undefined) email = storedEmail(frozen);
    else {
      const composed = await compose(send, state.subscribers.get(send.subscriber_id), (await coursesOf([send])).get(send.id));
      if (composed && "failed" in composed) throw new UnrecoverableError(composed.failed);
      email = composed;
      if (!email) return { sent: 0, failed: 0, skipped: 1 };
      const mine = await recordAttempt(deps.db, email.idempotencyKey, [{ id: send.id, body: JSON.stringify(email) }], Date.now());
      // Another worker on a stalled copy of this job may have stored its request first: send that one.
      if (!mine.has(send.id)) {
        const theirs = (await storedRequests(deps.db, [send.id])).get(send.id);
        if (theirs !== undefined) email = storedEmail(theirs);
      }
    }
    try {
      const { id } = await deps.mailer.send(email);
      await markSent(deps.db, send.id, id, Date.now());
      await emitSent({ db: deps.db, log: deps.log, now: Date.now }, [send.id]);
      deps.log.info("sent", { send: send.id, kind: send.kind, provider: deps.mailer.name, attempt: send.attempts });
      return { sent: 1, failed: 0, skipped: 0 };
    } catch (error) {
      return onFailure(job, [send], error);
    }
  }

  /**
   * A batch is screened before its first request only. From then on its membership and bytes are
   * frozen in the ledger: a retry must be byte-for-byte the request the provider may already have
   * accepted, under the same key, or the provider would refuse it (and rightly) as a different one.
   * Until then a row that is cancelled simply leaves the batch, which goes without it.
   */
  async function sendBatch(job: Job<SendJobData, SendOutcome>, batchId: string): Promise<SendOutcome> {
    let skipped = 0;
    const key = batchIdempotencyKeyFor(batchId);
    const before = await batchMembers(deps.db, batchId);
    // The request as stored: the batch's own (one compressed row), else the rows' own stored
    // emails of a batch stored before batches were stored whole.
    let request = await batchRequest(deps.db, batchId);
    let members: Send[] | undefined;
    if (!request && (await storedRequests(deps.db, before.map((row) => row.id))).size === 0) {
      const state = await loadState(deps.db, before);
      for (const row of before) {
        if ((row.status === "queued" || row.status === "sending") && !(await screen(row, state))) skipped += 1;
      }
      const rows = await claimBatch(deps.db, batchId, Date.now());
      const ids: string[] = [];
      const emails: OutgoingEmail[] = [];
      const courses = await coursesOf(rows.filter((row) => row.status === "sending"));
      for (const row of rows) {
        if (row.status !== "sending") continue;
        const email = await compose(row, state.subscribers.get(row.subscriber_id), courses.get(row.id));
        // A row whose course is gone is failed on its own; the rest of the batch still goes.
        if (!email || "failed" in email) skipped += 1;
        else {
          ids.push(row.id);
          emails.push(email);
        }
      }
      // Undefined when another worker stored the batch's request first: then that one goes out.
      request = await recordBatchRequest(deps.db, batchId, key, { ids, body: encodeBatchBody(emails) }, Date.now());
      if (request) members = rows;
      else request = await batchRequest(deps.db, batchId);
    } else {
      await claimBatch(deps.db, batchId, Date.now());
    }
    // What the ledger holds is what goes out, whichever worker stored it: every email of the
    // request in its place (the provider must see the same bytes under the key), while only the
    // rows still in this batch are settled from the answer.
    let ids: string[];
    let batch: BatchBody;
    if (request) {
      ids = request.ids;
      if ("body" in request) batch = { body: request.body, keys: ids.map(idempotencyKeyFor) };
      else {
        // A request stored before bodies were stored as sent: encoded now, as it was encoded then.
        const emails = request.emails as OutgoingEmail[];
        batch = { body: encodeBatchBody(emails), keys: emails.map((email) => email.idempotencyKey) };
      }
      members ??= await batchMembers(deps.db, batchId);
    } else {
      members = await batchMembers(deps.db, batchId);
      const bodies = await storedRequests(deps.db, members.map((row) => row.id));
      ids = members.filter((row) => bodies.has(row.id)).map((row) => row.id);
      const emails = ids.map((id) => storedEmail(bodies.get(id)!));
      batch = { body: encodeBatchBody(emails), keys: emails.map((email) => email.idempotencyKey) };
    }
    const inBatch = new Map(members.map((row) => [row.id, row]));
    const unsettled = ids.flatMap((id) => (inBatch.get(id)?.status === "sending" ? [inBatch.get(id)!] : []));
    if (unsettled.length === 0) return { sent: 0, failed: 0, skipped };
    let results;
    try {
      results = await deps.mailer.sendBatch(batch, key);
    } catch (error) {
      return onFailure(job, unsettled, error);
    }
    const outcomes = results.flatMap((result, index): { id: string; providerId?: string; error?: string }[] => {
      const id = ids[index]!;
      if (!inBatch.has(id)) return [];
      return ["id" in result ? { id, providerId: result.id } : { id, error: result.error }];
    });
    await settleBatch(deps.db, outcomes, Date.now(), batchId);
    await emitSent({ db: deps.db, log: deps.log, now: Date.now }, outcomes.flatMap((o) => (o.providerId ? [o.id] : [])));
    const sent = outcomes.filter((o) => o.providerId).length;
    const failed = outcomes.length - sent;
    deps.log.info("batch sent", { batch: batchId, sent, failed, skipped, provider: deps.mailer.name });
    return { sent, failed, skipped };
  }

  /** A preview to an admin's own address, rendered for a sample reader; not a reader's email. */
  async function sendTest(test: TestSend, jobId: string): Promise<SendOutcome> {
    const now = Date.now();
    // The course the admin previewed: named with the test, or the newsletter's own.
    const slug = test.courseSlug ?? (test.broadcastId ? await broadcastCourseSlug(deps.db, test.broadcastId) : null);
    const course = courseFor(deps.catalogue, slug);
    if (!course) throw new UnrecoverableError(`course "${slug}" is no longer in content/`);
    const sample = sampleReader(now, { email: test.to, name: "Test", timezone: course.schedule.timezone, consent_form: "test", consent_text_version: "test" });
    const newsletter = test.broadcastId ? await newsletterFor(test.broadcastId) : undefined;
    const kind = test.broadcastId ? "newsletter" : test.lessonSlug === "graduation" ? "graduation" : "lesson";
    const email = await composeEmail({ id: `test-${jobId}`, kind, lesson_slug: test.lessonSlug ?? null, created_at: now }, sample, ctx(course), newsletter);
    await deps.mailer.send({ ...email, subject: `[Test] ${email.subject}`, idempotencyKey: `lessonpost-test-${jobId}` });
    deps.log.info("test email sent", { kind });
    return { sent: 1, failed: 0, skipped: 0 };
  }

  const worker = new Worker<SendJobData, SendOutcome>(
    QUEUES.send,
    async (job) => (job.data.test ? sendTest(job.data.test, job.id ?? crypto.randomUUID()) : job.data.batchId ? sendBatch(job, job.data.batchId) : sendOne(job, job.data.sendId!)),
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      ...(deps.lockMs ? { lockDuration: deps.lockMs, stalledInterval: deps.lockMs } : {}),
      // A stalled job means its worker died mid-send. Retrying is safe (ledger claim + idempotency
      // key), and a job failed for stalling would leave its row unsettled, so allow many.
      maxStalledCount: 20,
      ...(deps.rateLimit ? { limiter: limiterFor(deps.rateLimit) } : {}),
      autorun: false,
    },
  );
  worker.on("error", (error) => deps.log.error("send worker error", { error: error.message }));
  return {
    worker,
    async close() {
      await worker.close();
      await rateQueue.close();
    },
  };
}

/**
 * BullMQ counts whole jobs per window. At a provider's typical low limits (a few requests a
 * second) the jobs are spaced evenly, one per 1000/N ms: N-per-second windows would let a burst at
 * the end of one window and the start of the next land in the same second at the provider, and
 * earn a 429. High limits use one-second windows.
 */
export function limiterFor(perSecond: number): { max: number; duration: number } {
  // 5% under the limit: the job starts are spaced, but rendering before the request is not.
  return perSecond <= 20 ? { max: 1, duration: Math.ceil(1050 / perSecond) } : { max: Math.floor(perSecond), duration: 1000 };
}
