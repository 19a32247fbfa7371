import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHTML } from "linkedom";
import { createApp } from "../../src/app.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database, EnrollmentStatus, SubscriberStatus } from "../../src/store/database.ts";
import { READER_BUCKETS } from "../../src/store/reader-counts.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { Engine, TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { runEntry } from "../support/processes.ts";
import { bulkReaders } from "../support/readers.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { serviceEnv, TEST_SECRET } from "../support/stack.ts";

/**
 * Issue #15, acceptance 2: readers in every state, and the dashboard, the course page,
 * GET /admin/api/stats and `admin stats` give the same numbers for the same course.
 */

const CONTENT_DIR = "test/fixtures/content/two-courses";
const ADMIN = "admin-token-for-tests-0123456789";
const ORIGIN = "http://localhost";
const MORNING = "morning-pages";
const NOW = Date.UTC(2026, 0, 5, 12);

/** Distinct numbers per bucket, so two buckets swapped anywhere would show. */
const EXPECTED = { pending: 3, active: 5, paused: 4, finished: 1, left: 6, unsubscribed: 2, bounced: 7, complained: 8 };
const TOTAL = Object.values(EXPECTED).reduce((a, b) => a + b, 0);

/** `n` readers of the course with this address status and enrollment status. */
async function seed(db: Database, catalogue: Catalogue, slug: string, n: number, reader: SubscriberStatus, enrollment: EnrollmentStatus): Promise<void> {
  const course = catalogue.get(slug)!;
  const ids = await bulkReaders(db, course, n, { confirmedAt: NOW - 86_400_000, nextDueAt: NOW, lastDay: 0 });
  await db.updateTable("subscribers").set({ status: reader }).where("id", "in", ids).execute();
  await db.updateTable("enrollments").set({ status: enrollment }).where("subscriber_id", "in", ids).execute();
}

describe.each(ENGINES)("reader counts agree everywhere (%s)", (engine: Engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let cookie: string;
  const prefix = uniquePrefix(`reader-counts-${engine}`);

  beforeAll(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    const catalogue = await loadCatalogue(CONTENT_DIR);
    await seed(db, catalogue, MORNING, 3, "pending", "pending");
    await seed(db, catalogue, MORNING, 5, "active", "active");
    await seed(db, catalogue, MORNING, 4, "active", "paused");
    await seed(db, catalogue, MORNING, 1, "active", "completed");
    await seed(db, catalogue, MORNING, 6, "active", "cancelled");
    // An address-wide stop wins over where the reader was in the course.
    await seed(db, catalogue, MORNING, 1, "unsubscribed", "active");
    await seed(db, catalogue, MORNING, 1, "unsubscribed", "paused");
    await seed(db, catalogue, MORNING, 7, "bounced", "active");
    await seed(db, catalogue, MORNING, 8, "complained", "completed");
    // Not this course's readers: an erased one, and readers of the other course only.
    await seed(db, catalogue, MORNING, 2, "deleted", "cancelled");
    await seed(db, catalogue, "evening-review", 9, "active", "active");

    app = createApp({
      db,
      catalogue,
      log: silentLogger,
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      adminToken: ADMIN,
      dispatcher: createFakeDispatcher(db),
      now: () => NOW,
    });
    const login = await app.request("/admin/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, body: new URLSearchParams({ secret: ADMIN }) });
    cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  }, 60_000);

  afterAll(async () => {
    await db?.destroy();
    await deleteKeys(prefix);
    await testDb?.drop();
  });

  const page = async (path: string) => {
    const response = await app.request(path, { headers: { cookie, accept: "text/html" } });
    expect(response.status).toBe(200);
    return parseHTML(await response.text()).document;
  };

  it("puts each reader of the course in one bucket, the buckets adding up to the total", async () => {
    const response = await app.request(`/admin/api/stats?course=${MORNING}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { counts: Record<string, number> };
    expect(body.counts).toEqual({ ...EXPECTED, total: TOTAL, signups: TOTAL, completed: EXPECTED.finished });
    expect(READER_BUCKETS.reduce((sum, b) => sum + body.counts[b]!, 0)).toBe(body.counts.total);
  });

  it("lists, behind each count's link, exactly the readers it counts", async () => {
    for (const bucket of READER_BUCKETS) {
      const response = await app.request(`/admin/api/subscribers?course=${MORNING}&status=${bucket}&limit=200`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(response.status, bucket).toBe(200);
      const page = (await response.json()) as { items: unknown[]; next: string | null };
      expect({ bucket, listed: page.items.length, more: page.next }).toEqual({ bucket, listed: EXPECTED[bucket], more: null });
    }
  });

  it("shows the same numbers on the dashboard, with what each one means", async () => {
    const doc = await page(`/admin?course=${MORNING}`);
    const shown = Object.fromEntries([...doc.querySelectorAll("li[data-count]")].map((li) => [li.getAttribute("data-count"), Number(li.querySelector("strong")?.textContent)]));
    expect(shown).toEqual({ ...EXPECTED, total: TOTAL });
    expect([...doc.querySelectorAll("details.legend dt")].map((dt) => dt.textContent)).toHaveLength(READER_BUCKETS.length);
  });

  it("shows the same numbers on the course page", async () => {
    const doc = await page(`/admin/course?course=${MORNING}`);
    const total = (key: string) => Number(doc.querySelector(`[data-total="${key}"]`)?.textContent);
    expect({ active: total("active"), paused: total("paused"), finished: total("finished"), left: total("left") }).toEqual({
      active: EXPECTED.active,
      paused: EXPECTED.paused,
      finished: EXPECTED.finished,
      left: EXPECTED.left,
    });
  });

  it("prints the same numbers from `admin stats`, as JSON and as text", async () => {
    const env = serviceEnv({ databaseUrl: testDb.url, prefix, resendUrl: "http://127.0.0.1:9" }, { CONTENT_DIR });
    const asJson = runEntry("src/cli/admin-cli.ts", env, ["stats", "--course", MORNING, "--json"]);
    const { code } = await asJson.exited;
    expect(code, asJson.output()).toBe(0);
    expect(JSON.parse(asJson.output().trim().split("\n").at(-1)!)).toEqual({ course: MORNING, ...EXPECTED, total: TOTAL });

    const asText = runEntry("src/cli/admin-cli.ts", env, ["stats", "--course", MORNING]);
    expect((await asText.exited).code, asText.output()).toBe(0);
    const lines = asText.output().split("\n");
    expect(lines).toContain(`Morning Pages (${MORNING}): ${TOTAL} readers`);
    for (const [bucket, n] of Object.entries(EXPECTED)) expect(lines.find((l) => l.trim().startsWith(`${bucket} `))?.trim().split(/ {2,}/).slice(0, 2)).toEqual([bucket, String(n)]);
  }, 60_000);
});
