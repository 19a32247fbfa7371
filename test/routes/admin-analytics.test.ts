import { parseHTML } from "linkedom";
import Papa from "papaparse";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { catalogueOf } from "../../src/content/catalogue.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { deliverEvent, EVENING, MORNING, seedAnalytics, WEBHOOK_SECRET } from "../support/analytics-seed.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { TEST_SECRET } from "../support/stack.ts";
import { expectSoundPage } from "../http/views/page-checks.ts";

/**
 * The console's Analytics page, its CSV downloads and the JSON API, over the history of
 * test/support/analytics-seed.ts in the two-course fixture (exact figures on both databases are
 * in test/integration/analytics.test.ts).
 */

const ADMIN = "admin-token-for-analytics-0123456789";

let fixture: Catalogue;
beforeAll(async () => {
  fixture = await loadCatalogue("test/fixtures/content/two-courses");
});

let testDb: TestDatabase;
let db: Database;
let app: ReturnType<typeof createApp>;

function appWith(catalogue: Catalogue) {
  return createApp({
    db,
    catalogue,
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    dispatcher: createFakeDispatcher(db),
    adminToken: ADMIN,
    webhookSecret: WEBHOOK_SECRET,
    now: () => Date.now(),
  });
}

beforeEach(async () => {
  testDb = await createTestDatabase("sqlite");
  db = await openDatabase(testDb.url);
  app = appWith(fixture);
});
afterEach(async () => {
  await db.destroy();
  await testDb.drop();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  app.request(path, {
    headers: { authorization: `Bearer ${ADMIN}`, ...headers },
  });
const page = async (path: string) => {
  const response = await get(path);
  expect(response.status, path).toBe(200);
  return parseHTML(await response.text()).document as unknown as Document;
};
const cells = (doc: Document, selector: string) => [...doc.querySelectorAll(`${selector} > *`)].map((cell) => cell.textContent?.replace(/\s+/g, " ").trim());

describe("GET /admin/analytics", () => {
  beforeEach(async () => {
    await seedAnalytics(db, app);
  });

  it("shows the course's lessons with counts and rates, and the funnel by signup week, each beside an accessible chart", async () => {
    const doc = await page(`/admin/analytics?course=${MORNING}`);
    expectSoundPage(doc, ["app.css", "admin.css"]);
    expect(doc.querySelector("h1")?.textContent).toBe("Analytics: Morning Pages");
    expect(doc.querySelector('nav[aria-label="Admin"] a[aria-current="page"]')?.getAttribute("href")).toBe(`/admin/analytics?course=${MORNING}`);
    expect(doc.querySelector<HTMLSelectElement>("#course-switch option[selected]")?.getAttribute("value")).toBe(MORNING);

    expect(cells(doc, 'table.analytics-lessons tr[data-lesson="first-light"]')).toEqual(["1. First Light", "6", "5 (83.3%)", "2 (40.0%)", "1 (20.0%)", "1 (16.7%)", "1 (20.0%)", "1 (20.0%)"]);
    expect(cells(doc, 'table.analytics-lessons tr[data-lesson="keep-going"]')).toEqual(["2. Keep Going", "2", "2 (100.0%)", "1 (50.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "1 (50.0%)"]);
    expect(cells(doc, 'table.analytics-lessons tr[data-lesson="#graduation"]')).toEqual(["Graduation email", "1", "1 (100.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)"]);
    expect(cells(doc, 'table.analytics-funnel tr[data-week="2030-W02"]')).toEqual(["2030-W02 (from 2030-01-07)", "4", "3 (75.0%)", "3 (75.0%)", "2 (50.0%)", "1 (25.0%)"]);
    expect(cells(doc, 'table.analytics-funnel tr[data-week="2030-W03"]')).toEqual(["2030-W03 (from 2030-01-14)", "3", "3 (100.0%)", "3 (100.0%)", "0 (0.0%)", "0 (0.0%)"]);
    expect(cells(doc, 'table.analytics-funnel tr[data-week="all"]')).toEqual(["Every week", "7", "6 (85.7%)", "6 (85.7%)", "2 (28.6%)", "1 (14.3%)"]);

    // Each chart is one image with a name and a description that carries its numbers.
    const charts = [...doc.querySelectorAll("svg[data-chart]")];
    expect(charts.map((svg) => svg.getAttribute("data-chart"))).toEqual(["lessons", "funnel"]);
    for (const svg of charts) {
      expect(svg.getAttribute("role")).toBe("img");
      const [titleId, descId] = svg.getAttribute("aria-labelledby")!.split(" ");
      expect(svg.querySelector(`title#${titleId}`)?.textContent).toBeTruthy();
      expect(svg.querySelector(`desc#${descId}`)?.textContent).toBeTruthy();
    }
    expect(doc.querySelector("#lessons-chart-desc")?.textContent).toContain("1. First Light: delivered 83.3%, opened 40.0%, clicked 20.0%");
    expect(doc.querySelector("#funnel-chart-desc")?.textContent).toContain("Joined 7 (100.0%), Confirmed 6 (85.7%), Lesson 1 sent 6 (85.7%), Lesson 2 sent 2 (28.6%), Graduated 1 (14.3%)");
    const bars = [...doc.querySelectorAll('svg[data-chart="funnel"] rect')].map((rect) => Number(rect.getAttribute("width")));
    expect(bars[0]).toBeGreaterThan(bars[4]!);

    // The page says what "unsubscribed" counts, and there is nothing to warn about here.
    expect(doc.querySelector("dl.facts")?.textContent).toContain("less than 7 days after this email");
    expect(doc.querySelector("[data-note]")).toBeNull();
    expect([...doc.querySelectorAll("a[download]")].map((a) => a.getAttribute("href"))).toEqual([`/admin/analytics/lessons.csv?course=${MORNING}`, `/admin/analytics/funnel.csv?course=${MORNING}`]);
  });

  it("follows the course switcher, and says when no click was ever recorded (tracking may be off)", async () => {
    const doc = await page(`/admin/analytics?course=${EVENING}`);
    expect(doc.querySelector("h1")?.textContent).toBe("Analytics: Evening Review");
    expect(cells(doc, 'table.analytics-lessons tr[data-lesson="look-back"]')).toEqual(["1. Look Back", "1", "1 (100.0%)", "1 (100.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)"]);
    expect(cells(doc, 'table.analytics-lessons tr[data-lesson="let-go"]')).toEqual(["2. Let Go", "0", "0 (—)", "0 (—)", "0 (—)", "0 (—)", "0 (—)", "0 (—)"]);
    expect(doc.querySelector('[data-note="opens"]')).toBeNull();
    expect(doc.querySelector('[data-note="clicks"]')?.textContent).toContain("none recorded for this course: it may be off");
  });

  it("answers 404 for a course that is not in this install", async () => {
    expect((await get("/admin/analytics?course=no-such-course")).status).toBe(404);
    expect((await get("/admin/analytics/lessons.csv?course=no-such-course")).status).toBe(404);
  });
});

describe("GET /admin/analytics with nothing sent yet", () => {
  it("says so instead of drawing empty charts, and warns about no tracking only once something was sent", async () => {
    const doc = await page(`/admin/analytics?course=${MORNING}`);
    expect(doc.querySelectorAll("svg[data-chart]")).toHaveLength(0);
    expect(doc.body.textContent).toContain("No lesson of this course has been sent yet.");
    expect(doc.body.textContent).toContain("No reader has joined this course yet.");
    expect(doc.querySelector("[data-note]")).toBeNull();
    expect(cells(doc, 'table.analytics-lessons tr[data-lesson="first-light"]')).toEqual(["1. First Light", "0", "0 (—)", "0 (—)", "0 (—)", "0 (—)", "0 (—)", "0 (—)"]);
  });

  it("warns that opens and clicks may be off when lessons went out and no open or click came back", async () => {
    await readerWithLessonOne();
    const doc = await page(`/admin/analytics?course=${MORNING}`);
    expect(doc.querySelector('[data-note="opens"]')?.textContent).toContain("Opens come from the provider's tracking; none recorded for this course: it may be off");
    expect(doc.querySelector('[data-note="clicks"]')).not.toBeNull();
  });
});

/** One reader of Morning Pages whose lesson 1 was delivered, and nothing else. */
async function readerWithLessonOne(): Promise<void> {
  const at = Date.UTC(2030, 0, 7, 9);
  const subscriberId = crypto.randomUUID();
  const enrollmentId = crypto.randomUUID();
  await db
    .insertInto("subscribers")
    .values({
      id: subscriberId,
      email: "ida@example.com",
      name: null,
      timezone: "UTC",
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
  await db
    .insertInto("enrollments")
    .values({
      id: enrollmentId,
      subscriber_id: subscriberId,
      course_slug: MORNING,
      status: "active",
      started_at: at,
      next_slug: "keep-going",
      next_due_at: at,
      last_day: 0,
      last_sent_at: at,
      completed_at: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await db
    .insertInto("sends")
    .values({
      id: crypto.randomUUID(),
      dedupe_key: `lesson:${enrollmentId}:first-light`,
      kind: "lesson",
      subscriber_id: subscriberId,
      enrollment_id: enrollmentId,
      lesson_slug: "first-light",
      status: "sent",
      provider_id: "em_ida",
      error: null,
      enqueued_at: at,
      sent_at: at,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await deliverEvent(app, "email.delivered", "em_ida", at + 1000);
}

describe("CSV downloads", () => {
  beforeEach(async () => {
    await seedAnalytics(db, app);
  });

  it("downloads the lessons table with counts and fractional rates, one line per lesson", async () => {
    const response = await get(`/admin/analytics/lessons.csv?course=${MORNING}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=UTF-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="lessonpost-morning-pages-lessons.csv"');
    expect((await response.text()).split("\r\n")).toEqual([
      "lesson,title,sent,delivered,delivered_rate,opened,opened_rate,clicked,clicked_rate,bounced,bounced_rate,complained,complained_rate,unsubscribed,unsubscribed_rate",
      "first-light,First Light,6,5,0.8333,2,0.4000,1,0.2000,1,0.1667,1,0.2000,1,0.2000",
      "keep-going,Keep Going,2,2,1.0000,1,0.5000,0,0.0000,0,0.0000,0,0.0000,1,0.5000",
      "#graduation,Graduation email,1,1,1.0000,0,0.0000,0,0.0000,0,0.0000,0,0.0000,0,0.0000",
      "",
    ]);
  });

  it("downloads the funnel, one line per signup week and one column per step", async () => {
    const response = await get(`/admin/analytics/funnel.csv?course=${MORNING}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="lessonpost-morning-pages-funnel.csv"');
    expect((await response.text()).split("\r\n")).toEqual([
      "week,week_starts,signed-up,confirmed,lesson:first-light,lesson:keep-going,graduated",
      "2030-W02,2030-01-07,4,3,3,2,1",
      "2030-W03,2030-01-14,3,3,3,0,0",
      "",
    ]);
  });

  it("keeps every cell formula-safe: a lesson title a spreadsheet would run is quoted, and so is a removed lesson's slug", async () => {
    const morning = fixture.get(MORNING)!;
    const hostile: Course = {
      ...morning,
      lessons: morning.lessons.map((l, i) => (i === 0 ? { ...l, title: '=HYPERLINK("https://evil.example","x")' } : l)),
    };
    // keep-going is no longer in the course: its emails still count, under its slug.
    const removed: Course = {
      ...hostile,
      lessons: hostile.lessons.slice(0, 1),
    };
    app = appWith(catalogueOf([removed, fixture.get(EVENING)!]));
    const rows = Papa.parse<string[]>((await (await get(`/admin/analytics/lessons.csv?course=${MORNING}`)).text()).trim()).data;
    expect(rows.map((r) => r[1])).toEqual(["title", `'=HYPERLINK("https://evil.example","x")`, "Graduation email", "keep-going (no longer in the course)"]);
    expect(rows[3]![0]).toBe("keep-going");
    expect(rows[3]![2]).toBe("2");
  });
});

describe("GET /admin/api/courses/:slug/analytics", () => {
  it("needs the admin token, and names the courses when the slug is not one", async () => {
    expect((await app.request(`/admin/api/courses/${MORNING}/analytics`)).status).toBe(401);
    const unknown = await get("/admin/api/courses/no-such-course/analytics");
    expect(unknown.status).toBe(404);
    const body = (await unknown.json()) as {
      error: { code: string; message: string };
    };
    expect(body.error.code).toBe("course_unknown");
    expect(body.error.message).toContain("evening-review, morning-pages");
  });

  it("answers an empty course with zero counts, null rates and no weeks", async () => {
    const response = await get(`/admin/api/courses/${EVENING}/analytics`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      lessons: {
        key: string;
        sent: number;
        opened: { count: number; rate: number | null };
      }[];
      funnel: { weeks: unknown[]; total: number[] };
      tracking: unknown;
    };
    expect(body.lessons.map((l) => [l.key, l.sent, l.opened])).toEqual([
      ["look-back", 0, { count: 0, rate: null }],
      ["let-go", 0, { count: 0, rate: null }],
      ["#graduation", 0, { count: 0, rate: null }],
    ]);
    expect(body.funnel).toMatchObject({ weeks: [], total: [0, 0, 0, 0, 0] });
    expect(body.tracking).toEqual({ opens: false, clicks: false });
  });
});
