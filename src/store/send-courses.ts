import type { Database } from "./database.ts";

/**
 * Which course each ledger row speaks for: a lesson or graduation email through its enrollment, a
 * newsletter through its broadcast. The answer picks the sender identity, footer, List-Id and
 * links an email is rendered with. Null: a row of no course (a confirmation, a preferences link,
 * or a newsletter written before newsletters had a course); the caller decides what stands in.
 */
export async function courseSlugsOfSends(db: Database, sendIds: readonly string[]): Promise<Map<string, string | null>> {
  const slugs = new Map<string, string | null>();
  for (let i = 0; i < sendIds.length; i += 500) {
    const rows = await db
      .selectFrom("sends")
      .leftJoin("enrollments", "enrollments.id", "sends.enrollment_id")
      .leftJoin("broadcasts", "broadcasts.id", "sends.broadcast_id")
      .select(["sends.id", "enrollments.course_slug as enrollment_course", "broadcasts.course_slug as broadcast_course"])
      .where("sends.id", "in", sendIds.slice(i, i + 500))
      .execute();
    for (const row of rows) slugs.set(row.id, row.enrollment_course ?? row.broadcast_course ?? null);
  }
  return slugs;
}
