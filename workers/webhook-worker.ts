import { Queue, Worker } from "bullmq";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { errorMessage } from "../src/errors.ts";
import type { Logger } from "../src/log.ts";
import { QUEUES, WEBHOOK_DISABLE_AFTER_MS, WEBHOOK_OFFER_SCHEDULER_ID, WEBHOOK_RETRY_DELAYS_MS, webhookJobId, webhookJobOptions } from "../src/queue/queues.ts";
import type { WebhookJobData } from "../src/queue/queues.ts";
import { openSecret } from "../src/send/webhook-delivery.ts";
import type { WebhookSender } from "../src/send/webhook-sender.ts";
import type { Database } from "../src/store/database.ts";
import { deliveryWork, disableEndpoint, markDeliveriesEnqueued, offerableDeliveries, recordDeliveryAttempt, releaseDelivery } from "../src/store/outgoing-webhooks.ts";

export interface WebhookWorkerDeps {
  db: Database;
  log: Logger;
  connection: Redis;
  prefix: string;
  sender: WebhookSender;
  /** SECRET_KEY: opens the endpoints' sealed signing secrets. */
  secretKey: string;
  /** How often due deliveries are offered to the queue (TICK_MS). */
  offerEveryMs: number;
  reofferAfterMs: number;
  concurrency?: number | undefined;
  retryDelaysMs?: readonly number[] | undefined;
  disableAfterMs?: number | undefined;
}

type Outcome = { delivered?: boolean; skipped?: string; offered?: number };

/** Rows per offer pass. */
const OFFER_PAGE = 500;

/**
 * Delivers outgoing webhooks. The offer pass (a BullMQ job scheduler, like the send tick) hands the
 * due head of each reader's chain to the queue under a deterministic job id, so offering twice, or
 * again after Redis lost the job, is harmless; each job makes one attempt and records it.
 * Never called at import time.
 */
export function createWebhookWorker(deps: WebhookWorkerDeps) {
  const queue = new Queue<WebhookJobData>(QUEUES.webhook, { connection: deps.connection, prefix: deps.prefix, defaultJobOptions: webhookJobOptions });
  queue.on("error", (error) => deps.log.warn("webhook queue connection problem", { error: error.message }));
  const delays = deps.retryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
  const disableAfterMs = deps.disableAfterMs ?? WEBHOOK_DISABLE_AFTER_MS;

  async function offer(): Promise<Outcome> {
    const now = Date.now();
    const due = await offerableDeliveries(deps.db, now, deps.reofferAfterMs, OFFER_PAGE);
    if (due.length === 0) return { offered: 0 };
    // Marked before they are handed to Redis, never after: a job can run and record its attempt
    // (clearing the mark) before a later mark lands, and that late mark would then hide the
    // delivery's retry until REOFFER_AFTER_MS. A crash between the two only loses jobs that were
    // never added, which the re-offer after REOFFER_AFTER_MS exists for.
    await markDeliveriesEnqueued(deps.db, due.map((d) => d.id), now);
    await queue.addBulk(due.map((d) => ({ name: "deliver", data: { deliveryId: d.id, attempt: d.attempts }, opts: { jobId: webhookJobId(d.id, d.attempts) } })));
    return { offered: due.length };
  }

  async function deliver(data: WebhookJobData): Promise<Outcome> {
    const work = await deliveryWork(deps.db, data.deliveryId);
    if (!work || work.delivery.status !== "pending" || work.delivery.attempts !== data.attempt) return { skipped: "settled or superseded" };
    const { delivery, endpoint, event } = work;
    // Offered out of turn (a re-offer raced a retry): the earlier event goes first.
    if (work.blocked) {
      await releaseDelivery(deps.db, delivery.id);
      return { skipped: "an earlier event of this reader is still pending" };
    }
    const ref = { id: delivery.id, endpointId: endpoint.id, attempts: delivery.attempts };
    if (!endpoint.enabled) {
      await recordDeliveryAttempt(deps.db, ref, { at: Date.now(), durationMs: 0, statusCode: null, error: `endpoint disabled: ${endpoint.disabled_reason ?? ""}`, ok: false }, null);
      return { skipped: "endpoint disabled" };
    }
    const body = JSON.stringify({ type: event.type, timestamp: new Date(Number(event.created_at)).toISOString(), data: JSON.parse(event.data) as unknown });
    let result;
    try {
      result = await deps.sender.send({ url: endpoint.url, secret: await openSecret(deps.secretKey, endpoint.secret_sealed), messageId: event.id, body });
    } catch (error) {
      result = { ok: false, statusCode: null, durationMs: 0, error: errorMessage(error) };
    }
    const at = Date.now();
    const delay = delays[delivery.attempts];
    const retryAt = result.ok || delay === undefined ? null : at + delay;
    await recordDeliveryAttempt(deps.db, ref, { ...result, at }, retryAt);
    deps.log.info(result.ok ? "webhook delivered" : "webhook attempt failed", {
      delivery: delivery.id,
      endpoint: endpoint.id,
      type: event.type,
      status: result.statusCode ?? undefined,
      attempt: delivery.attempts + 1,
      final: !result.ok && retryAt === null,
    });
    if (!result.ok && endpoint.failing_since !== null && at - Number(endpoint.failing_since) >= disableAfterMs) {
      await disableEndpoint(deps.db, endpoint.id, `failing since ${new Date(Number(endpoint.failing_since)).toISOString()} (24 h)`, at);
      deps.log.warn("webhook endpoint disabled: every delivery failed for 24 h", { endpoint: endpoint.id });
    }
    return { delivered: result.ok };
  }

  const worker = new Worker<WebhookJobData, Outcome>(QUEUES.webhook, async (job: Job<WebhookJobData, Outcome>) => (job.name === "offer" ? offer() : deliver(job.data)), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 10,
    autorun: false,
  });
  worker.on("error", (error) => deps.log.error("webhook worker error", { error: error.message }));
  worker.on("failed", (job, error) => deps.log.warn("webhook job failed", { job: job?.name, error: error.message }));

  // Redis may keep nothing on disk: the scheduler is re-declared whenever the connection comes back.
  const upsert = () => queue.upsertJobScheduler(WEBHOOK_OFFER_SCHEDULER_ID, { every: deps.offerEveryMs }, { name: "offer", opts: { removeOnComplete: true, removeOnFail: { count: 100 } } });
  const onReady = () => void upsert().catch((error: Error) => deps.log.warn("could not declare webhook offer scheduler", { error: error.message }));
  deps.connection.on("ready", onReady);
  onReady();

  return {
    worker,
    /** One offer pass now (tests, and a caller that just recorded events). */
    offer,
    async close() {
      deps.connection.off("ready", onReady);
      await worker.close();
      await queue.close();
    },
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
