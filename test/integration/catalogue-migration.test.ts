import { sql } from "kysely";
import type { Kysely, Selectable } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { start } from "../../src/boot.ts";
import type { Role, Runtime } from "../../src/boot.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { plannedDueAt, scheduleRulesFor, scheduleVersion } from "../../src/domain/course-plan.ts";
import type { Logger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import { setCoursePaused } from "../../src/store/course-state.ts";
import type { Database, EnrollmentsTable } from "../../src/store/database.ts";
import { migrateUpTo } from "../../src/store/migrations.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { Engine, TestDatabase } from "../support/databases.ts";
import { startFakeResend } from "../support/fake-resend.ts";
import type { FakeResend } from "../support/fake-resend.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { serviceEnv, TEST_API_KEY, waitFor } from "../support/stack.ts";

/**
 * Acceptance 4 of issue #12: a database written by the single-course release (schema up to
 * 0010_confirm_reminder, every enrollment under the course's old slug `couples-therapy`) is
 * started by this release with the shipped content, whose course folder lists that slug under
 * `formerSlugs`. No manual step: every reader is in `couples-therapy-up-close` on the lesson they
 * were on, and the next lesson that falls due is the next one, not lesson 1 again.
 */

const OLD_SLUG = "couples-therapy";
const NEW_SLUG = "couples-therapy-up-close";
const DAY = 86_400_000;
/** The List-Id readers' mail filters already know: the old slug under the APP_URL host (serviceEnv's). */
const LIST_ID = `"Couples Therapy, Up Close" <couples-therapy.lessons.example.test>`;

/** Enrollment columns that say where a reader stands; none of them may change in the move. */
const PLACE = ["id", "subscriber_id", "status", "started_at", "next_slug", "next_due_at", "last_day", "last_sent_at", "completed_at", "paused_until"] as const;
type Place = Pick<Selectable<EnrollmentsTable>, (typeof PLACE)[number]>;

/** A start's log, kept so the test can read what boot said about former slugs. */
function recordingLog(lines: string[]): Logger {
  const keep = (message: string) => void lines.push(message);
  return { debug: keep, info: keep, warn: keep, error: keep };
}

interface Seeded {
  /** Where each reader stood before the upgrade, by reader name. */
  before: Record<string, Place>;
  course: Course;
}

/**
 * Writes what the old release left behind, through the old schema: five readers of the shipped
 * course under its old slug, at different places, with lesson 1 (and later ones) in the ledger as
 * the old scheduler wrote them, and the course-wide state (pause, schedule fingerprint).
 */
async function seedOldRelease(url: string, engine: Engine, now: number, options: { coursePaused: boolean }): Promise<Seeded> {
  const db = await openDatabase(url, { migrate: false });
  try {
    const schema = engine === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
    await migrateUpTo(db as Kysely<unknown>, "0010_confirm_reminder", schema);

    const course = await loadCourse(`content/${NEW_SLUG}`);
    const rules = scheduleRulesFor(course, undefined);
    const [lesson1, lesson2, lesson3] = course.lessons;
    if (!lesson1 || !lesson2 || !lesson3) throw new Error("the shipped course has three lessons");
    // Due times as the old scheduler computed them: the same plan, the same rules.
    const due = (startedAt: number, lastSentAt: number, timezone: string, day: number) => plannedDueAt(course, { startedAt, lastSentAt, timezone }, { day }, rules);

    const readers: { name: string; timezone: string; enrollment: Place; sent: string[] }[] = [];
    const reader = (name: string, timezone: string, enrollment: Omit<Place, "id" | "subscriber_id">, sent: string[]) =>
      readers.push({ name, timezone, enrollment: { id: `enr-${name}`, subscriber_id: `sub-${name}`, ...enrollment }, sent });

    // Lesson 1 ten days ago: lesson 2 (day 7) has been due for three days.
    const tenDaysAgo = now - 10 * DAY;
    reader("due", "UTC", { status: "active", started_at: tenDaysAgo, next_slug: lesson2.slug, next_due_at: due(tenDaysAgo, tenDaysAgo, "UTC", lesson2.day), last_day: lesson1.day, last_sent_at: tenDaysAgo, completed_at: null, paused_until: null }, [lesson1.slug]);
    // Lesson 1 two days ago: lesson 2 is five days away.
    const twoDaysAgo = now - 2 * DAY;
    reader("early", "Europe/Paris", { status: "active", started_at: twoDaysAgo, next_slug: lesson2.slug, next_due_at: due(twoDaysAgo, twoDaysAgo, "Europe/Paris", lesson2.day), last_day: lesson1.day, last_sent_at: twoDaysAgo, completed_at: null, paused_until: null }, [lesson1.slug]);
    // Lesson 2 three days ago: lesson 3 (day 14) is four days away.
    const threeDaysAgo = now - 3 * DAY;
    reader("lesson3", "America/New_York", { status: "active", started_at: tenDaysAgo, next_slug: lesson3.slug, next_due_at: due(tenDaysAgo, threeDaysAgo, "America/New_York", lesson3.day), last_day: lesson2.day, last_sent_at: threeDaysAgo, completed_at: null, paused_until: null }, [lesson1.slug, lesson2.slug]);
    // Paused for a week two days ago, with lesson 2 already overdue: it must wait for the pause to end.
    reader("paused", "UTC", { status: "paused", started_at: tenDaysAgo, next_slug: lesson2.slug, next_due_at: due(tenDaysAgo, tenDaysAgo, "UTC", lesson2.day), last_day: lesson1.day, last_sent_at: tenDaysAgo, completed_at: null, paused_until: now + 5 * DAY }, [lesson1.slug]);
    // Graduated a while ago.
    const monthAgo = now - 30 * DAY;
    reader("graduate", "UTC", { status: "completed", started_at: monthAgo, next_slug: null, next_due_at: null, last_day: course.graduationDay, last_sent_at: monthAgo + course.graduationDay * DAY, completed_at: monthAgo + course.graduationDay * DAY, paused_until: null }, [lesson1.slug, lesson2.slug, lesson3.slug, "#graduation"]);

    for (const r of readers) {
      const e = r.enrollment;
      await db
        .insertInto("subscribers")
        .values({ id: e.subscriber_id, email: `${r.name}@example.com`, name: null, timezone: r.timezone, status: "active", created_at: e.started_at - 60_000, updated_at: e.started_at, confirmed_at: e.started_at, unsubscribed_at: null, confirmation_sent_at: e.started_at - 60_000, consent_at: e.started_at - 60_000, consent_ip: null, consent_user_agent: null, consent_form: "web", consent_text_version: "v1" })
        .execute();
      // Consent records and the enrollment as 0010 had them: no course_slug column yet.
      await db.insertInto("consent_events").values({ id: `opt-${r.name}`, subscriber_id: e.subscriber_id, kind: "opt_in", at: e.started_at - 60_000, ip: null, user_agent: null, detail: null }).execute();
      await db.insertInto("enrollments").values({ ...e, course_slug: OLD_SLUG, created_at: e.started_at, updated_at: e.last_sent_at ?? e.started_at }).execute();
      for (const [i, slug] of r.sent.entries()) {
        const graduation = slug === "#graduation";
        const at = e.started_at + i * 7 * DAY;
        await db
          .insertInto("sends")
          .values({ id: `send-${r.name}-${i}`, dedupe_key: graduation ? `graduation:${e.id}` : `lesson:${e.id}:${slug}`, kind: graduation ? "graduation" : "lesson", subscriber_id: e.subscriber_id, enrollment_id: e.id, lesson_slug: graduation ? null : slug, status: "sent", attempts: 1, provider_id: `old-${r.name}-${i}`, error: null, enqueued_at: at, sent_at: at, created_at: at, updated_at: at })
          .execute();
      }
    }
    // What the old tick stored: the calendar fingerprint the enrollments were timed against.
    await db.insertInto("course_state").values({ course_slug: OLD_SLUG, paused: options.coursePaused ? 1 : 0, schedule_version: await scheduleVersion(course, undefined), updated_at: tenDaysAgo }).execute();
    return { before: Object.fromEntries(readers.map((r) => [r.name, r.enrollment])), course };
  } finally {
    await db.destroy();
  }
}

async function places(db: Database): Promise<{ slugs: string[]; byName: Record<string, Place> }> {
  const rows = await db.selectFrom("enrollments").select(["course_slug", ...PLACE]).orderBy("id").execute();
  return {
    slugs: [...new Set(rows.map((r) => r.course_slug))],
    byName: Object.fromEntries(rows.map(({ course_slug: _, ...place }) => [place.id.replace(/^enr-/, ""), place])),
  };
}

const courseState = (db: Database) => db.selectFrom("course_state").select(["course_slug", "paused", "schedule_version"]).orderBy("course_slug").execute();
const movedLines = (lines: string[]) => lines.filter((line) => line.includes("former slug"));

describe.each(ENGINES)("starting a single-course database from before the catalogue (%s)", (engine) => {
  let testDb: TestDatabase | undefined;
  let fake: FakeResend | undefined;
  let runtime: Runtime | undefined;
  const prefix = uniquePrefix(`catalogue-migration-${engine}`);

  afterEach(async () => {
    await runtime?.shutdown();
    runtime = undefined;
    await fake?.close();
    fake = undefined;
    await deleteKeys(prefix);
    await testDb?.drop();
    testDb = undefined;
  });

  /** The real service (this release's boot) on the seeded database, with the shipped content/. */
  async function boot(roles: Role[], log: string[]): Promise<Runtime> {
    const env = serviceEnv({ databaseUrl: testDb!.url, prefix, resendUrl: fake!.url }, { PORT: "0" });
    return start(roles, env, { log: recordingLog(log) });
  }

  it("keeps every reader on the same lesson, due at the same time, moves them only once, and sends the due reader lesson 2 with the List-Id they know", async () => {
    testDb = await createTestDatabase(engine);
    fake = await startFakeResend({ apiKey: TEST_API_KEY });
    const now = Date.now();
    const { before, course } = await seedOldRelease(testDb.url, engine, now, { coursePaused: false });
    const version = await scheduleVersion(course, undefined);

    // First start, HTTP only: no tick runs, so what changed is the upgrade's doing alone.
    const firstLog: string[] = [];
    runtime = await boot(["http"], firstLog);
    const first = await places(runtime.db);
    expect(first.slugs).toEqual([NEW_SLUG]);
    expect(first.byName).toEqual(before);
    expect(movedLines(firstLog)).toEqual([expect.stringMatching(/^moved 5 enrollments /)]);
    expect(await courseState(runtime.db)).toEqual([{ course_slug: NEW_SLUG, paused: 0, schedule_version: version }]);
    // Consent records are untouched: the opt-ins stand for all email (course_slug null).
    expect(await runtime.db.selectFrom("consent_events").select(["kind", "course_slug"]).execute()).toEqual(Array.from({ length: 5 }, () => ({ kind: "opt_in", course_slug: null })));
    const updatedAt = await runtime.db.selectFrom("enrollments").select(["id", "updated_at"]).orderBy("id").execute();
    await runtime.shutdown();
    runtime = undefined;

    // Second start, the whole service: nothing left to move, and the tick runs.
    const secondLog: string[] = [];
    runtime = await boot(["http", "workers"], secondLog);
    expect(movedLines(secondLog)).toEqual([]);
    expect(secondLog.filter((line) => line.includes("not in"))).toEqual([]);

    const lesson2 = course.lessons[1]!;
    const email = await waitFor("lesson 2 to reach the reader it was due for", () => fake!.emails.find((e) => e.to[0] === "due@example.com"));
    expect(email.subject).toBe(lesson2.subject);
    expect(email.headers["List-Id"]).toBe(LIST_ID);
    const sent = await waitFor("the ledger to record lesson 2 as sent", async () => {
      const row = await runtime!.db.selectFrom("sends").selectAll().where("dedupe_key", "=", `lesson:enr-due:${lesson2.slug}`).executeTakeFirst();
      return row?.status === "sent" ? row : undefined;
    });
    expect(sent).toMatchObject({ kind: "lesson", enrollment_id: "enr-due", lesson_slug: lesson2.slug, provider_id: email.id });

    // Lesson 1 went to no one again, and lesson 2 only to the reader it was due for.
    expect(fake.emails.map((e) => [e.to[0], e.subject])).toEqual([["due@example.com", lesson2.subject]]);
    const ledger = await runtime.db.selectFrom("sends").select(["enrollment_id", "lesson_slug"]).where("kind", "=", "lesson").where("status", "!=", "cancelled").execute();
    expect(ledger.filter((row) => row.lesson_slug === course.lessons[0]!.slug)).toHaveLength(5);

    const after = await places(runtime.db);
    expect(after.slugs).toEqual([NEW_SLUG]);
    // The due reader moved on by exactly one lesson; the others are where the upgrade left them.
    expect(after.byName.due).toMatchObject({ status: "active", started_at: before.due!.started_at, last_day: lesson2.day, next_slug: course.lessons[2]!.slug });
    for (const name of ["early", "lesson3", "paused", "graduate"]) expect(after.byName[name]).toEqual(before[name]);
    // The second start rewrote none of them (the move sets updated_at).
    const updatedAgain = await runtime.db.selectFrom("enrollments").select(["id", "updated_at"]).where("id", "!=", "enr-due").orderBy("id").execute();
    expect(updatedAgain).toEqual(updatedAt.filter((row) => row.id !== "enr-due"));
  }, 60_000);

  it("keeps a course an admin had paused paused under its new slug: the tick sends nothing until it is resumed", async () => {
    testDb = await createTestDatabase(engine);
    fake = await startFakeResend({ apiKey: TEST_API_KEY });
    const now = Date.now();
    const { course } = await seedOldRelease(testDb.url, engine, now, { coursePaused: true });

    // HTTP only, so the test runs the tick itself and reads what it did.
    runtime = await boot(["http"], []);
    expect(await courseState(runtime.db)).toEqual([{ course_slug: NEW_SLUG, paused: 1, schedule_version: await scheduleVersion(course, undefined) }]);
    const tick = () => runTick({ db: runtime!.db, catalogue: runtime!.catalogue, dispatcher: runtime!.producer }, Date.now());
    // Ledger rows the seed did not write.
    const newRows = () => runtime!.db.selectFrom("sends").select(["enrollment_id", "lesson_slug"]).where("id", "not like", "send-%").execute();

    expect((await tick()).queued).toBe(0);
    expect(await newRows()).toEqual([]);

    // Resumed, the same tick queues the overdue lesson 2 for the due reader (and only for them).
    await setCoursePaused(runtime.db, NEW_SLUG, false, Date.now());
    expect((await tick()).queued).toBe(1);
    expect(await newRows()).toEqual([{ enrollment_id: "enr-due", lesson_slug: course.lessons[1]!.slug }]);
  }, 60_000);
});
