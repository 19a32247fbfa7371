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

const READERS = 5000;

/**
 * A newsletter to 5,000 readers whose worker is killed partway through (twice) and restarted.
 * Progress only ever counts what the provider accepted, so the restart resumes where the ledger
 * says, and every reader gets the newsletter exactly once.
 */
describe("broadcast through a worker crash", () => {
  let fake: FakeResend;
  let testDb: TestDatabase;
  let db: Database;
  let prefix: string;
  const children: Child[] = [];
  afterEach(async () => {
    await stopAll(children);
    await db.destroy();
    await fake.close();
    await deleteKeys(prefix);
    await testDb.drop();
  });

  it(`sends a ${READERS}-reader newsletter exactly once across SIGKILLs`, async () => {
    fake = await startFakeResend({ apiKey: TEST_API_KEY, latencyMs: 150, storeBodies: false });
    testDb = await createTestDatabase("postgres");
    db = await openDatabase(testDb.url);
    prefix = uniquePrefix("bcrash");
    const course = await loadCourse("content/couples-therapy-up-close");
    // Readers with no lesson due for days: only the newsletter moves.
    await bulkReaders(db, course, READERS, { confirmedAt: Date.now(), nextDueAt: Date.now() + 5 * 24 * 3600_000, lastDay: 0 });
    const id = await createBroadcast(db, course, { subject: "A note between lessons", markdown: "Hello **everyone**.", audience: { kind: "all" } }, Date.now());
    await startBroadcast(db, id, Date.now());

    const env = serviceEnv(
      { databaseUrl: testDb.url, prefix, resendUrl: fake.url },
      { SEND_LOCK_MS: "2000", REOFFER_AFTER_MS: "3000", RESEND_RATE_LIMIT: "10", SEND_CONCURRENCY: "4", LOG_LEVEL: "warn" },
    );
    for (const at of [800, 2500]) {
      const worker = runEntry("src/main-workers.ts", env);
      children.push(worker);
      await waitFor(`${at} emails accepted`, () => (fake.emails.length >= at ? true : undefined), 60_000);
      worker.process.kill("SIGKILL");
      await worker.exited;
    }
    const midway = fake.emails.length;
    expect(midway).toBeLessThan(READERS);
    children.push(runEntry("src/main-workers.ts", env));

    const done = await waitFor("the newsletter to finish", async () => {
      const p = await broadcastProgress(db, id);
      return p?.status === "sent" ? p : undefined;
    }, 120_000);
    expect(done).toMatchObject({ total: READERS, sent: READERS, failed: 0, queued: 0, materialized: true });
    expect(fake.emails).toHaveLength(READERS);
    expect(fake.duplicates()).toEqual([]);
    expect(new Set(fake.emails.map((e) => e.to[0])).size).toBe(READERS);
    expect(fake.emails.every((e) => e.batch)).toBe(true);
    const ids = (await db.selectFrom("sends").select("provider_id").where("broadcast_id", "=", id).execute()).map((r) => r.provider_id);
    expect(new Set(ids)).toEqual(new Set(fake.emails.map((e) => e.id)));
  }, 240_000);
});
