import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { courseAnalytics } from "../../src/commands/analytics.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { EVENING, MORNING, MORNING_FUNNEL, MORNING_LESSONS, seedAnalytics, WEBHOOK_SECRET } from "../support/analytics-seed.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * Per-lesson figures and the cohort funnel of one course, exact, on both databases: the history in
 * test/support/analytics-seed.ts (provider events through the signed webhook route, leaving
 * through the store), read back by the command and by the JSON API.
 */

const ADMIN = "admin-token-for-analytics-0123456789";

let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = await loadCatalogue("test/fixtures/content/two-courses");
});

describe.each(ENGINES)("course analytics (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let app: ReturnType<typeof createApp>;
  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    app = createApp({
      db,
      catalogue,
      log: silentLogger,
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      dispatcher: createFakeDispatcher(db),
      adminToken: ADMIN,
      webhookSecret: WEBHOOK_SECRET,
      // The webhook's signature time is checked against the app's clock: the real one.
      now: () => Date.now(),
    });
    await seedAnalytics(db, app);
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it("counts each lesson's sent, delivered, opened, clicked, bounced, complained and unsubscribed, with rates, and nothing of another course or of newsletters", async () => {
    const data = await courseAnalytics({ db }, catalogue.get(MORNING)!);
    const figures = data.lessons.map((l) => ({
      key: l.key,
      sent: l.sent,
      ...Object.fromEntries((["delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"] as const).map((k) => [k, [l[k].count, l[k].rate]])),
    }));
    expect(figures).toEqual(
      MORNING_LESSONS.map((l) => ({
        ...l,
        delivered: [...l.delivered],
        opened: [...l.opened],
        clicked: [...l.clicked],
        bounced: [...l.bounced],
        complained: [...l.complained],
        unsubscribed: [...l.unsubscribed],
      })),
    );
    expect(data.lessons.map((l) => l.title)).toEqual(["First Light", "Keep Going", "Graduation email"]);
    expect(data.tracking).toEqual({ opens: true, clicks: true });

    const evening = await courseAnalytics({ db }, catalogue.get(EVENING)!);
    expect(evening.lessons.map((l) => [l.key, l.sent, l.delivered.count, l.opened.count, l.unsubscribed.count])).toEqual([
      ["look-back", 1, 1, 1, 0],
      ["let-go", 0, 0, 0, 0],
      ["#graduation", 0, 0, 0, 0],
    ]);
    // No base, no rate: a lesson nobody was sent has no percentages to show.
    expect(evening.lessons[1]!.opened.rate).toBeNull();
    expect(evening.tracking).toEqual({ opens: true, clicks: false });
  });

  it("groups readers by the ISO week (UTC) they joined the course, then confirmed, each lesson sent and graduated", async () => {
    const data = await courseAnalytics({ db }, catalogue.get(MORNING)!);
    expect(data.funnel.steps.map((s) => s.key)).toEqual(["signed-up", "confirmed", "first-light", "keep-going", "#graduation"]);
    expect(data.funnel.weeks).toEqual(MORNING_FUNNEL.map((w) => ({ ...w, counts: [...w.counts] })));
    expect(data.funnel.total).toEqual([7, 6, 6, 2, 1]);
    const evening = await courseAnalytics({ db }, catalogue.get(EVENING)!);
    expect(evening.funnel.weeks).toEqual([{ week: "2030-W02", startsOn: "2030-01-07", counts: [1, 1, 1, 0, 0] }]);
  });

  it("answers the same figures as JSON at GET /admin/api/courses/:slug/analytics, and 404 for a course that is not here", async () => {
    const response = await app.request(`/admin/api/courses/${MORNING}/analytics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      course: string;
      lessons: { key: string; sent: number; unsubscribed: { count: number; rate: number | null } }[];
      funnel: { weeks: unknown[] };
      leftWithinDays: number;
    };
    expect(body.course).toBe(MORNING);
    expect(body.leftWithinDays).toBe(7);
    expect(body.lessons.map((l) => [l.key, l.sent, l.unsubscribed])).toEqual([
      ["first-light", 6, { count: 1, rate: 0.2 }],
      ["keep-going", 2, { count: 1, rate: 0.5 }],
      ["#graduation", 1, { count: 0, rate: 0 }],
    ]);
    expect(body.funnel.weeks).toEqual(MORNING_FUNNEL);
    const unknown = await app.request("/admin/api/courses/no-such-course/analytics", { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "course_unknown" } });
  });
});
