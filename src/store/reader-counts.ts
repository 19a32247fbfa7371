import { sql } from "kysely";
import type { Database, EnrollmentStatus, SubscriberStatus } from "./database.ts";
import { readerOfCourse } from "./admin-queries.ts";
import type { CourseScope } from "./admin-queries.ts";

/**
 * The one definition of "how many readers are in which state" for a course. The dashboard, the
 * course page, `GET /admin/api/stats` and `admin stats` all read it, so the same question gets the
 * same number everywhere. Every reader of the course (see CourseScope) is in exactly one bucket,
 * so the buckets add up to `total`; an erased reader is in none (there is no one left to count).
 */
export const READER_BUCKETS = ["pending", "active", "paused", "finished", "left", "unsubscribed", "bounced", "complained"] as const;
export type ReaderBucket = (typeof READER_BUCKETS)[number];

export type ReaderCounts = Record<ReaderBucket, number> & { total: number };

/** What each bucket means, in a publisher's words: the dashboard legend, the README and the CLI say this. */
export const BUCKET_DEFINITIONS: Record<ReaderBucket, { label: string; means: string }> = {
  pending: { label: "Pending", means: "signed up, has not confirmed yet" },
  active: { label: "Active", means: "confirmed, lessons still coming" },
  paused: { label: "Paused", means: "confirmed, lessons on hold for now" },
  finished: { label: "Finished", means: "got the whole course (graduated)" },
  left: { label: "Left", means: "left this course, still gets other email" },
  unsubscribed: { label: "Unsubscribed", means: "stopped all email" },
  bounced: { label: "Bounced", means: "the address does not receive mail" },
  complained: { label: "Complained", means: "marked an email as spam" },
};

/**
 * The bucket of one reader for one course. A stop on the whole address (complaint, bounce,
 * unsubscribe) wins over where they were in the course, since no lesson reaches them any more; a
 * reader who has not confirmed is pending whatever the course says. A confirmed reader with no
 * enrollment here (an import that started no course, shown under the default course) is active:
 * confirming started nothing yet, but they get this course's newsletters.
 */
export function bucketOf(subscriber: SubscriberStatus, enrollment: EnrollmentStatus | null): ReaderBucket | null {
  switch (subscriber) {
    case "deleted":
      return null;
    case "complained":
    case "bounced":
    case "unsubscribed":
    case "pending":
      return subscriber;
    case "active":
      break;
  }
  switch (enrollment) {
    case "pending":
      return "pending";
    case "paused":
      return "paused";
    case "completed":
      return "finished";
    case "cancelled":
      return "left";
    case "active":
    case null:
      return "active";
  }
}

export function emptyCounts(): ReaderCounts {
  return { total: 0, pending: 0, active: 0, paused: 0, finished: 0, left: 0, unsubscribed: 0, bounced: 0, complained: 0 };
}

/** The readers of one course, by bucket (one grouped query: subscriber status × enrollment status). */
export async function readerCounts(db: Database, scope: CourseScope): Promise<ReaderCounts> {
  let query = db
    .selectFrom("subscribers")
    .leftJoin("enrollments", (join) => join.onRef("enrollments.subscriber_id", "=", "subscribers.id").on("enrollments.course_slug", "=", scope.slug))
    .select(["subscribers.status as reader", "enrollments.status as enrollment", sql<number | string>`count(*)`.as("n")])
    .where("subscribers.status", "!=", "deleted");
  if (!scope.only) query = query.where((eb) => readerOfCourse(eb, scope));
  const rows = await query.groupBy(["subscribers.status", "enrollments.status"]).execute();
  const counts = emptyCounts();
  for (const row of rows) {
    const bucket = bucketOf(row.reader, row.enrollment);
    if (!bucket) continue;
    counts[bucket] += Number(row.n);
    counts.total += Number(row.n);
  }
  return counts;
}
