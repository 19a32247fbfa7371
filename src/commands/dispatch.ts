import { errorMessage } from "../errors.ts";
import { clearBatchEnqueued, clearEnqueued } from "../store/sends.ts";
import type { Services } from "./services.ts";

/**
 * Offers fresh ledger rows to the queue. A failure is not an error for the caller: the rows are
 * committed, and the scheduler's tick hands them to Redis once it is reachable again.
 */
export async function dispatchQuietly(services: Pick<Services, "db" | "log" | "dispatcher">, sendIds: readonly string[], options: { alreadyMarked?: boolean } = {}): Promise<void> {
  if (!services.dispatcher || sendIds.length === 0) return;
  try {
    await services.dispatcher.enqueueSends(sendIds, options);
  } catch (error) {
    // The rows were born marked as handed over: clear the mark so the next tick offers them.
    if (options.alreadyMarked) await clearEnqueued(services.db, sendIds);
    services.log.warn("queue unavailable; the email stays in the ledger and goes out when Redis is back", { sends: sendIds.length, reason: errorMessage(error) });
  }
}

/**
 * Offers new batches whose rows were born marked as handed over (queueDueEmails' `enqueuedAt`).
 * A failure clears the marks, so the re-offer pass (this tick's, or the next one's) hands them over.
 */
export async function dispatchBatchesQuietly(services: Pick<Services, "db" | "log" | "dispatcher">, batchIds: readonly string[]): Promise<void> {
  if (!services.dispatcher?.enqueueBatches || batchIds.length === 0) return;
  try {
    await services.dispatcher.enqueueBatches(batchIds, { alreadyMarked: true });
  } catch (error) {
    await clearBatchEnqueued(services.db, batchIds);
    services.log.warn("queue unavailable; the emails stay in the ledger and go out when Redis is back", { batches: batchIds.length, reason: errorMessage(error) });
  }
}
