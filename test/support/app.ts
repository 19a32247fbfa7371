import { catalogueOf } from "../../src/content/catalogue.ts";
import { createApp } from "../../src/app.ts";
import type { AppDeps } from "../../src/app.ts";
import type { Course } from "../../src/content/schema.ts";
import { loadCourse } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import type { Dispatcher } from "../../src/queue/dispatcher.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { createTestDatabase } from "./databases.ts";
import type { Engine, TestDatabase } from "./databases.ts";
import { createFakeDispatcher } from "./fake-dispatcher.ts";
import type { FakeDispatcher } from "./fake-dispatcher.ts";
import { TEST_SECRET } from "./stack.ts";

/**
 * createApp over a real database and a fake dispatcher, driven with app.request(). No Redis: what
 * reached the queue is in `dispatcher`'s record, and the ledger in `db` says the rest. Tests that
 * need BullMQ itself live in test/integration/.
 */
export interface TestApp {
  app: ReturnType<typeof createApp>;
  db: Database;
  course: Course;
  dispatcher: FakeDispatcher;
  clock: { now: number };
  close(): Promise<void>;
}

export async function makeTestApp(options: { engine?: Engine } = {}): Promise<TestApp> {
  const testDb: TestDatabase = await createTestDatabase(options.engine ?? "sqlite");
  const db = await openDatabase(testDb.url);
  const course = await loadCourse("content/couples-therapy-up-close");
  const dispatcher = createFakeDispatcher(db);
  const clock = { now: Date.now() };
  const parts = { db, course, dispatcher, clock };
  return {
    app: appFor(parts),
    ...parts,
    clock,
    async close() {
      await db.destroy();
      await testDb.drop();
    },
  };
}

/**
 * createApp over a test's database, course, dispatcher and clock, with the defaults every route
 * test shares; a test passes only what it changes (an admin token, a logger that records, a
 * limiter). An integration test may hand it the real producer as the dispatcher.
 */
export function appFor(t: Pick<TestApp, "db" | "course" | "clock"> & { dispatcher?: Dispatcher | undefined }, overrides: Partial<AppDeps> = {}): ReturnType<typeof createApp> {
  return createApp({
    db: t.db,
    catalogue: catalogueOf([t.course]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    dispatcher: t.dispatcher,
    clientIp: () => "203.0.113.7",
    now: () => t.clock.now,
    ...overrides,
  });
}

/** A form POST as a browser sends it from one of our pages (same Origin). */
export function form(fields: Record<string, string> = {}, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost", ...headers }, body: new URLSearchParams(fields) };
}

export function json(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) };
}
