import { catalogueOf } from "../../src/content/catalogue.ts";
import type { Course } from "../../src/content/schema.ts";
import { enroll } from "../../src/commands/enroll.ts";
import type { Database } from "../../src/store/database.ts";
import { confirmSubscriber, recordSignup } from "../../src/store/subscribers.ts";

/** A reader who signed up and confirmed at `confirmedAt`, enrolled but with nothing queued yet. */
export async function confirmedReader(db: Database, course: Course, options: { email: string; timezone?: string; confirmedAt: number; name?: string }): Promise<{ subscriberId: string; enrollmentId: string }> {
  const { subscriberId: created } = await recordSignup(
    db,
    { email: options.email, name: options.name ?? null, timezone: options.timezone ?? "UTC", ip: null, userAgent: null, form: "test", consentTextVersion: "test" },
    options.confirmedAt,
  );
  const subscriberId = created!;
  // The confirmation email is not what these tests are about.
  await db.updateTable("sends").set({ status: "sent" }).where("subscriber_id", "=", subscriberId).execute();
  await confirmSubscriber(db, subscriberId, { ip: null, userAgent: null, how: "test" }, options.confirmedAt);
  const enrollmentId = await enroll({ db, catalogue: catalogueOf([course]), now: () => options.confirmedAt }, { subscriberId });
  return { subscriberId, enrollmentId };
}

/** Many confirmed readers at once, inserted in bulk (the per-reader path is too slow for 10,000). */
export async function bulkReaders(db: Database, course: Course, count: number, options: { confirmedAt: number; nextDueAt: number; lastDay: number; status?: "active" | "paused" | "completed" }): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const chunk = Array.from({ length: Math.min(500, count - start) }, (_, i) => start + i);
    const subscribers = chunk.map((i) => ({
      id: crypto.randomUUID(),
      email: `reader${i}-${Math.random().toString(36).slice(2, 8)}@example.com`,
      name: null,
      timezone: "UTC",
      status: "active" as const,
      created_at: options.confirmedAt,
      updated_at: options.confirmedAt,
      confirmed_at: options.confirmedAt,
      unsubscribed_at: null,
      confirmation_sent_at: options.confirmedAt,
      consent_at: options.confirmedAt,
      consent_ip: null,
      consent_user_agent: null,
      consent_form: "test",
      consent_text_version: "test",
    }));
    await db.insertInto("subscribers").values(subscribers).execute();
    const nextSlug = course.lessons.find((l) => l.day > options.lastDay)?.slug ?? null;
    await db
      .insertInto("enrollments")
      .values(
        subscribers.map((s) => ({
          id: crypto.randomUUID(),
          subscriber_id: s.id,
          course_slug: course.slug,
          status: options.status ?? ("active" as const),
          started_at: options.confirmedAt,
          next_slug: nextSlug,
          next_due_at: options.nextDueAt,
          last_day: options.lastDay,
          last_sent_at: options.lastDay >= 0 ? options.confirmedAt : null,
          completed_at: null,
          created_at: options.confirmedAt,
          updated_at: options.confirmedAt,
        })),
      )
      .execute();
    ids.push(...subscribers.map((s) => s.id));
  }
  return ids;
}
