import type { AppDeps } from "./env.ts";

/**
 * Offers fresh ledger rows to the queue. A failure is not an error for the request: the rows are
 * committed, and the scheduler's tick hands them to Redis once it is reachable again.
 */
export async function dispatchQuietly(deps: AppDeps, sendIds: string[], options: { alreadyMarked?: boolean } = {}): Promise<void> {
  if (!deps.dispatcher || sendIds.length === 0) return;
  try {
    await deps.dispatcher.enqueueSends(sendIds, options);
  } catch (error) {
    // The rows were born marked as handed over: clear the mark so the next tick offers them.
    if (options.alreadyMarked) await deps.db.updateTable("sends").set({ enqueued_at: null }).where("id", "in", sendIds).execute();
    deps.log.warn("queue unavailable; the email stays in the ledger and goes out when Redis is back", {
      sends: sendIds.length,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}
