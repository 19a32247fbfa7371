import { html } from "hono/html";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue, loadCourse } from "../../../src/content/load.ts";
import type { Course } from "../../../src/content/schema.ts";
import { broadcastListPage, broadcastPage } from "../../../src/http/views/admin/broadcasts.tsx";
import type { BroadcastPageView, ComposeValues, ProgressView } from "../../../src/http/views/admin/broadcasts.tsx";
import { coursePage, lessonPreviewPage } from "../../../src/http/views/admin/course.tsx";
import { dashboardPage, queuesPage } from "../../../src/http/views/admin/dashboard.tsx";
import { failedPage } from "../../../src/http/views/admin/failed.tsx";
import { adminLayout } from "../../../src/http/views/admin/layout.tsx";
import { loginPage } from "../../../src/http/views/admin/login.tsx";
import type { CourseNav } from "../../../src/http/views/admin/parts.tsx";
import { readersPage } from "../../../src/http/views/admin/readers.tsx";
import type { OutgoingEmail } from "../../../src/send/mailer.ts";
import type { Broadcast } from "../../../src/store/broadcasts.ts";
import { expectSoundPage, render } from "./page-checks.ts";

const HOSTILE = `<script>alert("x")</script>`;
const ADMIN_CSS = ["app.css", "admin.css"];

let course: Course;
let nav: CourseNav;
beforeAll(async () => {
  course = await loadCourse("content/couples-therapy-up-close");
  nav = { current: course, courses: [course] };
});

const email: OutgoingEmail = {
  from: "Course <course@example.com>",
  to: "ada@example.com",
  subject: `Spring ${HOSTILE}`,
  html: "<p>Hello</p>",
  text: `Hello ${HOSTILE}`,
  headers: { "List-Unsubscribe": `<https://lessons.example.test/unsubscribe/${"t".repeat(80)}>` },
  idempotencyKey: "k",
};

function draft(overrides: Partial<Broadcast> = {}): Broadcast {
  return {
    id: "b1",
    subject: `Spring ${HOSTILE}`,
    status: "draft",
    lesson_slug: null,
    audience: "all",
    created_at: 0,
    scheduled_at: null,
    started_at: null,
    finished_at: null,
    ...overrides,
  } as Broadcast;
}

const progress: ProgressView = {
  total: 0,
  queued: 0,
  sent: 0,
  failed: 0,
  cancelled: 0,
  bounced: 0,
  delivered: 0,
  expected: 3,
  settled: 0,
  percent: 0,
  done: false,
  statusLabel: "Draft",
} as ProgressView;

const values: ComposeValues = { subject: "", preview: "", markdown: "", lesson: "", audience: "all", when: "now", scheduledAt: "", timezone: "UTC" };

function broadcastView(overrides: Partial<BroadcastPageView> = {}): BroadcastPageView {
  return {
    course,
    nav,
    broadcast: draft(),
    audience: { value: "all", label: "All active readers", size: 3 },
    progress,
    zones: ["UTC", "Europe/Paris"],
    preview: { email, htmlUrl: "/admin/broadcasts/b1/preview", readerParam: "", readerLabel: "a sample reader" },
    ...overrides,
  };
}

describe("admin pages as components", () => {
  it("are each a sound page under the console shell, with one current section in the nav", async () => {
    const pages = [
      dashboardPage({ course, nav, counts: { total: 1, pending: 0, active: 1, paused: 0, finished: 0, left: 0, unsubscribed: 0, bounced: 0, complained: 0 }, series: [{ day: "2025-12-10", signups: 1, sends: 2 }], queue: null, failed: [], failedTotal: 0, zone: "UTC" }),
      queuesPage({ waiting: 1 }),
      readersPage({ course, nav, q: "", status: undefined, page: { items: [], next: null, prev: null }, zone: "UTC" }),
      failedPage({ course, nav, rows: [], total: 0, zone: "UTC" }),
      coursePage({ course, nav, paused: false, daySeconds: undefined, lessons: [], graduation: { waiting: 0, waitingPaused: 0 }, counts: { total: 0, pending: 0, active: 0, paused: 0, finished: 0, left: 0, unsubscribed: 0, bounced: 0, complained: 0 } }),
      broadcastListPage({ course, nav, broadcasts: [], audiences: [{ value: "all", label: "All active readers", size: 3 }], zones: ["UTC"], values }),
      broadcastPage(broadcastView()),
    ];
    for (const page of pages) {
      const doc = await render(page);
      expectSoundPage(doc, ADMIN_CSS);
      expect(doc.querySelector('meta[name="robots"]')?.getAttribute("content")).toBe("noindex");
      expect(doc.body.getAttribute("class")).toBe("admin");
      expect(doc.querySelectorAll('nav[aria-label="Admin"] a[aria-current="page"]')).toHaveLength(1);
    }
  });

  it("shares the document shell with the login page, which has no nav", async () => {
    const login = await render(loginPage({ next: "/admin", passwordEnabled: true, tokenEnabled: true }));
    expectSoundPage(login, ADMIN_CSS);
    expect(login.querySelector("nav")).toBeNull();
    expect(login.querySelector('meta[name="robots"]')?.getAttribute("content")).toBe("noindex");
    expect(login.querySelector('label[for="secret"]')?.textContent).toBe("Admin token or password");
  });

  it("keeps markup a route built with hono/html as markup, and escapes a plain string", async () => {
    const built = await render(adminLayout("Import", "import", html`<p class="report">${HOSTILE}</p>`));
    expect(built.querySelector("main.admin-main p.report")?.textContent).toBe(HOSTILE);
    expect(built.querySelectorAll("script:not([src])")).toHaveLength(0);
    const plain = await render(adminLayout("Import", "import", "<p>plain text, not a paragraph</p>"));
    expect(plain.querySelector("main.admin-main")?.textContent).toBe("<p>plain text, not a paragraph</p>");
    expect(plain.querySelector("main.admin-main p")).toBeNull();
  });

  it("shows a reader's name and email as text in the readers list", async () => {
    const doc = await render(
      readersPage({
        course,
        nav,
        q: HOSTILE,
        status: "active",
        page: { items: [{ id: "r1", email: `${HOSTILE}@example.com`, name: HOSTILE, status: "active", created_at: 0, enrollment_status: null, next_slug: null, next_due_at: null }], next: null, prev: null },
        zone: "UTC",
        message: HOSTILE,
      }),
    );
    expect(doc.querySelectorAll("script:not([src])")).toHaveLength(0);
    expect(doc.querySelector('tr[data-reader="r1"] td:nth-child(2)')?.textContent).toBe(HOSTILE);
    expect(doc.querySelector('tr[data-reader="r1"] a')?.textContent).toBe(`${HOSTILE}@example.com`);
    expect(doc.getElementById("q")?.getAttribute("value")).toBe(HOSTILE);
    expect(doc.querySelector('[role="status"]')?.textContent).toBe(HOSTILE);
    expect([...doc.querySelectorAll("#status option[selected]")].map((o) => o.getAttribute("value"))).toEqual(["active"]);
  });

  it("previews a lesson and a newsletter with the same email preview: a sandboxed frame and the text part", async () => {
    const lesson = await render(
      lessonPreviewPage({ course, nav, slug: course.lessons[0]!.slug, title: course.lessons[0]!.title, reader: { id: "r1", email: "ada@example.com", sample: false }, readerParam: "ada@example.com", email }),
    );
    const newsletter = await render(broadcastPage(broadcastView()));
    for (const doc of [lesson, newsletter]) {
      const frame = doc.querySelector("iframe");
      expect(frame?.getAttribute("sandbox")).toBe("");
      expect(doc.querySelector("pre[data-field='text']")?.textContent).toBe(email.text);
      expect(doc.querySelector(`p.hint a[href="${frame?.getAttribute("src")}"]`)?.textContent).toBe("Open the HTML on its own");
      expect(doc.querySelectorAll("script:not([src])")).toHaveLength(0);
    }
    expect(lesson.querySelector("iframe")?.getAttribute("src")).toBe(`/admin/preview/${course.lessons[0]!.slug}?reader=r1`);
    expect(lesson.querySelector("iframe")?.getAttribute("title")).toBe("HTML version of the email");
    expect(newsletter.querySelector("iframe")?.getAttribute("title")).toBe("HTML version of the newsletter");
    // The lesson preview shows the envelope too; its long header values may wrap.
    expect(lesson.querySelector("td[data-field='subject']")?.textContent).toBe(email.subject);
    const header = [...lesson.querySelectorAll("tr")].find((tr) => tr.querySelector("th")?.textContent === "List-Unsubscribe");
    expect(header?.querySelector("code")?.textContent).toBe(email.headers["List-Unsubscribe"]);
    expect(header?.querySelectorAll("wbr").length).toBeGreaterThan(0);
    expect(newsletter.querySelector("strong[data-field='subject']")?.textContent).toBe(email.subject);
  });

  it("lets a broadcast page poll its progress only once it is on its way", async () => {
    const drafted = await render(broadcastPage(broadcastView()));
    expect(drafted.getElementById("broadcast-progress")?.hasAttribute("data-progress-url")).toBe(false);
    expect(drafted.querySelectorAll("script")).toHaveLength(1);
    expect(drafted.querySelector("script")?.getAttribute("src")).toMatch(/^\/assets\/admin\.[0-9a-z]+\.js$/);

    const sending = await render(broadcastPage(broadcastView({ broadcast: draft({ status: "sending", started_at: 0 }) })));
    const bar = sending.getElementById("broadcast-progress");
    expect(bar?.getAttribute("data-progress-url")).toBe("/admin/broadcasts/b1/progress.json");
    expect(bar?.getAttribute("data-done")).toBe("false");
    expect(sending.querySelector("section[data-progress] form[data-hide-when-done] button")?.textContent).toBe("Cancel newsletter");
    // The subject reaches the confirmation prompt as an attribute value, not as markup.
    expect(drafted.querySelector("button[data-confirm^='Send “Spring']")?.getAttribute("data-confirm")).toBe(`Send “Spring ${HOSTILE}” to 3 readers now?`);
  });

  it("draws the daily chart as an SVG with a titled point per day and a table of the same numbers", async () => {
    const series = [
      { day: "2025-12-09", signups: 1, sends: 0 },
      { day: "2025-12-10", signups: 2, sends: 1 },
    ];
    const doc = await render(
      dashboardPage({ course, nav, counts: { total: 3, pending: 0, active: 3, paused: 0, finished: 0, left: 0, unsubscribed: 0, bounced: 0, complained: 0 }, series, queue: { waiting: 2 }, failed: [], failedTotal: 0, zone: "UTC" }),
    );
    const svg = doc.querySelector("figure.chart svg");
    expect(svg?.getAttribute("viewBox")).toBe("0 0 720 240");
    expect([...doc.querySelectorAll("circle.point.signups title")].map((t) => t.textContent)).toEqual(["9 Dec: 1 signups", "10 Dec: 2 signups"]);
    expect([...doc.querySelectorAll("figure.chart tbody tr")].map((tr) => tr.textContent)).toEqual(["2025-12-0910", "2025-12-1021"]);
    expect(doc.querySelector('table.queue-stats tr[data-health="waiting"] td')?.textContent).toBe("2");
    expect(doc.querySelector('table.queue-raw tr[data-state="waiting"] td')?.textContent).toBe("2");
    expect(doc.querySelector('li[data-count="total"] strong')?.textContent).toBe("3");
  });

  it("labels the chart's axis with round numbers and ends the last date label at its point, so the edge cannot clip it", async () => {
    // 30 days whose busiest day has 37 signups: the old axis read 10/19/28/37-style steps.
    const series = Array.from({ length: 30 }, (_, i) => ({ day: `2025-11-${String(i + 1).padStart(2, "0")}`, signups: i === 12 ? 37 : i % 4, sends: i % 7 }));
    const doc = await render(
      dashboardPage({ course, nav, counts: { total: 0, pending: 0, active: 0, paused: 0, finished: 0, left: 0, unsubscribed: 0, bounced: 0, complained: 0 }, series, queue: null, failed: [], failedTotal: 0, zone: "UTC" }),
    );
    const values = [...doc.querySelectorAll("figure.chart svg text.axis:not([data-tick])")].map((t) => t.textContent);
    expect(values).toEqual(["0", "10", "20", "30", "40"]);
    const dates = [...doc.querySelectorAll("figure.chart svg text[data-tick]")];
    expect(dates.at(-1)?.getAttribute("data-tick")).toBe("2025-11-30");
    expect(dates.at(-1)?.getAttribute("text-anchor")).toBe("end");
    expect(dates.map((d) => d.getAttribute("data-tick"))).toEqual(["2025-11-01", "2025-11-06", "2025-11-11", "2025-11-16", "2025-11-21", "2025-11-26", "2025-11-30"]);
    expect(doc.querySelector("figure.chart figcaption")?.textContent).toContain("Signups: 80 in 30 days, at most 37 a day");

    // With 28 days, day 26 (index 25) would sit two days from the last label: it is left out.
    const short = await render(
      dashboardPage({ course, nav, counts: { total: 0, pending: 0, active: 0, paused: 0, finished: 0, left: 0, unsubscribed: 0, bounced: 0, complained: 0 }, series: series.slice(0, 28), queue: null, failed: [], failedTotal: 0, zone: "UTC" }),
    );
    expect([...short.querySelectorAll("figure.chart svg text[data-tick]")].map((d) => d.getAttribute("data-tick")).slice(-2)).toEqual(["2025-11-21", "2025-11-28"]);
  });

  it("shows a course switcher only when there are several courses, and keeps the nav's per-course links on the chosen one", async () => {
    const catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    const two = await render(adminLayout("Readers", "readers", html`<h1>Readers</h1>`, { nav: { current: catalogue.get("evening-review")!, courses: catalogue.courses } }));
    expectSoundPage(two, ADMIN_CSS);
    const switcher = two.querySelector("form.course-switch");
    expect(switcher?.getAttribute("method")).toBe("get");
    expect(switcher?.getAttribute("action")).toBe("/admin/readers");
    expect([...two.querySelectorAll("#course-switch option")].map((o) => [o.getAttribute("value"), o.hasAttribute("selected")])).toEqual([
      ["evening-review", true],
      ["morning-pages", false],
    ]);
    const links = Object.fromEntries([...two.querySelectorAll('nav[aria-label="Admin"] a')].map((a) => [a.textContent, a.getAttribute("href")]));
    expect(links.Readers).toBe("/admin/readers?course=evening-review");
    expect(links.Course).toBe("/admin/course?course=evening-review");
    expect(links.Queues).toBe("/admin/queues");

    const one = await render(adminLayout("Readers", "readers", "", { nav }));
    expect(one.querySelector("form.course-switch")).toBeNull();
    expect(one.querySelector('nav[aria-label="Admin"] a[aria-current="page"]')?.getAttribute("href")).toBe("/admin/readers");
  });
});
