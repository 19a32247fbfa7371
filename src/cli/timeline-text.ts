import type { Course } from "../content/schema.ts";
import { buildTimeline, explainNextLesson, readerDetail } from "../store/admin-queries.ts";
import type { Database } from "../store/database.ts";

/** The reader page's timeline and next-lesson sentence, as plain lines for a terminal. */
export async function readerTimelineText(db: Database, course: Course, subscriberId: string, now: number, daySeconds?: number): Promise<string> {
  const detail = await readerDetail(db, subscriberId, course.slug);
  if (!detail) return "No such reader.";
  const events = buildTimeline(course, detail);
  const next = explainNextLesson(course, detail, now, daySeconds);
  const { subscriber } = detail;
  return [
    `${subscriber.email} (${subscriber.status}, ${subscriber.timezone})`,
    ...events.map((e) => `${new Date(e.at).toISOString()}  ${e.text}`),
    `Next: ${next.sentence}`,
  ].join("\n");
}
