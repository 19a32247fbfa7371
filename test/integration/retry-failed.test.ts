import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { createBroadcast, startBroadcast } from "../../src/store/broadcasts.ts";
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

const READERS = 150;

/**
 * A newsletter through a slow provider whose worker is killed three times mid-request, with
 * answers lost after acceptance, and one attempt per email: rows fail although the provider holds
 * their emails. "Retry all failed" repeats each original request under its original key, so the
 * provider answers with what it already sent instead of sending it again.
 */
describe("retry all failed", () => {
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

  it("after workers killed mid-request, retrying everything failed gives each reader exactly one email", async () => {
    fake = await startFakeResend({ apiKey: TEST_API_KEY, latencyMs: 1200, storeBodies: false });
    testDb = await createTestDatabase("postgres");
    db = await openDatabase(testDb.url);
    prefix = uniquePrefix("retryall");
    const course = await loadCourse("content/couples-therapy-up-close");
    await bulkReaders(db, course, READERS, { confirmedAt: Date.now(), nextDueAt: Date.now() + 5 * 24 * 3600_000, lastDay: 0 });
    const id = await createBroadcast(db, course, { subject: "A note between lessons", markdown: "Hello.", audience: { kind: "all" } }, Date.now());
    await startBroadcast(db, id, Date.now());
    let arrivals = 0;
    fake.setFault(() => {
      arrivals += 1;
      return undefined;
    });
    const env = serviceEnv(
      { databaseUrl: testDb.url, prefix, resendUrl: fake.url },
      { SEND_LOCK_MS: "2000", REOFFER_AFTER_MS: "3000", RESEND_RATE_LIMIT: "10", SEND_ATTEMPTS: "1", SEND_CONCURRENCY: "2", LOG_LEVEL: "warn" },
    );

    for (let kill = 0; kill < 3; kill++) {
      const seen = arrivals;
      const worker = runEntry("src/main-workers.ts", env);
      children.push(worker);
      await waitFor("a request in flight", () => (arrivals > seen ? true : undefined), 60_000);
      worker.process.kill("SIGKILL");
      await worker.exited;
    }
    // The provider already holds what the killed workers sent; the last worker's retries of those
    // requests meet a 503, and with one attempt per email the rows are marked failed.
    fake.failNext(2, { status: 503 });
    children.push(runEntry("src/main-workers.ts", env));
    await waitFor("every newsletter row to settle", async () => {
      const open = await db.selectFrom("sends").select("id").where("broadcast_id", "=", id).where("status", "in", ["queued", "sending"]).executeTakeFirst();
      return open ? undefined : true;
    }, 120_000);
    const failed = await db.selectFrom("sends").select("id").where("broadcast_id", "=", id).where("status", "=", "failed").execute();
    expect(failed.length, "the faults left no failed rows to retry").toBeGreaterThan(0);
    expect(fake.stats().faultsFired.beforeAccept).toBeGreaterThan(0);

    const cli = runEntry("src/cli/admin-cli.ts", env, ["retry-failed", "--wait"]);
    const { code } = await cli.exited;
    expect(code, cli.output()).toBe(0);
    expect(cli.output()).toContain(`Retried ${failed.length} failed email`);

    const rows = await db.selectFrom("sends").select(["status", "provider_id", "subscriber_id"]).where("broadcast_id", "=", id).execute();
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(fake.duplicates()).toEqual([]);
    expect(fake.emails).toHaveLength(READERS);
    expect(new Set(fake.emails.map((e) => e.to[0])).size).toBe(READERS);
  }, 240_000);
});
