import type { Database } from "./database.ts";

/**
 * Course-wide pause. While paused the tick queues nothing new, and workers park lesson emails
 * that were already queued instead of sending or dropping them; resume picks them all up again.
 */
export async function isCoursePaused(db: Database, courseSlug: string): Promise<boolean> {
  const row = await db.selectFrom("course_state").select("paused").where("course_slug", "=", courseSlug).executeTakeFirst();
  return Number(row?.paused ?? 0) === 1;
}

/** Every paused course, for the tick and the send worker, which look at all courses at once. */
export async function pausedCourseSlugs(db: Database): Promise<string[]> {
  return (await db.selectFrom("course_state").select("course_slug").where("paused", "=", 1).execute()).map((r) => r.course_slug);
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

/**
 * A course's `formerSlugs` (course.yaml): moves the enrollments and the course-wide state kept
 * under an old slug to the current one, so renaming or moving a course strands no reader. Run on
 * every start; after the first it finds nothing. A reader somehow enrolled under both keeps the
 * current enrollment and the old one stays as it was. Returns how many enrollments moved.
 */
export async function adoptFormerSlugs(db: Database, courses: readonly { slug: string; formerSlugs: readonly string[] }[], now: number): Promise<number> {
  let moved = 0;
  for (const { slug, formerSlugs } of courses) {
    if (formerSlugs.length === 0) continue;
    moved += await db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable("enrollments")
        .set({ course_slug: slug, updated_at: now })
        .where("course_slug", "in", [...formerSlugs])
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("enrollments as current").select("current.id").whereRef("current.subscriber_id", "=", "enrollments.subscriber_id").where("current.course_slug", "=", slug))),
        )
        .executeTakeFirst();
      const kept = await trx.selectFrom("course_state").select("course_slug").where("course_slug", "=", slug).executeTakeFirst();
      if (kept) await trx.deleteFrom("course_state").where("course_slug", "in", [...formerSlugs]).execute();
      else {
        const [first] = await trx.selectFrom("course_state").select("course_slug").where("course_slug", "in", [...formerSlugs]).orderBy("updated_at", "desc").limit(1).execute();
        if (first) {
          await trx.deleteFrom("course_state").where("course_slug", "in", [...formerSlugs]).where("course_slug", "!=", first.course_slug).execute();
          await trx.updateTable("course_state").set({ course_slug: slug, updated_at: now }).where("course_slug", "=", first.course_slug).execute();
        }
      }
      return Number(result.numUpdatedRows);
    });
  }
  return moved;
}

/** Enrollments per course slug that is not one of `known`: readers whose course is no longer in content/. */
export async function enrollmentsOutside(db: Database, known: readonly string[]): Promise<{ courseSlug: string; count: number }[]> {
  let query = db.selectFrom("enrollments").select(["course_slug", (eb) => eb.fn.countAll<number>().as("count")]).where("status", "in", ["active", "paused"]);
  if (known.length > 0) query = query.where("course_slug", "not in", [...known]);
  const rows = await query.groupBy("course_slug").execute();
  return rows.map((r) => ({ courseSlug: r.course_slug, count: Number(r.count) }));
}
