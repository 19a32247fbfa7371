import { DateTime } from "luxon";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { catalogueOf } from "../../src/content/catalogue.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { queueDueEmails } from "../../src/commands/queue-due-emails.ts";
import { explainNextLesson } from "../../src/domain/reader-timeline.ts";
import { createProducer } from "../../src/queue/producer.ts";
import type { Producer } from "../../src/queue/producer.ts";
import { readerDetail } from "../../src/store/admin-queries.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { upsertEnrollment } from "../../src/store/enrollments.ts";
import { queuedSend } from "../../src/store/sends.ts";
import { verifyToken } from "../../src/tokens.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../support/redis.ts";
import { startStack, TEST_SECRET, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * Two courses in one install (test/fixtures/content/two-courses: morning-pages, whose `next` is
 * evening-review; different publishers, senders and List-Ids; both send lesson 2 on day 2 at
 * 07:00), and one reader in both.
 */
const CONTENT_DIR = "test/fixtures/content/two-courses";
const HOUR = 3600_000;
const DAY = 24 * HOUR;

let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = await loadCatalogue(CONTENT_DIR);
});

/** A confirmed reader enrolled in both courses at `at`, nothing sent yet. */
async function readerInBoth(db: Database, email: string, timezone: string, at: number): Promise<{ subscriberId: string; enrollments: Record<string, string> }> {
  const subscriberId = crypto.randomUUID();
  await db
    .insertInto("subscribers")
    .values({
      id: subscriberId,
      email,
      name: "Ann",
      timezone,
      status: "active",
      created_at: at,
      updated_at: at,
      confirmed_at: at,
      unsubscribed_at: null,
      confirmation_sent_at: at,
      consent_at: at,
      consent_ip: null,
      consent_user_agent: null,
      consent_form: "test",
      consent_text_version: "test",
    })
    .execute();
  const enrollments: Record<string, string> = {};
  for (const course of catalogue.courses) enrollments[course.slug] = await upsertEnrollment(db, subscriberId, course.slug, course.lessons[0]!.slug, at);
  return { subscriberId, enrollments };
}

describe.each(ENGINES)("several courses, one reader (%s)", (engine) => {
  describe("the emails, through the send worker and the provider", () => {
    let stack: Stack;
    beforeEach(async () => {
      // The scheduler's own tick is slowed right down: this test drives the tick's clock itself.
      stack = await startStack(engine, { env: { CONTENT_DIR, TICK_MS: "60000" } });
    });
    afterEach(async () => {
      await stack.stop();
    });

    it("sends each lesson 1 at once with its own course's sender, Reply-To, List-Id, subject and footer, and offers the next course only on morning-pages' graduation", async () => {
      const { db, producer } = stack.runtime;
      const t0 = Date.now();
      const { enrollments } = await readerInBoth(db, "ann@example.com", "UTC", t0);
      // Joining both at once: each lesson 1 goes at once, on the same day (the one exception).
      // (The stack's own scheduler may tick first; either way each lesson 1 is queued once.)
      await runTick({ db, catalogue, dispatcher: producer }, t0);
      const firsts = await waitFor("both lesson 1s", () => (stack.fake.emails.length === 2 ? stack.fake.emails : undefined));
      const bySubject = (subject: string) => firsts.find((e) => e.subject === subject)!;

      const morning = bySubject("Morning Pages 1: First light");
      expect(morning.from).toBe('"Dawn Letters" <lessons@example.test>');
      expect(morning.reply_to).toEqual(["dawn@dawn-letters.example"]);
      expect(morning.headers["List-Id"]).toBe('"Morning Pages" <morning-pages.dawn-letters.example>');
      expect(morning.text).toContain("You get this because you joined Morning Pages at dawn-letters.example.");
      expect(morning.text).toContain("Dawn Letters Ltd, 1 Sunrise Road, Brighton, UK");

      const evening = bySubject("Evening Review 1: Look back");
      expect(evening.from).toBe('"Dusk Notes" <lessons@example.test>');
      expect(evening.reply_to).toEqual(["dusk@dusk-notes.example"]);
      expect(evening.headers["List-Id"]).toBe('"Evening Review" <evening-review.dusk-notes.example>');
      expect(evening.text).toContain("Dusk Notes GmbH, 2 Abendweg, Berlin, Germany");
      for (const email of [morning, evening]) expect(`${email.from}\n${email.text}\n${email.html}`).not.toContain("Lessonpost");
      expect(evening.text).not.toMatch(/Dawn/);
      expect(morning.text).not.toMatch(/Dusk/);

      // Both readers' courses reach their end: the graduations, a day apart as the rule wants.
      await db.updateTable("enrollments").set({ last_day: 2, next_slug: "#graduation", next_due_at: 0 }).where("id", "in", Object.values(enrollments)).execute();
      for (let t = t0 + 3 * DAY; t <= t0 + 6 * DAY; t += 6 * HOUR) await runTick({ db, catalogue, dispatcher: producer }, t);
      const graduations = await waitFor("both graduation emails", () => {
        const found = stack.fake.emails.filter((e) => e.subject.startsWith("You finished"));
        return found.length === 2 ? found : undefined;
      });
      const rows = await db.selectFrom("sends").innerJoin("enrollments", "enrollments.id", "sends.enrollment_id").select(["sends.id", "sends.created_at", "enrollments.course_slug"]).where("sends.kind", "=", "graduation").execute();
      expect(new Set(rows.map((r) => new Date(Number(r.created_at)).toISOString().slice(0, 10))).size).toBe(2);

      const morningGraduation = graduations.find((e) => e.subject === "You finished Morning Pages")!;
      const join = morningGraduation.text?.match(/Join Evening Review:\n(https:\/\/lessons\.example\.test\/join\/([\w.-]+))/);
      expect(join).not.toBeNull();
      expect(morningGraduation.html).toContain(`href="${join![1]}"`);
      // The link names this very graduation email's ledger row; the join page does the rest, on a POST.
      const morningRow = rows.find((r) => r.course_slug === "morning-pages")!;
      expect(await verifyToken(TEST_SECRET, join![2]!, "join-next")).toMatchObject({ ok: true, claims: { subject: morningRow.id } });
      const eveningGraduation = graduations.find((e) => e.subject === "You finished Evening Review")!;
      expect(eveningGraduation.from).toBe('"Dusk Notes" <lessons@example.test>');
      expect(`${eveningGraduation.text}${eveningGraduation.html}`).not.toContain("/join/");
      // Nobody is enrolled anywhere by the offer itself.
      expect(await db.selectFrom("enrollments").select("id").execute()).toHaveLength(2);
      expect(stack.fake.duplicates()).toEqual([]);
    });

    it.each([["a single send", undefined], ["a provider batch", 100]] as const)("fails an email whose course is gone from content/ instead of sending it under another course's identity (%s)", async (_how, batchSize) => {
      const { db, producer } = stack.runtime;
      const t0 = Date.now();
      const { enrollments } = await readerInBoth(db, "gone@example.com", "UTC", t0);
      await runTick({ db, catalogue, dispatcher: producer }, t0);
      await waitFor("both lesson 1s", () => (stack.fake.emails.length === 2 ? true : undefined));
      // The provider has them; the ledger settles once the worker has recorded its answers (a lesson
      // still in flight holds its course, so nothing would be due yet).
      await waitFor("both lesson 1 rows settled", async () =>
        (await db.selectFrom("sends").select("id").where("status", "in", ["queued", "sending"]).execute()).length === 0 ? true : undefined,
      );
      // Evening-review's folder is renamed away (its readers now under a slug content/ no longer
      // has), with its lesson 2 due; morning-pages is left, so nothing else has the day.
      await db.updateTable("enrollments").set({ status: "cancelled" }).where("id", "=", enrollments["morning-pages"]!).execute();
      await db.updateTable("enrollments").set({ course_slug: "retired-course", next_due_at: 0 }).where("id", "=", enrollments["evening-review"]!).execute();
      // A scheduler that still knew the course queued it before it went.
      const before = catalogueOf([...catalogue.courses, { ...catalogue.get("evening-review")!, slug: "retired-course" }]);
      const { sendIds, batchIds } = await queueDueEmails({ db, catalogue: before, now: () => t0 + 3 * DAY }, batchSize ? { batchSize } : {});
      expect(sendIds).toHaveLength(1);
      expect(batchIds).toHaveLength(batchSize ? 1 : 0);
      if (batchSize) await producer.enqueueBatches(batchIds);
      else await producer.enqueueSends(sendIds);
      const row = await waitFor("the row to fail", async () => {
        const r = await db.selectFrom("sends").select(["status", "error"]).where("id", "=", sendIds[0]!).executeTakeFirstOrThrow();
        return r.status === "failed" ? r : undefined;
      });
      expect(row.error).toContain('"retired-course" is no longer in content/');
      expect(stack.fake.emails).toHaveLength(2);
    });
  });

  describe("the confirmation of a signup", () => {
    let stack: Stack;
    beforeEach(async () => {
      stack = await startStack(engine, { env: { CONTENT_DIR } });
    });
    afterEach(async () => {
      await stack.stop();
    });

    it("speaks for the course the reader signed up for, not the catalogue's first", async () => {
      const { db, producer } = stack.runtime;
      const now = Date.now();
      const { subscriberId, enrollments } = await readerInBoth(db, "pending@example.com", "UTC", now);
      // Signed up for morning-pages only, not yet confirmed (evening-review sorts first).
      await db.updateTable("subscribers").set({ status: "pending", confirmed_at: null }).where("id", "=", subscriberId).execute();
      await db.updateTable("enrollments").set({ status: "pending", next_due_at: null }).where("id", "=", enrollments["morning-pages"]!).execute();
      await db.deleteFrom("enrollments").where("id", "=", enrollments["evening-review"]!).execute();
      const row = queuedSend({ dedupeKey: `confirm:${subscriberId}:${now}`, kind: "confirm", subscriberId }, now);
      await db.insertInto("sends").values(row).execute();
      await producer.enqueueSends([row.id]);
      const confirmation = await waitFor("the confirmation", () => stack.fake.emails.find((e) => e.to.some((to) => to.includes("pending@example.com"))));
      expect(confirmation.from).toBe('"Dawn Letters" <lessons@example.test>');
      expect(confirmation.subject).toBe("Confirm your subscription to Morning Pages");
      expect(confirmation.text).toContain("a free 2-lesson email course from Dawn Letters");
    });
  });

  describe("the schedule, with the tick's clock in the test's hands", () => {
    let testDb: TestDatabase;
    let db: Database;
    let producer: Producer;
    let prefix: string;
    beforeEach(async () => {
      testDb = await createTestDatabase(engine);
      db = await openDatabase(testDb.url);
      prefix = uniquePrefix("courses");
      producer = createProducer({ redisUrl: REDIS_URL, prefix, db });
    });
    afterEach(async () => {
      await producer.close();
      await db.destroy();
      await deleteKeys(prefix);
      await testDb.drop();
    });

    /** One pass at `now`; whatever it queued the provider takes at once (no worker here). */
    const tick = async (now: number) => {
      await runTick({ db, catalogue, dispatcher: producer }, now);
      await db.updateTable("sends").set({ status: "sent", sent_at: now }).where("status", "=", "queued").execute();
    };
    const emailsOf = async (subscriberId: string) =>
      db
        .selectFrom("sends")
        .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
        .select(["enrollments.course_slug as course", "sends.kind", "sends.lesson_slug as lesson", "sends.created_at as at"])
        .where("sends.subscriber_id", "=", subscriberId)
        .orderBy("sends.created_at")
        .execute();

    it.each(["UTC", "Asia/Tokyo"])("never sends a reader in %s two courses' scheduled lessons on one local day, and the timeline says why one waits", async (zone) => {
      const joined = DateTime.fromISO("2026-03-02T10:00", { zone }).toMillis();
      const reader = await readerInBoth(db, "both@example.com", zone, joined);
      await tick(joined);
      expect((await emailsOf(reader.subscriberId)).map((e) => e.lesson)).toEqual(expect.arrayContaining(["first-light", "look-back"]));

      // Day 2, 07:00 local: both lesson 2s are due; one goes, the other is re-filed for tomorrow.
      const day2 = DateTime.fromISO("2026-03-04T07:00", { zone }).toMillis();
      await tick(day2);
      const sent = (await emailsOf(reader.subscriberId)).filter((e) => e.lesson === "keep-going" || e.lesson === "let-go");
      expect(sent).toHaveLength(1);
      const went = sent[0]!.course;
      const waiting = went === "morning-pages" ? "evening-review" : "morning-pages";
      const held = await db.selectFrom("enrollments").selectAll().where("id", "=", reader.enrollments[waiting]!).executeTakeFirstOrThrow();
      const day3 = DateTime.fromISO("2026-03-05T07:00", { zone }).toMillis();
      expect(Number(held.next_due_at)).toBe(day3);

      // The admin's timeline for the waiting course names the course whose lesson has the day.
      const detail = await readerDetail(db, reader.subscriberId, waiting);
      const next = explainNextLesson(catalogue.get(waiting)!, detail!, day2 + HOUR, undefined, catalogue);
      expect(next.sentence).toContain(`waits a day: ${catalogue.get(went)!.name} lesson 2 went out that day`);
      expect(next.dueAt).toBe(day3);

      // The rest of the week, every three hours: every email arrives, never two courses' on one local day.
      for (let t = day2 + 3 * HOUR; t <= day2 + 6 * DAY; t += 3 * HOUR) await tick(t);
      const all = await emailsOf(reader.subscriberId);
      expect(all).toHaveLength(6);
      const scheduled = all.filter((e) => !(e.kind === "lesson" && (e.lesson === "first-light" || e.lesson === "look-back")));
      const days = scheduled.map((e) => DateTime.fromMillis(Number(e.at), { zone }).toISODate());
      expect(new Set(days).size).toBe(scheduled.length);
      // Each at the 07:00 send hour of the reader's own zone.
      for (const e of scheduled) expect(DateTime.fromMillis(Number(e.at), { zone }).hour).toBe(7);
    });

    it("sends lesson 1 of a course joined later at once, even on a day the other course's lesson went out", async () => {
      const t0 = Date.UTC(2026, 3, 6, 10);
      const reader = await readerInBoth(db, "later@example.com", "UTC", t0);
      // Only morning-pages at first: evening-review is joined on morning-pages' lesson 2 day.
      await db.updateTable("enrollments").set({ status: "cancelled" }).where("id", "=", reader.enrollments["evening-review"]!).execute();
      await tick(t0);
      const day2 = Date.UTC(2026, 3, 8, 7);
      await tick(day2);
      const joinedAt = day2 + 3 * HOUR;
      await upsertEnrollment(db, reader.subscriberId, "evening-review", "look-back", joinedAt);
      await db.updateTable("enrollments").set({ started_at: joinedAt, last_day: -1, last_sent_at: null }).where("id", "=", reader.enrollments["evening-review"]!).execute();
      await tick(joinedAt);
      const today = (await emailsOf(reader.subscriberId)).filter((e) => Number(e.at) >= day2).map((e) => `${e.course}:${e.lesson}`);
      expect(today).toEqual(["morning-pages:keep-going", "evening-review:look-back"]);
    });
  });
});
