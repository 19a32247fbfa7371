import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import { MORNING, seedAnalytics, WEBHOOK_SECRET } from "../support/analytics-seed.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { runEntry } from "../support/processes.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { serviceEnv, TEST_SECRET } from "../support/stack.ts";

/**
 * `npm run admin -- analytics`, as its own process, against a database holding the history of
 * test/support/analytics-seed.ts (two courses, so --course is required).
 */

const CONTENT_DIR = "test/fixtures/content/two-courses";

let testDb: TestDatabase;
let env: Record<string, string>;
const prefix = uniquePrefix("analytics-cli");

beforeAll(async () => {
  testDb = await createTestDatabase("sqlite");
  const db = await openDatabase(testDb.url);
  try {
    const app = createApp({
      db,
      catalogue: await loadCatalogue(CONTENT_DIR),
      log: silentLogger,
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      dispatcher: createFakeDispatcher(db),
      webhookSecret: WEBHOOK_SECRET,
      now: () => Date.now(),
    });
    await seedAnalytics(db, app);
  } finally {
    await db.destroy();
  }
  // No provider: the command only reads.
  env = serviceEnv({ databaseUrl: testDb.url, prefix, resendUrl: "http://127.0.0.1:9" }, { CONTENT_DIR });
});
afterAll(async () => {
  await deleteKeys(prefix);
  await testDb.drop();
});

const cli = async (...args: string[]) => {
  const child = runEntry("src/cli/admin-cli.ts", env, args);
  const { code } = await child.exited;
  return { code, output: child.output() };
};

/** A text table's line as its cells (columns are two or more spaces apart). */
const columns = (output: string, first: string) =>
  output
    .split("\n")
    .find((line) => line.startsWith(first))
    ?.split(/ {2,}/);

describe("admin CLI: analytics", () => {
  it("prints the course's lessons and its funnel as aligned tables", async () => {
    const { code, output } = await cli("analytics", "--course", MORNING);
    expect(code, output).toBe(0);
    expect(output).toContain("Morning Pages (morning-pages)");
    expect(columns(output, "Lesson")).toEqual(["Lesson", "Sent", "Delivered", "Opened", "Clicked", "Bounced", "Complained", "Unsubscribed"]);
    expect(columns(output, "1. First Light")).toEqual(["1. First Light", "6", "5 (83.3%)", "2 (40.0%)", "1 (20.0%)", "1 (16.7%)", "1 (20.0%)", "1 (20.0%)"]);
    expect(columns(output, "2. Keep Going")).toEqual(["2. Keep Going", "2", "2 (100.0%)", "1 (50.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "1 (50.0%)"]);
    expect(columns(output, "Week")).toEqual(["Week", "Joined", "Confirmed", "Lesson 1 sent", "Lesson 2 sent", "Graduated"]);
    expect(columns(output, "2030-W02")).toEqual(["2030-W02", "4", "3 (75.0%)", "3 (75.0%)", "2 (50.0%)", "1 (25.0%)"]);
    expect(columns(output, "Every week")).toEqual(["Every week", "7", "6 (85.7%)", "6 (85.7%)", "2 (28.6%)", "1 (14.3%)"]);
    expect(output).toContain("less than 7 days after this email");
  }, 30_000);

  it("prints either table as CSV with --csv", async () => {
    const lessons = await cli("analytics", "--course", MORNING, "--csv");
    expect(lessons.code, lessons.output).toBe(0);
    expect(lessons.output.split("\r\n").slice(0, 2)).toEqual([
      "lesson,title,sent,delivered,delivered_rate,opened,opened_rate,clicked,clicked_rate,bounced,bounced_rate,complained,complained_rate,unsubscribed,unsubscribed_rate",
      "first-light,First Light,6,5,0.8333,2,0.4000,1,0.2000,1,0.1667,1,0.2000,1,0.2000",
    ]);
    const funnel = await cli("analytics", "--course", MORNING, "--csv", "funnel");
    expect(funnel.code, funnel.output).toBe(0);
    expect(funnel.output).toBe("week,week_starts,signed-up,confirmed,lesson:first-light,lesson:keep-going,graduated\r\n2030-W02,2030-01-07,4,3,3,2,1\r\n2030-W03,2030-01-14,3,3,3,0,0\r\n");
  }, 30_000);

  it("exits 2 without --course in an install of two courses, for an unknown course, and for an unknown table", async () => {
    const missing = await cli("analytics");
    expect(missing.code, missing.output).toBe(2);
    expect(missing.output).toContain("--course");
    const unknown = await cli("analytics", "--course", "no-such-course");
    expect(unknown.code, unknown.output).toBe(2);
    expect(unknown.output).toContain('There is no course "no-such-course"');
    const table = await cli("analytics", "--course", MORNING, "--csv", "readers");
    expect(table.code, table.output).toBe(2);
    expect(table.output).toContain('--csv takes "lessons" or "funnel"');
  }, 30_000);
});
