import { Queue, UnrecoverableError, Worker } from "bullmq";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Course } from "../src/content/schema.ts";
import type { Logger } from "../src/log.ts";
import { QUEUES } from "../src/queue/queues.ts";
import type { SendJobData } from "../src/queue/queues.ts";
import { composeEmail, ComposeError } from "../src/render/compose.ts";
import { MailerError } from "../src/send/mailer.ts";
import type { Mailer } from "../src/send/mailer.ts";
import type { Database } from "../src/store/database.ts";
import { claimSend, markCancelled, markFailed, markSent, noteAttemptError } from "../src/store/sends.ts";
import type { Send } from "../src/store/sends.ts";
import { findSubscriber } from "../src/store/subscribers.ts";
import type { Subscriber } from "../src/store/subscribers.ts";

export interface SendWorkerDeps {
  db: Database;
  course: Course;
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

export type SendOutcome = { sent: string } | { skipped: string };

/**
 * Why a claimed row must not go out after all. Checked at send time, not queue time, so an
 * unsubscribe or a pause stops even the jobs that were already waiting in Redis.
 */
export async function refusal(db: Database, send: Send, subscriber: Subscriber | undefined): Promise<string | null> {
  if (!subscriber || subscriber.status === "deleted") return "subscriber deleted";
  if (send.kind === "confirm") {
    return subscriber.status === "bounced" || subscriber.status === "complained" ? `address ${subscriber.status}` : null;
  }
  if (subscriber.status !== "active") return `subscriber ${subscriber.status}`;
  if (send.enrollment_id) {
    const enrollment = await db.selectFrom("enrollments").select("status").where("id", "=", send.enrollment_id).executeTakeFirst();
    // A graduation email is queued as the enrollment completes, so "completed" is fine here.
    if (!enrollment || enrollment.status === "cancelled" || enrollment.status === "paused") return `enrollment ${enrollment?.status ?? "missing"}`;
  }
  return null;
}

/** Never called at import time: the entry point decides when a process starts taking work. */
export interface SendWorker {
  worker: Worker<SendJobData, SendOutcome>;
  /** Stops taking jobs, waits for the ones in flight, then closes its connections. */
  close(): Promise<void>;
}

export function createSendWorker(deps: SendWorkerDeps): SendWorker {
  const rateQueue = new Queue(QUEUES.send, { connection: deps.connection, prefix: deps.prefix });
  rateQueue.on("error", (error) => deps.log.warn("send queue connection problem", { error: error.message }));

  const process = async (job: Job<SendJobData, SendOutcome>): Promise<SendOutcome> => {
    const { sendId } = job.data;
    const send = await claimSend(deps.db, sendId, Date.now());
    if (!send) return { skipped: "already settled" };
    const subscriber = await findSubscriber(deps.db, send.subscriber_id);
    const reason = await refusal(deps.db, send, subscriber);
    if (reason) {
      await markCancelled(deps.db, send.id, reason, Date.now());
      deps.log.info("send cancelled", { send: send.id, reason });
      return { skipped: reason };
    }

    let email;
    try {
      email = await composeEmail(send, subscriber!, { course: deps.course, appUrl: deps.appUrl, secretKey: deps.secretKey, from: deps.from, now: Date.now() });
    } catch (error) {
      if (!(error instanceof ComposeError)) throw error;
      await markCancelled(deps.db, send.id, error.message, Date.now());
      deps.log.warn("send cancelled", { send: send.id, reason: error.message });
      return { skipped: error.message };
    }

    try {
      const { id } = await deps.mailer.send(email);
      await markSent(deps.db, send.id, id, Date.now());
      deps.log.info("sent", { send: send.id, kind: send.kind, provider: deps.mailer.name, attempt: send.attempts });
      return { sent: id };
    } catch (error) {
      if (error instanceof MailerError && error.kind === "rate_limited") {
        // The provider's limit is everyone's limit: pause the whole queue, and put this job back
        // without spending one of its attempts.
        await rateQueue.rateLimit(error.retryAfterMs ?? 1_000);
        deps.log.warn("provider rate limit; queue paused", { ms: error.retryAfterMs ?? 1_000 });
        throw Worker.RateLimitError();
      }
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof MailerError && error.kind === "permanent") {
        await markFailed(deps.db, send.id, message, Date.now());
        deps.log.warn("send failed permanently", { send: send.id, reason: message });
        throw new UnrecoverableError(message);
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (lastAttempt) await markFailed(deps.db, send.id, `gave up after ${job.attemptsMade + 1} attempts: ${message}`, Date.now());
      else await noteAttemptError(deps.db, send.id, message, Date.now());
      deps.log.warn("send attempt failed", { send: send.id, attempt: job.attemptsMade + 1, reason: message, final: lastAttempt });
      throw error;
    }
  };

  const worker = new Worker<SendJobData, SendOutcome>(QUEUES.send, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    ...(deps.lockMs ? { lockDuration: deps.lockMs, stalledInterval: deps.lockMs } : {}),
    ...(deps.rateLimit ? { limiter: limiterFor(deps.rateLimit) } : {}),
    autorun: false,
  });
  worker.on("error", (error) => deps.log.error("send worker error", { error: error.message }));
  return {
    worker,
    async close() {
      await worker.close();
      await rateQueue.close();
    },
  };
}

/** BullMQ counts whole jobs per window: 0.5/s becomes 1 per 2 s, 5/s becomes 5 per second. */
export function limiterFor(perSecond: number): { max: number; duration: number } {
  return perSecond >= 1 ? { max: Math.floor(perSecond), duration: 1000 } : { max: 1, duration: Math.round(1000 / perSecond) };
}
