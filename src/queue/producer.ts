import { once } from "node:events";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../store/database.ts";
import { markBatchEnqueued, markEnqueued } from "../store/sends.ts";
import type { Dispatcher } from "./dispatcher.ts";
import { BATCH_PRIORITY, batchJobId, QUEUES, sendJobId, sendJobOptions } from "./queues.ts";
import type { RetryPolicy, SendJobData } from "./queues.ts";
import { producerConnection, withTimeout } from "./redis.ts";

export interface Producer extends Required<Dispatcher> {
  sendQueue: Queue<SendJobData>;
  /** The fail-fast connection, for other request-path uses of Redis (rate limits). */
  connection: Redis;
  /** Health probe: fails fast when Redis is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A fresh connection gets a moment to finish its handshake; one that is already retrying fails at
 * once, so a signup never waits on a Redis outage.
 */
async function connected(connection: Redis): Promise<void> {
  if (connection.status === "ready") return;
  if (connection.status !== "connecting" && connection.status !== "connect" && connection.status !== "wait") {
    throw new Error(`Redis is not connected (${connection.status})`);
  }
  await withTimeout(once(connection, "ready"), 1_000);
}

/** Hands ledger rows to BullMQ and records the hand-over; the row, not the job, is the fact. */
export function createProducer(options: { redisUrl: string; prefix: string; db: Database; retry?: RetryPolicy }): Producer {
  const connection = producerConnection(options.redisUrl);
  // An unreachable Redis is an expected state for the producer (the tick catches up later).
  connection.on("error", () => {});
  const sendQueue = new Queue<SendJobData>(QUEUES.send, {
    connection,
    prefix: options.prefix,
    defaultJobOptions: sendJobOptions(options.retry),
  });
  sendQueue.on("error", () => {});

  // Signups arriving together share one addBulk (one round trip) and one ledger update.
  let pending: { ids: readonly string[]; marked: boolean }[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    const requests = pending;
    pending = [];
    flushing = undefined;
    const ids = requests.flatMap((r) => r.ids);
    await connected(connection);
    await withTimeout(sendQueue.addBulk(ids.map((sendId) => ({ name: "send", data: { sendId }, opts: { jobId: sendJobId(sendId) } }))), 3_000);
    const unmarked = requests.filter((r) => !r.marked).flatMap((r) => r.ids);
    if (unmarked.length > 0) await markEnqueued(options.db, unmarked, Date.now());
  };

  return {
    sendQueue,
    connection,
    enqueueSends(sendIds, enqueueOptions) {
      if (sendIds.length === 0) return Promise.resolve();
      pending.push({ ids: sendIds, marked: enqueueOptions?.alreadyMarked ?? false });
      flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush);
      return flushing;
    },
    async enqueueBatches(batchIds) {
      if (batchIds.length === 0) return;
      await connected(connection);
      await withTimeout(
        sendQueue.addBulk(batchIds.map((batchId) => ({ name: "batch", data: { batchId }, opts: { jobId: batchJobId(batchId), priority: BATCH_PRIORITY } }))),
        3_000,
      );
      await markBatchEnqueued(options.db, batchIds, Date.now());
    },
    async enqueueTest(test) {
      await connected(connection);
      await withTimeout(sendQueue.add("test", { test }, { attempts: 3 }), 3_000);
    },
    async ping() {
      await connected(connection);
      await withTimeout(connection.ping(), 2_000);
    },
    async close() {
      await sendQueue.close();
      connection.disconnect();
    },
  };
}
