import { pausedCourseSlugs } from "./course-state.ts";
import type { Database } from "./database.ts";
import type { Subscriber } from "./subscribers.ts";

/**
 * What the send worker checks a set of ledger rows against at send time (is the reader still
 * active, the enrollment or course paused, the newsletter cancelled?), read in four queries however
 * many rows there are.
 */
export interface ScreeningState {
  subscribers: Map<string, Subscriber>;
  enrollments: Map<string, { status: string; course_slug: string }>;
  pausedCourses: Set<string>;
  /** Newsletter statuses by id. */
  broadcasts: Map<string, string>;
}

export async function readScreeningState(db: Database, ids: { subscriberIds: readonly string[]; enrollmentIds: readonly string[]; broadcastIds: readonly string[] }): Promise<ScreeningState> {
  const { subscriberIds, enrollmentIds, broadcastIds } = ids;
  const [subscribers, enrollments, paused, broadcasts] = await Promise.all([
    subscriberIds.length ? db.selectFrom("subscribers").selectAll().where("id", "in", subscriberIds).execute() : [],
    enrollmentIds.length ? db.selectFrom("enrollments").select(["id", "status", "course_slug"]).where("id", "in", enrollmentIds).execute() : [],
    pausedCourseSlugs(db),
    broadcastIds.length ? db.selectFrom("broadcasts").select(["id", "status"]).where("id", "in", broadcastIds).execute() : [],
  ]);
  return {
    subscribers: new Map(subscribers.map((s) => [s.id, s])),
    enrollments: new Map(enrollments.map((e) => [e.id, e])),
    pausedCourses: new Set(paused),
    broadcasts: new Map(broadcasts.map((b) => [b.id, b.status])),
  };
}
