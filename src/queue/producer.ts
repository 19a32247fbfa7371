import { Queue } from "bullmq";
import type { Database } from "../store/database.ts";
import { markEnqueued } from "../store/sends.ts";
import type { Dispatcher } from "./dispatcher.ts";
import { QUEUES, sendJobId, sendJobOptions } from "./queues.ts";
import type { SendJobData } from "./queues.ts";
import { producerConnection, withTimeout } from "./redis.ts";

export interface Producer extends Dispatcher {
  sendQueue: Queue<SendJobData>;
  /** Health probe: fails fast when Redis is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Hands ledger rows to BullMQ and records the hand-over; the row, not the job, is the fact. */
export function createProducer(options: { redisUrl: string; prefix: string; db: Database; log?: (msg: string) => void }): Producer {
  const connection = producerConnection(options.redisUrl);
  // An unreachable Redis is an expected state for the producer (the tick catches up later).
  connection.on("error", () => {});
  const sendQueue = new Queue<SendJobData>(QUEUES.send, {
    connection,
    prefix: options.prefix,
    defaultJobOptions: sendJobOptions,
  });
  sendQueue.on("error", () => {});

  return {
    sendQueue,
    async enqueueSends(sendIds) {
      if (sendIds.length === 0) return;
      // Fail at once rather than make a signup wait on a reconnect loop.
      if (connection.status !== "ready") throw new Error(`Redis is not connected (${connection.status})`);
      await withTimeout(
        sendQueue.addBulk(sendIds.map((sendId) => ({ name: "send", data: { sendId }, opts: { jobId: sendJobId(sendId) } }))),
        3_000,
      );
      await markEnqueued(options.db, sendIds, Date.now());
    },
    async ping() {
      await withTimeout(connection.ping(), 2_000);
    },
    async close() {
      await sendQueue.close();
      connection.disconnect();
    },
  };
}
