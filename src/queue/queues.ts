import type { DefaultJobOptions } from "bullmq";

/**
 * Queue names, job ids and default job options: the one place producers and workers agree on.
 * Job data carries ids only. Addresses, names and secrets stay in the database and environment.
 */

export const QUEUES = {
  /** One job per ledger row: render and hand one email to the provider. */
  send: "send",
  /** Job-scheduler ticks: turn due enrollments into sends, re-offer rows Redis may have lost. */
  tick: "tick",
  /** Outgoing webhooks: one job per delivery attempt, plus the pass that offers due deliveries. */
  webhook: "webhook",
} as const;

export const TICK_SCHEDULER_ID = "course-tick";

/** Held while one process runs a tick, so overlapping ticks from several processes do no double work. */
export const TICK_LOCK_KEY = "tick-lock";

/** What a test send shows an admin: a lesson, the graduation email, or a newsletter. */
export interface TestSend {
  to: string;
  lessonSlug?: string | undefined;
  broadcastId?: string | undefined;
  /** The course whose email it is (its sender identity); default: the newsletter's, else the only or first course. */
  courseSlug?: string | undefined;
}

/**
 * One email ("send"), up to BATCH_SIZE emails in one provider request ("batch"), or a preview to
 * an admin's own address ("test", outside the readers' ledger).
 */
export type SendJobData =
  | { sendId: string; batchId?: undefined; test?: undefined }
  | { batchId: string; sendId?: undefined; test?: undefined }
  | { test: TestSend; sendId?: undefined; batchId?: undefined };

/** Deterministic: adding the same ledger row twice while its job exists is a no-op in BullMQ. */
export function sendJobId(sendId: string): string {
  return `send-${sendId}`;
}

export function batchJobId(batchId: string): string {
  return `batch-${batchId}`;
}

/** Resend's batch endpoint takes at most 100 emails per request. */
export const BATCH_SIZE = 100;

/**
 * Batch jobs (lessons, newsletters) wait behind every job without a priority: confirmations, one
 * lesson sent to one reader by hand, an admin's test send. BullMQ hands out jobs with no priority
 * before prioritized ones. Without this a reader who signs up while a newsletter goes out waits for
 * every batch queued before their confirmation: 500 batches at a provider limit of 5 requests a
 * second is more than a minute and a half, long enough to give up on the email.
 */
export const BATCH_PRIORITY = 10;

export interface RetryPolicy {
  /** Tries per job, the first included. 429s do not count (the queue waits instead). */
  attempts: number;
  /** First backoff; it doubles each retry, with jitter. */
  delayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, delayMs: 2_000 };

export function sendJobOptions(retry: RetryPolicy = DEFAULT_RETRY): DefaultJobOptions {
  return {
    attempts: retry.attempts,
    // Exponential with jitter so a provider outage is not met by synchronized retries.
    backoff: { type: "exponential", delay: retry.delayMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    // The ledger keeps every failure and its reason. A failed job left in Redis would keep its id
    // taken, so a retried row (same job id) could never be offered again.
    removeOnFail: true,
  };
}

export const tickJobOptions: DefaultJobOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: { count: 100 },
};

/** How long a ledger row may sit handed-over before the tick offers it to Redis again. */
export const REOFFER_AFTER_MS = 60_000;

export const WEBHOOK_OFFER_SCHEDULER_ID = "webhook-offer";

/** One attempt of one delivery row; the attempt number in the id lets a retry be offered after its predecessor completed. */
export interface WebhookJobData {
  deliveryId: string;
  attempt: number;
}

export function webhookJobId(deliveryId: string, attempt: number): string {
  return `webhook-${deliveryId}-${attempt}`;
}

/**
 * Retries are decided by the database (the row's next attempt), not by BullMQ: a job is one
 * attempt, and the delays between attempts (Standard Webhooks' usual schedule) add up to about
 * 24 h. After the last, the delivery fails for good (and can be replayed).
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 8 * 3600_000, 8 * 3600_000];

/** An endpoint that has answered nothing but failures for this long is disabled. */
export const WEBHOOK_DISABLE_AFTER_MS = 24 * 3600_000;

export const webhookJobOptions: DefaultJobOptions = { attempts: 1, removeOnComplete: true, removeOnFail: true };
