import { catalogueOf } from "../../src/content/catalogue.ts";
import { DateTime } from "luxon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import type { Course, Lesson } from "../../src/content/schema.ts";
import { createProducer } from "../../src/queue/producer.ts";
import type { Producer } from "../../src/queue/producer.ts";
import { GRADUATION_SLUG } from "../../src/domain/course-plan.ts";
import { queueDueEmails } from "../../src/commands/queue-due-emails.ts";
import { openDatabase } from "../../src/store/connect.ts";
import { setCoursePaused } from "../../src/store/course-state.ts";
import type { Database } from "../../src/store/database.ts";
import { pauseEnrollment, resumeEnrollment } from "../../src/store/enrollments.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { bulkReaders, confirmedReader } from "../support/readers.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../support/redis.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * The drip engine against a real database and real Redis, with the clock in the test's hands:
 * the tick is called with explicit times, the way a long-running deployment would live them.
 */
describe.each(ENGINES)("drip engine (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let course: Course;
  let producer: Producer;
  let prefix: string;

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    course = await loadCourse("content/couples-therapy-up-close");
    prefix = uniquePrefix("drip");
    producer = createProducer({ redisUrl: REDIS_URL, prefix, db });
  });
  afterEach(async () => {
    await producer.close();
    await db.destroy();
    await deleteKeys(prefix);
    await testDb.drop();
  });

  /** One scheduler pass at `now`; what it queued is then taken by the provider at once (no worker here). */
  const tick = async (now: number, c: Course = course) => {
    const result = await runTick({ db, catalogue: catalogueOf([c]), dispatcher: producer }, now);
    await db.updateTable("sends").set({ status: "sent", sent_at: now }).where("status", "=", "queued").where("kind", "!=", "confirm").execute();
    return result;
  };
  const lessonsOf = async (subscriberId: string) =>
    (await db.selectFrom("sends").select(["lesson_slug", "kind", "created_at"]).where("subscriber_id", "=", subscriberId).where("kind", "!=", "confirm").orderBy("created_at").execute()).map(
      (s) => s.lesson_slug ?? s.kind,
    );
  const slugs = () => course.lessons.map((l) => l.slug);

  it("sends lesson 2 at 09:00 in the reader's own zone, a week after confirmation", async () => {
    const confirmedAt = DateTime.fromISO("2026-03-02T22:30", { zone: "Asia/Tokyo" }).toMillis();
    const { subscriberId } = await confirmedReader(db, course, { email: "tokyo@example.com", timezone: "Asia/Tokyo", confirmedAt });
    await tick(confirmedAt);
    expect(await lessonsOf(subscriberId)).toEqual([slugs()[0]]);
    const due = DateTime.fromISO("2026-03-09T09:00", { zone: "Asia/Tokyo" }).toMillis();
    await tick(due - 60_000);
    expect(await lessonsOf(subscriberId)).toHaveLength(1);
    await tick(due);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 2));
    const enrollment = await db.selectFrom("enrollments").selectAll().executeTakeFirstOrThrow();
    expect(DateTime.fromMillis(enrollment.next_due_at!, { zone: "Asia/Tokyo" }).toISO()).toBe("2026-03-16T09:00:00.000+09:00");
  });

  it("catches up after downtime with one lesson now and the rest a day apart at the send hour, never a burst", async () => {
    const confirmedAt = Date.UTC(2026, 0, 1, 12);
    const { subscriberId } = await confirmedReader(db, course, { email: "late@example.com", confirmedAt });
    await tick(confirmedAt);
    // Down for two months; back at 12:00 UTC with lesson 2, lesson 3 and graduation all overdue.
    const backOnline = confirmedAt + 60 * DAY;
    await tick(backOnline);
    await tick(backOnline + HOUR);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 2));
    for (let t = backOnline + HOUR; t <= backOnline + 5 * DAY; t += HOUR) await tick(t);
    expect(await lessonsOf(subscriberId)).toEqual([...slugs(), "graduation"]);
    const times = (await db.selectFrom("sends").select("created_at").where("subscriber_id", "=", subscriberId).where("kind", "!=", "confirm").orderBy("created_at").execute()).map((r) => r.created_at);
    expect(times[1]).toBe(backOnline);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(DAY);
    // After the overdue one, each goes at the 09:00 send hour (UTC is this reader's zone).
    for (const t of times.slice(2)) expect(new Date(t).getUTCHours()).toBe(9);
    const enrollment = await db.selectFrom("enrollments").selectAll().executeTakeFirstOrThrow();
    expect(enrollment).toMatchObject({ status: "completed", next_slug: null, next_due_at: null });
  });

  it("a lesson added later reaches readers who have not passed its place, and a removed one is skipped", async () => {
    const t0 = Date.UTC(2026, 4, 4, 9);
    const early = await confirmedReader(db, course, { email: "early@example.com", confirmedAt: t0 });
    // Already had lesson 3 (day 14) before the edit.
    const [aheadId] = await bulkReaders(db, course, 1, { confirmedAt: t0 - 20 * DAY, nextDueAt: t0 + DAY, lastDay: 14 });
    await tick(t0);
    await tick(t0 + 7 * DAY);
    expect(await lessonsOf(early.subscriberId)).toEqual(slugs().slice(0, 2));

    const inserted: Lesson = { ...course.lessons[1]!, slug: "added-later", title: "Added later", subject: "Added later", day: 10, number: 3 };
    const edited: Course = { ...course, lessons: [course.lessons[0]!, course.lessons[1]!, inserted, course.lessons[2]!] };
    await tick(t0 + 10 * DAY, edited);
    expect(await lessonsOf(early.subscriberId)).toEqual([...slugs().slice(0, 2), "added-later"]);
    await tick(t0 + 11 * DAY, edited);
    expect(await lessonsOf(aheadId!)).toEqual(["graduation"]);

    const removed: Course = { ...course, lessons: [course.lessons[0]!, course.lessons[1]!] };
    await tick(t0 + 14 * DAY, removed);
    await tick(t0 + 21 * DAY, removed);
    expect(await lessonsOf(early.subscriberId)).toEqual([...slugs().slice(0, 2), "added-later", "graduation"]);
  });

  it("pausing a reader stops their lessons and resuming picks up where they were", async () => {
    const t0 = Date.UTC(2026, 5, 1, 9);
    const { subscriberId, enrollmentId } = await confirmedReader(db, course, { email: "pause@example.com", confirmedAt: t0 });
    await tick(t0);
    expect(await pauseEnrollment(db, enrollmentId, t0 + DAY)).toBe(true);
    await tick(t0 + 30 * DAY);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 1));
    expect(await resumeEnrollment(db, enrollmentId, t0 + 31 * DAY)).toBe(true);
    await tick(t0 + 31 * DAY);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 2));
    await tick(t0 + 31 * DAY + HOUR);
    expect(await lessonsOf(subscriberId)).toHaveLength(2);
  });

  it("pausing the course queues nothing for anyone until it resumes", async () => {
    const t0 = Date.UTC(2026, 6, 1, 9);
    const readers = await Promise.all([1, 2, 3].map((i) => confirmedReader(db, course, { email: `c${i}@example.com`, confirmedAt: t0 })));
    await tick(t0);
    await setCoursePaused(db, course.slug, true, t0 + DAY);
    expect(await tick(t0 + 8 * DAY)).toMatchObject({ queued: 0 });
    await setCoursePaused(db, course.slug, false, t0 + 9 * DAY);
    expect(await tick(t0 + 9 * DAY)).toMatchObject({ queued: 3, batches: 1 });
    for (const r of readers) expect(await lessonsOf(r.subscriberId)).toEqual(slugs().slice(0, 2));
  });

  it("groups due lessons into provider batches of at most 100, each one job in Redis", async () => {
    const t0 = Date.UTC(2026, 7, 3, 9);
    await bulkReaders(db, course, 250, { confirmedAt: t0 - 7 * DAY, nextDueAt: t0, lastDay: 0 });
    const result = await tick(t0);
    expect(result).toMatchObject({ queued: 250, batches: 3 });
    const sizes = (await db.selectFrom("sends").select((eb) => ["batch_id", eb.fn.countAll<number>().as("n")]).groupBy("batch_id").execute()).map((r) => Number(r.n)).sort((a, b) => a - b);
    expect(sizes).toEqual([50, 100, 100]);
    expect(await producer.sendQueue.count()).toBe(3);
  });

  it("two ticks at once queue each lesson once", async () => {
    const t0 = Date.UTC(2026, 8, 1, 9);
    await bulkReaders(db, course, 300, { confirmedAt: t0 - 7 * DAY, nextDueAt: t0, lastDay: 0 });
    const [a, b] = await Promise.all([runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, t0), runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, t0)]);
    expect(a.queued + b.queued).toBe(300);
    const rows = await db.selectFrom("sends").select(["dedupe_key"]).execute();
    expect(new Set(rows.map((r) => r.dedupe_key)).size).toBe(300);
    expect(rows).toHaveLength(300);
    // And calling the raw query twice more changes nothing.
    expect(await queueDueEmails({ db, catalogue: catalogueOf([course]), now: () => t0 })).toEqual({ sendIds: [], batchIds: [] });
  });

  it("holds a reader's next email until the provider has the previous one, and counts the gap from then", async () => {
    const t0 = Date.UTC(2026, 9, 5, 9);
    const { subscriberId } = await confirmedReader(db, course, { email: "slow@example.com", confirmedAt: t0 - 30 * DAY });
    await runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, t0);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 1));
    // Lesson 1 is still with the worker (retrying, say) two days later: lesson 2 waits.
    await runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, t0 + 2 * DAY);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 1));
    const delivered = t0 + 2 * DAY + HOUR;
    await db.updateTable("sends").set({ status: "sent", sent_at: delivered }).where("subscriber_id", "=", subscriberId).where("kind", "=", "lesson").execute();
    await runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, delivered + DAY - HOUR);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 1));
    await runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, delivered + 2 * DAY);
    expect(await lessonsOf(subscriberId)).toEqual(slugs().slice(0, 2));
  });

  it("graduates a reader after the last lesson", async () => {
    const t0 = Date.UTC(2026, 9, 1, 9);
    const { subscriberId } = await confirmedReader(db, course, { email: "grad@example.com", confirmedAt: t0 });
    for (const day of [0, 7, 14, course.graduationDay]) await tick(t0 + day * DAY);
    expect(await lessonsOf(subscriberId)).toEqual([...slugs(), "graduation"]);
    const grad = await db.selectFrom("sends").selectAll().where("kind", "=", "graduation").executeTakeFirstOrThrow();
    expect(grad.lesson_slug).toBeNull();
    expect(grad.dedupe_key).toMatch(/^graduation:/);
    expect(GRADUATION_SLUG).toBe("#graduation");
  });
});
