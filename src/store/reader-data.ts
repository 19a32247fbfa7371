import type { Database } from "./database.ts";
import { clicksOf } from "./clicks.ts";
import { eraseProviderEventsFor } from "./provider-events.ts";
import { removeFromBatchRequests } from "./sends.ts";
import { suppress } from "./suppressions.ts";

/** The reader's enrollment in a course, as their preferences page shows it; undefined when they have none. */
export async function enrollmentOf(db: Database, subscriberId: string, courseSlug: string) {
  return db
    .selectFrom("enrollments")
    .select(["id", "status", "paused_until"])
    .where("subscriber_id", "=", subscriberId)
    .where("course_slug", "=", courseSlug)
    .executeTakeFirst();
}

/** Every enrollment of the reader, oldest first, as their preferences page lists them. */
export async function enrollmentsOf(db: Database, subscriberId: string) {
  return db
    .selectFrom("enrollments")
    .select(["id", "course_slug", "status", "next_slug", "last_day", "paused_until", "completed_at", "started_at"])
    .where("subscriber_id", "=", subscriberId)
    .orderBy("created_at")
    .orderBy("course_slug")
    .execute();
}

/**
 * The reader's own time zone. Their next lesson is re-timed to it: the tick recomputes the due
 * time of an active enrollment whose next_due_at is now.
 */
export async function setReaderTimezone(db: Database, subscriberId: string, timezone: string, now: number): Promise<void> {
  await db.updateTable("subscribers").set({ timezone, updated_at: now }).where("id", "=", subscriberId).execute();
  await db.updateTable("enrollments").set({ next_due_at: now, updated_at: now }).where("subscriber_id", "=", subscriberId).where("status", "=", "active").execute();
}

/**
 * A reader's own data, as they can download it (GDPR access/portability): who we think they are,
 * what they agreed to and when, where they are in the course, and every email we sent them.
 */
export async function exportReaderData(db: Database, subscriberId: string) {
  const subscriber = await db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirst();
  if (!subscriber) return undefined;
  const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(Number(t)).toISOString());
  const enrollments = await db.selectFrom("enrollments").selectAll().where("subscriber_id", "=", subscriberId).execute();
  const sends = await db.selectFrom("sends").selectAll().where("subscriber_id", "=", subscriberId).orderBy("created_at").execute();
  const consent = await db.selectFrom("consent_events").selectAll().where("subscriber_id", "=", subscriberId).orderBy("at").execute();
  // Tracked links they followed (a course with `tracking: { clicks: true }`): kept, so theirs to download.
  const clicks = await clicksOf(db, subscriberId);
  return {
    exportedAt: new Date().toISOString(),
    subscriber: {
      email: subscriber.email,
      name: subscriber.name,
      timezone: subscriber.timezone,
      status: subscriber.status,
      signedUpAt: iso(subscriber.created_at),
      confirmedAt: iso(subscriber.confirmed_at),
      unsubscribedAt: iso(subscriber.unsubscribed_at),
    },
    // `course`: the course a consent was about (joined, left, paused); null: all email.
    consent: consent.map((e) => ({ kind: e.kind, course: e.course_slug, at: iso(e.at), ip: e.ip, userAgent: e.user_agent, detail: e.detail ? (JSON.parse(e.detail) as unknown) : null })),
    enrollments: enrollments.map((e) => ({ course: e.course_slug, status: e.status, startedAt: iso(e.started_at), nextEmail: e.next_slug, nextEmailDueAt: iso(e.next_due_at), completedAt: iso(e.completed_at) })),
    emails: sends.map((s) => ({
      kind: s.kind,
      lesson: s.lesson_slug,
      status: s.status,
      createdAt: iso(s.created_at),
      sentAt: iso(s.sent_at),
      deliveredAt: iso(s.delivered_at),
      openedAt: iso(s.opened_at),
      clickedAt: iso(s.clicked_at),
      bouncedAt: iso(s.bounced_at),
      complainedAt: iso(s.complained_at),
    })),
    linksFollowed: clicks.map((c) => ({ url: c.url, at: iso(c.clickedAt), lesson: sends.find((s) => s.id === c.sendId)?.lesson_slug ?? null })),
  };
}

/**
 * Erasure (GDPR art. 17): the reader's rows go (subscriber, enrollments, sends, consent records,
 * and every provider event about them, see eraseProviderEventsFor). What stays is a one-way hash
 * of the address, so it is never mailed again by accident. Returns the erased address, for the
 * caller to clear what lives outside the database (outbox files, rate-limit counters).
 */
export async function eraseReader(db: Database, subscriberId: string, now: number): Promise<{ email: string } | undefined> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select(["id", "email", "email_key"]).where("id", "=", subscriberId).executeTakeFirst();
    if (!subscriber) return undefined;
    await suppress(trx, subscriber.email, "deleted", now);
    const sends = await trx.selectFrom("sends").select(["id", "provider_id"]).where("subscriber_id", "=", subscriberId).execute();
    await eraseProviderEventsFor(
      trx,
      subscriber.email_key,
      sends.map((s) => s.id),
      sends.map((s) => s.provider_id).filter((id): id is string => id !== null),
    );
    await trx.deleteFrom("consent_events").where("subscriber_id", "=", subscriberId).execute();
    // Their emails leave any batch's stored request too (their own stored ones go with the rows).
    await removeFromBatchRequests(trx, sends.map((s) => s.id));
    await trx.deleteFrom("sends").where("subscriber_id", "=", subscriberId).execute();
    await trx.deleteFrom("enrollments").where("subscriber_id", "=", subscriberId).execute();
    await trx.deleteFrom("subscribers").where("id", "=", subscriberId).execute();
    return { email: subscriber.email };
  });
}
