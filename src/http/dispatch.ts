import type { AppDeps } from "./env.ts";

/**
 * Offers fresh ledger rows to the queue. A failure is not an error for the request: the rows are
 * committed, and the scheduler's tick hands them to Redis once it is reachable again.
 */
export async function dispatchQuietly(deps: AppDeps, sendIds: string[]): Promise<void> {
  if (!deps.dispatcher || sendIds.length === 0) return;
  try {
    await deps.dispatcher.enqueueSends(sendIds);
  } catch (error) {
    deps.log.warn("queue unavailable; the email stays in the ledger and goes out when Redis is back", {
      sends: sendIds.length,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}
