import { readerView } from "../commands/reader-actions.ts";
import type { Services } from "../commands/services.ts";
import type { Course } from "../content/schema.ts";

/**
 * The reader page's timeline and next-lesson sentence, as plain lines for a terminal: for `course`,
 * else the reader's first course; with several enrollments, a line for each course too.
 */
export async function readerTimelineText(services: Services, subscriberId: string, course?: Course): Promise<string> {
  const { detail, timeline, next, enrollments, course: shown } = await readerView(services, subscriberId, course?.slug);
  const { subscriber } = detail;
  const courses =
    enrollments.length > 1 ? enrollments.map((e) => `Course ${e.course?.name ?? e.enrollment.course_slug} (${e.enrollment.status}): ${e.next?.sentence ?? "no longer in content/"}`) : [];
  return [
    `${subscriber.email} (${subscriber.status}, ${subscriber.timezone})`,
    ...courses,
    ...(enrollments.length > 1 ? [`Timeline of ${shown.name}:`] : []),
    ...timeline.map((e) => `${new Date(e.at).toISOString()}  ${e.text}`),
    `Next: ${next.sentence}`,
  ].join("\n");
}
