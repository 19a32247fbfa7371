import type { Database } from "./database.ts";

/**
 * Course-wide pause. While paused the tick queues nothing new, and workers park lesson emails
 * that were already queued instead of sending or dropping them; resume picks them all up again.
 */
export async function isCoursePaused(db: Database, courseSlug: string): Promise<boolean> {
  const row = await db.selectFrom("course_state").select("paused").where("course_slug", "=", courseSlug).executeTakeFirst();
  return row?.paused === 1;
}

export async function setCoursePaused(db: Database, courseSlug: string, paused: boolean, now: number): Promise<void> {
  await db
    .insertInto("course_state")
    .values({ course_slug: courseSlug, paused: paused ? 1 : 0, schedule_version: null, updated_at: now })
    .onConflict((oc) => oc.column("course_slug").doUpdateSet({ paused: paused ? 1 : 0, updated_at: now }))
    .execute();
}

export async function storedScheduleVersion(db: Database, courseSlug: string): Promise<string | null> {
  const row = await db.selectFrom("course_state").select("schedule_version").where("course_slug", "=", courseSlug).executeTakeFirst();
  return row?.schedule_version ?? null;
}

export async function storeScheduleVersion(db: Database, courseSlug: string, version: string, now: number): Promise<void> {
  await db
    .insertInto("course_state")
    .values({ course_slug: courseSlug, paused: 0, schedule_version: version, updated_at: now })
    .onConflict((oc) => oc.column("course_slug").doUpdateSet({ schedule_version: version, updated_at: now }))
    .execute();
}

/** The slugs of every course paused as a whole. */
export async function pausedCourseSlugs(db: Database): Promise<string[]> {
  const rows = await db.selectFrom("course_state").select("course_slug").where("paused", "=", 1).execute();
  return rows.map((r) => r.course_slug);
}
