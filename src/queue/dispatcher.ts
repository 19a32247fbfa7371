import type { TestSend } from "./queues.ts";

/**
 * What the HTTP app needs from the queue: "these ledger rows are ready". Kept as an interface so
 * the web-standard app never imports BullMQ; on Cloudflare there is no dispatcher at all and the
 * Node scheduler's tick picks the rows up from the database.
 */
export interface Dispatcher {
  /**
   * Hands rows to the queue and marks them handed over (unless the caller already wrote the mark
   * with the row). Throws when Redis is unreachable; the rows stay in the ledger.
   */
  enqueueSends(sendIds: readonly string[], options?: { alreadyMarked?: boolean }): Promise<void>;
  /** Hands batches (rows already tagged with their batch id) to the queue. */
  enqueueBatches?(batchIds: readonly string[]): Promise<void>;
  /** Queues a test email to an admin's address. */
  enqueueTest?(test: TestSend): Promise<void>;
}
