import { afterEach, describe, expect, it } from "vitest";
import { createProducer } from "../../src/queue/producer.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { recordSignup } from "../../src/store/subscribers.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { startFakeResend } from "../support/fake-resend.ts";
import type { FakeResend } from "../support/fake-resend.ts";
import { runEntry, stopAll } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../support/redis.ts";
import { serviceEnv, TEST_API_KEY, waitFor } from "../support/stack.ts";

/** Worker processes as they run in production: real signals, real crashes. */
describe("worker process lifecycle", () => {
  let fake: FakeResend;
  let testDb: TestDatabase;
  let db: Database;
  let prefix: string;
  const children: Child[] = [];

  async function setUp(latencyMs: number) {
    fake = await startFakeResend({ apiKey: TEST_API_KEY, latencyMs });
    testDb = await createTestDatabase("sqlite");
    db = await openDatabase(testDb.url);
    prefix = uniquePrefix("proc");
  }

  afterEach(async () => {
    await stopAll(children);
    await db.destroy();
    await fake.close();
    await deleteKeys(prefix);
    await testDb.drop();
  });

  const env = (extra: Record<string, string> = {}) => serviceEnv({ databaseUrl: testDb.url, prefix, resendUrl: fake.url }, extra);

  async function queueConfirmation(email: string): Promise<string> {
    const { confirmationSendId } = await recordSignup(
      db,
      { email, name: null, timezone: "UTC", ip: null, userAgent: null, form: "test", consentTextVersion: "test" },
      Date.now(),
    );
    const producer = createProducer({ redisUrl: REDIS_URL, prefix, db });
    await producer.enqueueSends([confirmationSendId!]);
    await producer.close();
    return confirmationSendId!;
  }

  function startWorker(extra: Record<string, string> = {}): Child {
    const child = runEntry("src/main-workers.ts", env(extra));
    children.push(child);
    return child;
  }

  /** Resolves when the fake has received a request but not yet answered it. */
  function requestArrives(): Promise<void> {
    return new Promise((resolve) => {
      fake.setFault(() => {
        resolve();
        return undefined;
      });
    });
  }

  const row = (id: string) => db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

  it("SIGTERM lets the in-flight send finish, then exits 0", async () => {
    await setUp(1_500);
    const sendId = await queueConfirmation("inflight@example.com");
    const arrived = requestArrives();
    const worker = startWorker();
    await arrived;
    worker.process.kill("SIGTERM");
    const { code } = await worker.exited;
    expect(code, worker.output()).toBe(0);
    expect(worker.output()).toContain("shut down cleanly");
    expect(fake.emails).toHaveLength(1);
    expect(await row(sendId)).toMatchObject({ status: "sent", provider_id: fake.emails[0]!.id });
  });

  it("a worker killed mid-send and restarted never sends the same email twice", async () => {
    await setUp(1_500);
    const sendId = await queueConfirmation("crash@example.com");
    const arrived = requestArrives();
    const first = startWorker({ SEND_LOCK_MS: "2000" });
    await arrived;
    // The provider has the request; the worker dies before it hears the answer or updates the ledger.
    first.process.kill("SIGKILL");
    await first.exited;
    await waitFor("the provider to accept the first request", () => fake.emails.length === 1 || undefined);
    expect((await row(sendId)).status).toBe("sending");

    fake.setFault(undefined);
    fake.setLatency(0);
    startWorker({ SEND_LOCK_MS: "2000" });
    const settled = await waitFor("the restarted worker to settle the row", async () => {
      const r = await row(sendId);
      return r.status === "sent" ? r : undefined;
    }, 30_000);

    expect(fake.emails).toHaveLength(1);
    expect(fake.duplicates()).toEqual([]);
    expect(settled.provider_id).toBe(fake.emails[0]!.id);
    expect(settled.attempts).toBe(2);
    // The retry reached the provider with the same Idempotency-Key and was answered from its store.
    const keyed = fake.requests.filter((r) => r.idempotencyKey === `lessonpost-send-${sendId}`);
    expect(keyed.map((r) => r.outcome)).toEqual(["accepted", "replayed"]);
  });
});

describe("a signal during start-up", () => {
  const children: Child[] = [];
  let testDb: TestDatabase;
  let prefix: string;
  afterEach(async () => {
    await stopAll(children);
    await deleteKeys(prefix);
    await testDb.drop();
  });

  // An orchestrator may stop a service while it is still starting. The first start-up line is
  // printed after the database is open and before the queues, workers and HTTP listener exist; a
  // SIGTERM sent the moment it appears must still end in the clean shutdown, not Node's default kill.
  it("is held until start-up finishes, then shuts down cleanly with exit 0", async () => {
    testDb = await createTestDatabase("sqlite");
    prefix = uniquePrefix("early-signal");
    const child = runEntry("src/main.ts", serviceEnv({ databaseUrl: testDb.url, prefix, resendUrl: "http://127.0.0.1:9" }, { PORT: "0" }));
    children.push(child);
    await new Promise<void>((resolve) => {
      const onData = () => {
        if (!child.output().includes("database:")) return;
        child.process.stdout?.off("data", onData);
        child.process.stderr?.off("data", onData);
        child.process.kill("SIGTERM");
        resolve();
      };
      child.process.stdout?.on("data", onData);
      child.process.stderr?.on("data", onData);
    });
    const { code, signal } = await child.exited;
    expect({ code, signal }, child.output()).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain("SIGTERM received");
    expect(child.output()).toContain("shut down cleanly");
  });
});

describe("start-up without Redis", () => {
  // It must stop on its own rather than wait for Redis forever (the check gives up after 5 s); how
  // long that takes on a busy machine is not what is asserted.
  it("stops on its own with one clear line naming REDIS_URL, and no stack trace", async () => {
    const child = runEntry("src/main.ts", { NODE_ENV: "test", REDIS_URL: "redis://127.0.0.1:1", DATABASE_URL: "sqlite::memory:", PORT: "0" });
    const { code } = await child.exited;
    const output = child.output().trim();
    expect(code).toBe(1);
    expect(output.split("\n")).toHaveLength(1);
    expect(output).toContain("REDIS_URL=redis://127.0.0.1:1");
    expect(output).toMatch(/redis-server|docker run/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it("names the variable when the configuration is invalid", async () => {
    const child = runEntry("src/main.ts", { NODE_ENV: "test", PORT: "not-a-port" });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.output()).toContain("PORT");
    expect(child.output()).not.toMatch(/\n\s+at /);
  });
});
