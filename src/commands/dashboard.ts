import type { Course } from "../content/schema.ts";
import { errorMessage } from "../errors.ts";
import { countFailedSends, dailySeries, failedSends } from "../store/admin-queries.ts";
import type { DayPoint, FailedSendRow } from "../store/admin-queries.ts";
import { readerCounts } from "../store/reader-counts.ts";
import type { ReaderCounts } from "../store/reader-counts.ts";
import { courseScope } from "./course-admin.ts";
import type { Services } from "./services.ts";

const QUEUE_STATS_TIMEOUT_MS = 2_000;

/** The send queue's job counts (Node: BullMQ getJobCounts); absent where there is no queue. */
export type QueueStats = (() => Promise<Record<string, number>>) | undefined;

/** The send queue's job counts, or null when there is no queue or it does not answer in time. */
export async function queueStatsOf(log: Services["log"], queueStats: QueueStats): Promise<Record<string, number> | null> {
  if (!queueStats) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      queueStats(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("queue stats timed out")), QUEUE_STATS_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    log.warn("queue stats unavailable", { reason: errorMessage(error) });
    return null;
  } finally {
    clearTimeout(timer);
  }
}

export type QueueHealthKey = "waiting" | "sending" | "retrying" | "failed";

/**
 * The send queue in a publisher's words. BullMQ's own states fold into four: queued in any form is
 * waiting, active is being sent, delayed is a retry waiting its turn, failed gave up. Completed
 * jobs are left out (BullMQ trims them, so the number says nothing about emails sent).
 */
export const QUEUE_HEALTH: { key: QueueHealthKey; label: string; means: string; states: string[] }[] = [
  { key: "waiting", label: "Waiting", means: "queued, not picked up yet", states: ["waiting", "prioritized", "waiting-children", "paused"] },
  { key: "sending", label: "Sending", means: "being handed to the provider now", states: ["active"] },
  { key: "retrying", label: "Retrying", means: "failed once, will try again", states: ["delayed"] },
  { key: "failed", label: "Failed", means: "gave up; see failed sends", states: ["failed"] },
];

export function queueHealth(stats: Record<string, number>): Record<QueueHealthKey, number> {
  return Object.fromEntries(QUEUE_HEALTH.map((h) => [h.key, h.states.reduce((sum, s) => sum + (stats[s] ?? 0), 0)])) as Record<QueueHealthKey, number>;
}

export interface DashboardFigures {
  course: Course;
  /** The course's readers by state (src/store/reader-counts.ts), the same numbers as the course page, API and CLI. */
  counts: ReaderCounts;
  /** Signups and accepted emails per day, the last 30 days in the course's zone. */
  series: DayPoint[];
  queue: Record<string, number> | null;
  /** The ten newest failures. */
  failed: FailedSendRow[];
  failedTotal: number;
  zone: string;
}

/**
 * The figures the dashboard and `GET /admin/api/stats` show, for one course: its readers, its
 * signups and sends per day, its failed sends. The send queue is shared by every course.
 */
export async function dashboardFigures(services: Services, course: Course, queueStats: QueueStats): Promise<DashboardFigures> {
  const { db } = services;
  const zone = course.schedule.timezone;
  const scope = courseScope(services.catalogue, course);
  const [counts, series, queue, failed, failedTotal] = await Promise.all([
    readerCounts(db, scope),
    dailySeries(db, zone, services.now(), 30, scope),
    queueStatsOf(services.log, queueStats),
    failedSends(db, 10, scope),
    countFailedSends(db, scope),
  ]);
  return { course, counts, series, queue, failed, failedTotal, zone };
}
