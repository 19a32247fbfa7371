import type { Course } from "../content/schema.ts";
import type { Database } from "../store/database.ts";
import { exportReaderData } from "../store/reader-data.ts";

/** A reader's history as plain text lines, oldest first, for the terminal. */
export async function readerTimelineText(db: Database, course: Course, subscriberId: string, now: number): Promise<string> {
  const data = await exportReaderData(db, subscriberId);
  if (!data) return "No such reader.";
  const events: [string, string][] = [];
  for (const c of data.consent) if (c.at) events.push([c.at, `${c.kind.replace("_", "-")}${c.detail && typeof c.detail === "object" && "how" in c.detail ? ` (${String((c.detail as { how: unknown }).how)})` : ""}`]);
  for (const e of data.emails) {
    const what = e.kind === "lesson" ? `lesson ${course.lessons.find((l) => l.slug === e.lesson)?.number ?? "?"} "${e.lesson}"` : e.kind;
    if (e.createdAt) events.push([e.createdAt, `${what} scheduled`]);
    if (e.sentAt) events.push([e.sentAt, `${what} sent`]);
    if (e.deliveredAt) events.push([e.deliveredAt, `${what} delivered`]);
    if (e.openedAt) events.push([e.openedAt, `${what} opened`]);
    if (e.bouncedAt) events.push([e.bouncedAt, `${what} bounced`]);
    if (e.status === "failed" || e.status === "cancelled") events.push([e.createdAt ?? "", `${what} ${e.status}`]);
  }
  events.sort((a, b) => a[0].localeCompare(b[0]));
  const enrollment = data.enrollments[0];
  const next = !enrollment
    ? "Not enrolled."
    : enrollment.status === "completed"
      ? "Course finished."
      : enrollment.status !== "active"
        ? `Course ${enrollment.status}.`
        : enrollment.nextEmail
          ? `Next: ${enrollment.nextEmail} ${enrollment.nextEmailDueAt && Date.parse(enrollment.nextEmailDueAt) <= now ? "is due now" : `due ${enrollment.nextEmailDueAt}`}.`
          : "Nothing more to send.";
  return [`${data.subscriber.email} (${data.subscriber.status}, ${data.subscriber.timezone})`, ...events.map(([at, what]) => `${at}  ${what}`), next].join("\n");
}
