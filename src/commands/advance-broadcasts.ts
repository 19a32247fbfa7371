import { finishIfDelivered, sendingBroadcasts, startDueBroadcasts, writeNewsletterRows } from "../store/broadcast-delivery.ts";
import type { Services } from "./services.ts";

/** Readers materialized per newsletter per call. */
export const BROADCAST_PAGE = 1000;

export interface BroadcastTickResult {
  started: number;
  rows: number;
  batchIds: string[];
  finished: number;
}

/**
 * One tick's work on newsletters: scheduled ones whose time has come start; each sending one gets
 * ledger rows for its next page of readers, or, once every reader has a row and none is still in
 * flight, is marked sent.
 */
export async function advanceBroadcasts(services: Pick<Services, "db" | "now">, options: { batchSize: number }): Promise<BroadcastTickResult> {
  const { db } = services;
  const now = services.now();
  const result: BroadcastTickResult = { started: await startDueBroadcasts(db, now), rows: 0, batchIds: [], finished: 0 };
  for (const broadcast of await sendingBroadcasts(db)) {
    if (broadcast.materialized === 0) {
      const written = await writeNewsletterRows(db, broadcast, now, { page: BROADCAST_PAGE, batchSize: options.batchSize });
      result.rows += written.rows;
      result.batchIds.push(...written.batchIds);
      continue;
    }
    if (await finishIfDelivered(db, broadcast.id, now)) result.finished += 1;
  }
  return result;
}
