import type { Database } from "./database.ts";
import type { Send } from "./sends.ts";
import type { Subscriber } from "./subscribers.ts";

/**
 * The rows behind "View in your browser": a web-version link names one ledger row, and the page
 * re-renders that row for its reader. Only list mail has a web version; a confirmation or a
 * preferences link is a one-off action, not something to read again.
 */
const WEB_VERSION_KINDS = ["lesson", "graduation", "newsletter"] as const;

/** The row a web-version link names, with its reader; undefined when either is gone (erased). */
export async function webVersionRow(db: Database, sendId: string): Promise<{ send: Send; subscriber: Subscriber } | undefined> {
  const send = await db.selectFrom("sends").selectAll().where("id", "=", sendId).where("kind", "in", WEB_VERSION_KINDS).executeTakeFirst();
  if (!send) return undefined;
  const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", send.subscriber_id).executeTakeFirst();
  return subscriber ? { send, subscriber } : undefined;
}

export interface SentLesson {
  /** The ledger row, which the web-version link names. */
  id: string;
  lessonSlug: string;
  sentAt: number | null;
}

/**
 * The lessons of one course the reader was actually sent (the provider took them), one row per
 * lesson: if they joined the course twice, the later copy. Oldest first.
 */
export async function sentLessons(db: Database, subscriberId: string, courseSlug: string): Promise<SentLesson[]> {
  const rows = await db
    .selectFrom("sends")
    .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .select(["sends.id", "sends.lesson_slug", "sends.sent_at", "sends.created_at"])
    .where("sends.subscriber_id", "=", subscriberId)
    .where("sends.kind", "=", "lesson")
    .where("sends.status", "=", "sent")
    .where("enrollments.course_slug", "=", courseSlug)
    .orderBy("sends.created_at")
    .orderBy("sends.id")
    .execute();
  const bySlug = new Map<string, SentLesson>();
  for (const row of rows) {
    if (row.lesson_slug === null) continue;
    // Deleted first, so a later copy moves to its own place in the order.
    bySlug.delete(row.lesson_slug);
    bySlug.set(row.lesson_slug, { id: row.id, lessonSlug: row.lesson_slug, sentAt: row.sent_at });
  }
  return [...bySlug.values()];
}
