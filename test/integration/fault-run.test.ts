import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { createProducer } from "../../src/queue/producer.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { startFakeResend } from "../support/fake-resend.ts";
import type { FakeResend } from "../support/fake-resend.ts";
import { freePort, runEntry, startRedisServer, stopAll } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { bulkReaders } from "../support/readers.ts";
import { uniquePrefix } from "../support/redis.ts";
import { serviceEnv, TEST_API_KEY, waitFor } from "../support/stack.ts";

const READERS = 300;
const DAY_SECONDS = 1;
const CHAOS_MS = 26_000;
const SEED = 20261125;

/** Small, seeded PRNG so a failing run can be replayed exactly. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The whole course for 300 readers while everything goes wrong: two worker processes killed with
 * SIGKILL again and again, Redis restarted (losing every job), a second scheduler ticking in
 * parallel, and a provider answering 429s, 5xxs and "accepted, but the answer was lost". At the end
 * every email went out exactly once and the ledger agrees with the provider.
 */
describe("fault run", () => {
  let fake: FakeResend;
  let testDb: TestDatabase;
  let db: Database;
  let redis: { stop(): Promise<void> } | undefined;
  const children: Child[] = [];

  afterEach(async () => {
    await stopAll(children);
    await redis?.stop();
    await db?.destroy();
    await fake?.close();
    await testDb?.drop();
  });

  it(`sends ${READERS} readers' course exactly once through crashes, a Redis restart, two schedulers, 429s and 5xxs`, async () => {
    const random = mulberry32(SEED);
    fake = await startFakeResend({ apiKey: TEST_API_KEY, storeBodies: false });
    testDb = await createTestDatabase("postgres");
    db = await openDatabase(testDb.url);
    const course = await loadCourse("content/couples-therapy-up-close");
    const port = await freePort();
    redis = await startRedisServer(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    const prefix = uniquePrefix("fault");
    const env = serviceEnv(
      { databaseUrl: testDb.url, prefix, resendUrl: fake.url, redisUrl },
      { COURSE_DAY_SECONDS: String(DAY_SECONDS), SEND_LOCK_MS: "2000", REOFFER_AFTER_MS: "3000", RESEND_RATE_LIMIT: "100", LOG_LEVEL: "warn" },
    );

    // Every 7th provider request is refused with a 429 and every 11th with a 503: some of each,
    // however few requests the batching leaves.
    const faults = { rateLimited: 0, serverErrors: 0 };
    let requests = 0;
    fake.setFault(() => {
      requests += 1;
      if (requests % 7 === 2) {
        faults.rateLimited += 1;
        return Response.json({ statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests." }, { status: 429, headers: { "retry-after": "1" } });
      }
      if (requests % 11 === 3) {
        faults.serverErrors += 1;
        return Response.json({ statusCode: 503, name: "application_error", message: "Service unavailable." }, { status: 503 });
      }
      return undefined;
    });

    await bulkReaders(db, course, READERS, { confirmedAt: Date.now(), nextDueAt: Date.now(), lastDay: -1 });
    const workers: Child[] = [runEntry("src/main-workers.ts", env), runEntry("src/main-workers.ts", env)];
    children.push(...workers);

    // A second scheduler in this process, ticking without the lock, alongside the workers' own.
    const producer = createProducer({ redisUrl, prefix, db });
    let chaos = true;
    // Its errors are expected while Redis is down; each one is counted, and so is each tick that ran.
    const second = { ticks: 0, errors: 0, queued: 0, offered: 0 };
    const scheduler = (async () => {
      while (chaos) {
        try {
          const result = await runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer, courseDaySeconds: DAY_SECONDS, reofferAfterMs: 3000 }, Date.now());
          second.ticks += 1;
          second.queued += result.queued;
          second.offered += result.offered;
        } catch {
          second.errors += 1;
        }
        await sleep(150);
      }
    })();

    const started = Date.now();
    let kills = 0;
    let redisRestarted = false;
    let victim = 0;
    const expected = READERS * (course.lessons.length + 1);
    // Done only when the whole course is out: between two lessons nothing is unsettled for a while.
    const allOut = async () => {
      const open = Number((await db.selectFrom("sends").select(db.fn.countAll<number>().as("n")).where("status", "in", ["queued", "sending"]).executeTakeFirstOrThrow()).n);
      const total = Number((await db.selectFrom("sends").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
      return open === 0 && total === expected;
    };
    // Each kill waits until the provider has heard from the workers since the last one: on a busy
    // machine a worker may take seconds to start, and a kill before it sends anything proves nothing.
    while (Date.now() - started < CHAOS_MS || kills < 8) {
      const seen = requests;
      const progressed = await waitFor("the provider to hear from a worker", async () => (requests > seen ? "request" : (await allOut()) ? "done" : undefined), 60_000);
      if (progressed === "done") break;
      await sleep(random() * 1000);
      const child = workers[victim]!;
      child.process.kill("SIGKILL");
      await child.exited;
      kills += 1;
      if (kills % 2 === 1 || random() < 0.5) fake.failNext(1, { status: 500, afterAccept: true });
      if (!redisRestarted && Date.now() - started > 9_000) {
        await redis.stop();
        await sleep(1500);
        redis = await startRedisServer(port);
        redisRestarted = true;
      }
      const replacement = runEntry("src/main-workers.ts", env);
      workers[victim] = replacement;
      children.push(replacement);
      victim = 1 - victim;
    }
    chaos = false;
    await scheduler;
    await producer.close();
    fake.setFault(undefined);

    await waitFor(
      "every email to settle",
      async () => {
        const open = await db.selectFrom("sends").select(db.fn.countAll<number>().as("n")).where("status", "in", ["queued", "sending"]).executeTakeFirstOrThrow();
        const total = await db.selectFrom("sends").select(db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
        return Number(open.n) === 0 && Number(total.n) === expected ? true : undefined;
      },
      90_000,
    );

    // Fewer than before, but each one now landed while the workers were talking to the provider.
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(redisRestarted).toBe(true);
    expect(faults.rateLimited).toBeGreaterThan(0);
    expect(faults.serverErrors).toBeGreaterThan(0);
    // Every kind of fault really happened: the hook's 429s and 503s, and "accepted, answer lost".
    const fired = fake.stats().faultsFired;
    expect(fired.hook).toBe(faults.rateLimited + faults.serverErrors);
    expect(fired.afterAccept, "the accepted-but-answer-lost fault never fired").toBeGreaterThan(0);
    // The second scheduler really ticked alongside the workers' own, and did work.
    expect(second.ticks, `second scheduler: ${JSON.stringify(second)}`).toBeGreaterThan(10);
    expect(second.queued + second.offered, `second scheduler: ${JSON.stringify(second)}`).toBeGreaterThan(0);

    const sends = await db.selectFrom("sends").select(["status", "provider_id", "subscriber_id", "lesson_slug", "kind", "error"]).execute();
    expect(sends.filter((s) => s.status !== "sent").map((s) => `${s.status}: ${s.error}`)).toEqual([]);
    expect(fake.emails).toHaveLength(expected);
    expect(fake.duplicates()).toEqual([]);
    expect(new Set(sends.map((s) => s.provider_id))).toEqual(new Set(fake.emails.map((e) => e.id)));
    const perReader = new Map<string, number>();
    for (const s of sends) perReader.set(s.subscriber_id, (perReader.get(s.subscriber_id) ?? 0) + 1);
    expect([...perReader.values()].every((n) => n === course.lessons.length + 1)).toBe(true);
    expect(perReader.size).toBe(READERS);
  }, 180_000);
});
