import { pausedCourseSlugs } from "./course-state.ts";
import type { Database } from "./database.ts";
import { isSendingPaused } from "./sending-guard.ts";
import type { Subscriber } from "./subscribers.ts";

/**
 * What the send worker checks a set of ledger rows against at send time (is the reader still
 * active; the enrollment, the course or all course mail paused; the newsletter cancelled?), read
 * in five queries however many rows there are.
 */
export interface ScreeningState {
  subscribers: Map<string, Subscriber>;
  enrollments: Map<string, { status: string; course_slug: string }>;
  pausedCourses: Set<string>;
  /** The complaint-rate guard holds course and newsletter mail install-wide. */
  sendingPaused: boolean;
  /** Newsletter statuses by id. */
  broadcasts: Map<string, string>;
}

export async function readScreeningState(db: Database, ids: { subscriberIds: readonly string[]; enrollmentIds: readonly string[]; broadcastIds: readonly string[] }): Promise<ScreeningState> {
  const { subscriberIds, enrollmentIds, broadcastIds } = ids;
  const [subscribers, enrollments, paused, broadcasts, sendingPaused] = await Promise.all([
    subscriberIds.length ? db.selectFrom("subscribers").selectAll().where("id", "in", subscriberIds).execute() : [],
    enrollmentIds.length ? db.selectFrom("enrollments").select(["id", "status", "course_slug"]).where("id", "in", enrollmentIds).execute() : [],
    pausedCourseSlugs(db),
    broadcastIds.length ? db.selectFrom("broadcasts").select(["id", "status"]).where("id", "in", broadcastIds).execute() : [],
    isSendingPaused(db),
  ]);
  return {
    subscribers: new Map(subscribers.map((s) => [s.id, s])),
    enrollments: new Map(enrollments.map((e) => [e.id, e])),
    pausedCourses: new Set(paused),
    broadcasts: new Map(broadcasts.map((b) => [b.id, b.status])),
    sendingPaused,
  };
}

/**
 * The course a reader's course-less email (a confirmation, its reminder, a preferences link)
 * speaks for: the course of their most recent enrollment, a pending one (the signup the
 * confirmation answers) first. One query for a set of readers; a reader with no enrollment is
 * absent.
 */
export async function latestCourseOfReaders(db: Database, subscriberIds: readonly string[]): Promise<Map<string, string>> {
  const latest = new Map<string, { slug: string; pending: boolean; at: number }>();
  for (let i = 0; i < subscriberIds.length; i += 500) {
    const rows = await db
      .selectFrom("enrollments")
      .select(["subscriber_id", "course_slug", "status", "created_at"])
      .where("subscriber_id", "in", subscriberIds.slice(i, i + 500))
      .execute();
    for (const row of rows) {
      const candidate = { slug: row.course_slug, pending: row.status === "pending", at: Number(row.created_at) };
      const best = latest.get(row.subscriber_id);
      if (!best || (candidate.pending && !best.pending) || (candidate.pending === best.pending && candidate.at > best.at)) latest.set(row.subscriber_id, candidate);
    }
  }
  return new Map([...latest].map(([id, { slug }]) => [id, slug]));
}
