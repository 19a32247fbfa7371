import type { Course } from "../content/schema.ts";
import { malformed, conflict } from "../errors.ts";
import { countFailedSends, failedSends } from "../store/admin-queries.ts";
import type { FailedSendRow } from "../store/admin-queries.ts";
import { retryAllFailed, retryFailedSend } from "../store/manual-sends.ts";
import { retryProgress } from "../store/sends.ts";
import type { RetryProgress } from "../store/sends.ts";
import { dispatchQuietly } from "./dispatch.ts";
import { courseScope } from "./course-admin.ts";
import type { Services } from "./services.ts";

/** The newest failed sends and how many there are in all; `course`: only that course's. */
export async function listFailedSends(services: Pick<Services, "db" | "catalogue">, limit: number, course?: Course): Promise<{ rows: FailedSendRow[]; total: number }> {
  const scope = course ? courseScope(services.catalogue, course) : undefined;
  const [rows, total] = await Promise.all([failedSends(services.db, limit, scope), countFailedSends(services.db, scope)]);
  return { rows, total };
}

/** Back in the queue: the original request if it may have reached the provider, else a fresh send. */
export async function retrySend(services: Services, sendId: string): Promise<void> {
  const requeued = await retryFailedSend(services.db, sendId, services.now());
  if (!requeued) throw conflict("not_failed", "That send is not failed (any more): it may have been retried already.", "Nothing to retry");
  // Single sends go to the queue now; batches are offered by the scheduler's next tick.
  await dispatchQuietly(services, requeued.sendIds);
  services.log.info("admin action", { action: "retry", send: sendId });
}

export interface RetryAllOptions {
  /** Hears how far the re-queuing got (the CLI draws a bar with it). */
  onPage?: (done: number, total: number) => void;
  /**
   * Offer re-queued batches to the queue now as well. The console leaves them to the scheduler's
   * next tick; the CLI, which may wait for them, offers them at once.
   */
  offerBatches?: boolean;
  /** Only this course's failed emails; absent: every course's. */
  course?: Course | undefined;
}

/** Every failed send back in the queue in one step; `since` identifies them for the progress view. */
export async function retryAll(services: Services, options: RetryAllOptions = {}): Promise<{ count: number; since: number }> {
  const since = services.now();
  const scope = options.course ? courseScope(services.catalogue, options.course) : undefined;
  const requeued = await retryAllFailed(services.db, since, options.onPage, scope);
  await dispatchQuietly(services, requeued.sendIds);
  // The tick offers them anyway, so a queue that is down changes nothing here.
  if (options.offerBatches && requeued.batchIds.length > 0) await services.dispatcher?.enqueueBatches?.(requeued.batchIds).catch(() => undefined);
  services.log.info("admin action", { action: "retry-all", sends: requeued.count, ...(options.course ? { course: options.course.slug } : {}) });
  return { count: requeued.count, since };
}

/** `since` as it arrives in a query string: the time a "retry all" started. */
export async function retryProgressSince(services: Pick<Services, "db">, raw: string | undefined): Promise<RetryProgress> {
  const since = Number(raw);
  if (!raw || !/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(since)) throw malformed("bad_since", "since must be the time (epoch milliseconds) a retry started.", "Something is not right");
  return retryProgress(services.db, since);
}
