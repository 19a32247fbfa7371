import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { broadcastProgress, createBroadcast, startBroadcast } from "../../src/store/broadcasts.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { startFakeResend } from "../support/fake-resend.ts";
import type { FakeResend } from "../support/fake-resend.ts";
import { runEntry, stopAll } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { bulkReaders } from "../support/readers.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { serviceEnv, TEST_API_KEY, waitFor } from "../support/stack.ts";

const RATE = 4;
const COURSE_READERS = 200;
const NEWSLETTER_READERS = 1000;

/**
 * The scale-out shape: three worker processes on one PostgreSQL and one Redis, running a course
 * and a newsletter at once. Every email goes out exactly once, and the provider, enforcing the
 * limit the three processes share through Redis, never has to refuse a request.
 */
describe("three worker processes", () => {
  let fake: FakeResend;
  let testDb: TestDatabase;
  let db: Database;
  let prefix: string;
  const children: Child[] = [];
  afterEach(async () => {
    await stopAll(children, "SIGTERM");
    await db.destroy();
    await fake.close();
    await deleteKeys(prefix);
    await testDb.drop();
  });

  it("share the work and the provider rate limit, and send everything exactly once", async () => {
    // The provider enforces RATE a second as APIs do, with a token bucket: the rate must hold on
    // average, and a burst of two seconds' worth passes (requests started evenly, but held up
    // together by a busy machine on their way, arrive bunched).
    fake = await startFakeResend({ apiKey: TEST_API_KEY, storeBodies: false, rateLimit: { requestsPerSecond: RATE, window: "bucket", burst: 2 * RATE } });
    testDb = await createTestDatabase("postgres");
    db = await openDatabase(testDb.url);
    prefix = uniquePrefix("scale");
    const course = await loadCourse("content/couples-therapy-up-close");
    const now = Date.now();
    await bulkReaders(db, course, COURSE_READERS, { confirmedAt: now, nextDueAt: now, lastDay: -1 });
    // Readers who finished the course: they get only the newsletter.
    await bulkReaders(db, course, NEWSLETTER_READERS, { confirmedAt: now, nextDueAt: now, lastDay: 99, status: "completed" });
    const id = await createBroadcast(db, course, { subject: "Three workers, one limit", markdown: "Hello.", audience: { kind: "all" } }, now);
    await startBroadcast(db, id, now);

    const env = serviceEnv({ databaseUrl: testDb.url, prefix, resendUrl: fake.url }, { COURSE_DAY_SECONDS: "0.5", RESEND_RATE_LIMIT: String(RATE), LOG_LEVEL: "info" });
    for (let i = 0; i < 3; i++) children.push(runEntry("src/main-workers.ts", env));

    const expected = COURSE_READERS * (course.lessons.length + 1) + COURSE_READERS + NEWSLETTER_READERS;
    await waitFor("every email", () => (fake.emails.length >= expected ? true : undefined), 120_000);
    await waitFor("the newsletter to settle", async () => ((await broadcastProgress(db, id))?.status === "sent" ? true : undefined));
    // The provider has every email; the ledger is settled when each worker has recorded its answer.
    await waitFor("every ledger row to be settled", async () => ((await db.selectFrom("sends").select("id").where("status", "!=", "sent").execute()).length === 0 ? true : undefined));

    expect(fake.emails).toHaveLength(expected);
    expect(fake.duplicates()).toEqual([]);
    // What the provider enforces: it never had to refuse a request. Counts per wall-clock second
    // are not asserted: starts are spaced in Redis, but a loaded machine can delay a request into
    // the next one's second, which says nothing about the rate kept.
    const seconds = fake.requestsPerSecondSeen();
    expect(seconds.reduce((n, s) => n + s.rateLimited, 0)).toBe(0);
    // All three processes did some of the sending, and none logged an error.
    for (const child of children) {
      expect(child.output()).toMatch(/ info +(batch )?sent /);
      expect(child.output()).not.toMatch(/ error /);
    }
  }, 180_000);
});
