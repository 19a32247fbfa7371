import { errorMessage } from "../errors.ts";
import { clearEnqueued } from "../store/sends.ts";
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
