import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Course } from "../../src/content/schema.ts";
import type { Database } from "../../src/store/database.ts";
import { bulkReaders } from "../support/readers.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * The admin console in a real browser against the real service (HTTP + workers, real Redis, a real
 * database, the fake Resend): log in, find a reader, send them a lesson from their timeline, preview
 * and test-send a lesson, then send a newsletter to 1,000 readers and watch its progress bar fill.
 * Every page visited is saved to build/screenshots/admin/ for a human to look at.
 */

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = resolve(import.meta.dirname, "../../build/screenshots/admin");
const ADMIN = "admin-token-for-browser-tests-0123456789";
const DAY = 24 * 3600_000;

let browser: Browser;
let context: BrowserContext | undefined;
let stack: Stack | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. The admin console test needs Debian's chromium: run \`apt-get update && apt-get install -y chromium\`.`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  // The browser's keep-alive connections would hold the server open.
  await context?.close();
  context = undefined;
  await stack?.stop();
  stack = undefined;
});

/** A confirmed reader who has had lesson 1 and waits for lesson 2, days away. */
async function reader(db: Database, course: Course, email: string, name: string, now: number): Promise<string> {
  const [id] = await bulkReaders(db, course, 1, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: course.lessons[0]!.day });
  await db.updateTable("subscribers").set({ email, name }).where("id", "=", id!).execute();
  return id!;
}

async function shoot(page: Page, name: string): Promise<void> {
  // Email previews sit in frames; let them finish so the screenshot shows them.
  for (const frame of page.frames()) await frame.waitForLoadState("load");
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the console's own login form, as an admin would. */
async function logIn(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/login`);
  await shoot(page, "login");
  await page.locator('input[name="secret"]').fill(ADMIN);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/admin/login")), page.locator('input[name="secret"]').press("Enter")]);
  expect(new URL(page.url()).pathname.startsWith("/admin")).toBe(true);
}

describe("admin console (headless Chromium)", () => {
  it("logs in, finds a reader and sends them lesson 2 from their timeline", async () => {
    stack = await startStack("sqlite", { env: { ADMIN_TOKEN: ADMIN } });
    const { baseUrl, fake, runtime } = stack;
    const course = runtime.catalogue.primary;
    const [, second] = course.lessons;
    const now = Date.now();
    // Nobody is due for days, so only what the admin does sends email.
    const dana = await reader(runtime.db, course, "dana@example.com", "Dana", now);
    await bulkReaders(runtime.db, course, 20, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: 0 });

    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    const scriptErrors: string[] = [];
    page.on("pageerror", (error) => scriptErrors.push(error.message));

    await logIn(page, baseUrl);
    await shoot(page, "after-login");
    await page.goto(`${baseUrl}/admin/readers`);
    await shoot(page, "readers");
    await page.locator('input[name="q"]').fill("dana@example.com");
    await Promise.all([page.waitForURL(/[?&]q=/), page.locator('input[name="q"]').press("Enter")]);
    await shoot(page, "readers-search");
    await Promise.all([page.waitForURL(`${baseUrl}/admin/readers/${dana}**`), page.locator(`a[href^="/admin/readers/${dana}"]`).first().click()]);
    await shoot(page, "reader-timeline");
    const lessonSelect = page.locator(`select:has(option[value="${second!.slug}"])`).first();
    await lessonSelect.selectOption(second!.slug);
    await lessonSelect.locator("xpath=ancestor::form").getByRole("button", { name: /send/i }).click();
    await page.waitForLoadState("load");
    await shoot(page, "reader-timeline-sent");
    const lesson2 = await waitFor("lesson 2 at the provider", () => fake.emails.find((e) => e.subject === second!.subject && e.to.some((to) => to.includes("dana@example.com"))), 20_000);
    expect(lesson2.text).toContain(second!.author);
    expect(fake.emails.filter((e) => e.subject === second!.subject)).toHaveLength(1);
    expect(scriptErrors).toEqual([]);
  });

  it("previews and test-sends a lesson, and follows a 1,000-reader newsletter to 100%", async () => {
    stack = await startStack("sqlite", { env: { ADMIN_TOKEN: ADMIN } });
    const { baseUrl, fake, runtime } = stack;
    const course = runtime.catalogue.primary;
    const [, second, third] = course.lessons;
    const now = Date.now();
    // 1,000 readers wait for lesson 2 (Dana among them), 7 for lesson 3; nobody is due for days.
    await reader(runtime.db, course, "dana@example.com", "Dana", now);
    await bulkReaders(runtime.db, course, 999, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: course.lessons[0]!.day });
    await bulkReaders(runtime.db, course, 7, { confirmedAt: now, nextDueAt: now + 5 * DAY, lastDay: second!.day });

    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // Buttons that reach readers ask first (window.confirm from /assets/admin.js): say yes.
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    const scriptErrors: string[] = [];
    page.on("pageerror", (error) => scriptErrors.push(error.message));
    await logIn(page, baseUrl);

    // Course: counts per lesson, preview lesson 2 as Dana, send a test to an admin address.
    await page.goto(`${baseUrl}/admin/course`);
    await shoot(page, "course");
    expect(await page.locator(`tr[data-lesson="${second!.slug}"] [data-count="waiting"]`).textContent()).toBe("1000");
    expect(await page.locator(`tr[data-lesson="${third!.slug}"] [data-count="waiting"]`).textContent()).toBe("7");
    await page.locator("#preview-lesson").selectOption(second!.slug);
    await page.locator("#preview-reader").fill("dana@example.com");
    await Promise.all([page.waitForURL(/\/admin\/course\/preview\?/), page.getByRole("button", { name: "Preview" }).click()]);
    await expect.poll(() => page.frameLocator('iframe[title="HTML version of the email"]').locator("body").innerText(), { timeout: 10_000 }).toContain("Dana");
    await shoot(page, "course-preview");
    await page.locator("#test-to").fill("admin@example.com");
    await Promise.all([page.waitForURL(/sent_to=/), page.getByRole("button", { name: "Send test email" }).click()]);
    expect(await page.getByRole("status").first().textContent()).toContain("admin@example.com");
    await shoot(page, "course-preview-test-sent");
    const test = await waitFor("the test email", () => fake.emails.find((e) => e.to.some((to) => to.includes("admin@example.com"))), 20_000);
    expect(test.subject).toBe(`[Test] ${second!.subject}`);

    // Pause and resume the whole course from its page.
    await page.goto(`${baseUrl}/admin/course`);
    await Promise.all([page.waitForURL(/notice=paused/), page.getByRole("button", { name: "Pause the whole course" }).click()]);
    await shoot(page, "course-paused");
    await Promise.all([page.waitForURL(/notice=resumed/), page.getByRole("button", { name: "Resume the course" }).click()]);
    expect(await runtime.db.selectFrom("course_state").select("paused").executeTakeFirstOrThrow()).toEqual({ paused: 0 });

    // Broadcasts: write one to the readers whose next lesson is lesson 2 (the 1,000, not the 7), preview, send.
    await page.goto(`${baseUrl}/admin/broadcasts`);
    await shoot(page, "broadcasts");
    await page.locator("#b-subject").fill("A note before lesson 2");
    await page.locator("#b-markdown").fill("Hello **everyone**. Lesson 2 is on its way.");
    await page.locator("#b-audience").selectOption(`stage:${second!.slug}`);
    await Promise.all([page.waitForURL(/\/admin\/broadcasts\/[0-9a-f-]{36}\?notice=draft/), page.getByRole("button", { name: "Save draft and preview" }).click()]);
    await expect.poll(() => page.frameLocator('iframe[title="HTML version of the newsletter"]').locator("body").innerText(), { timeout: 10_000 }).toContain("Lesson 2 is on its way.");
    await shoot(page, "broadcast-draft");
    expect(fake.emails.filter((e) => e.subject === "A note before lesson 2")).toEqual([]);

    await Promise.all([page.waitForURL(/notice=started/), page.getByRole("button", { name: "Send now to 1000 readers" }).click()]);
    expect(dialogs).toEqual(["Send “A note before lesson 2” to 1000 readers now?"]);
    await shoot(page, "broadcast-sending");
    // The bar is driven by /assets/admin.js polling progress.json; the page is not reloaded.
    await page.waitForFunction(() => {
      const bar = document.querySelector<HTMLProgressElement>("progress#broadcast-progress");
      return bar !== null && bar.value === 100 && bar.getAttribute("data-done") === "true";
    }, undefined, { timeout: 90_000 });
    await shoot(page, "broadcast-sent");
    const field = (name: string) => page.locator(`[data-progress] [data-field="${name}"]`).first().textContent();
    expect(await field("percent")).toBe("100");
    expect(await field("sent")).toBe("1000");
    expect(await field("total")).toBe("1000");
    expect(await field("statusLabel")).toBe("Sent");
    expect(await page.locator('form[action$="/cancel"]').isHidden()).toBe(true);

    const newsletters = fake.emails.filter((e) => e.subject === "A note before lesson 2");
    expect(newsletters).toHaveLength(1000);
    expect(newsletters.every((e) => e.batch)).toBe(true);
    expect(newsletters.filter((e) => e.to.some((to) => to.includes("dana@example.com")))).toHaveLength(1);
    expect(fake.duplicates()).toEqual([]);

    await page.goto(`${baseUrl}/admin/broadcasts`);
    await shoot(page, "broadcasts-after");
    const row = page.locator("tr[data-broadcast]").first();
    expect(await row.locator('[data-field="status"]').textContent()).toBe("Sent");
    expect(await row.locator('[data-field="sent"]').textContent()).toBe("1000");
    expect(scriptErrors).toEqual([]);
  });

  it("switches course with the switcher, at phone width too, and every section follows the chosen course", async () => {
    stack = await startStack("sqlite", { env: { ADMIN_TOKEN: ADMIN, CONTENT_DIR: "test/fixtures/content/two-courses" } });
    const { baseUrl, runtime } = stack;
    const morning = runtime.catalogue.get("morning-pages")!;
    const evening = runtime.catalogue.get("evening-review")!;
    const now = Date.now();
    await reader(runtime.db, morning, "mo@example.com", "Mo", now);
    await reader(runtime.db, evening, "eve@example.com", "Eve", now);

    context = await browser.newContext({ viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on("pageerror", (error) => scriptErrors.push(error.message));
    await logIn(page, baseUrl);
    await page.goto(`${baseUrl}/admin/readers`);
    // The first course by slug is shown until another is picked.
    expect(await page.locator("tr[data-reader] a").allTextContents()).toEqual(["eve@example.com"]);
    await page.locator("#course-switch").selectOption("morning-pages");
    await Promise.all([page.waitForURL(/\/admin\/readers\?course=morning-pages$/), page.getByRole("button", { name: "Switch" }).click()]);
    await shoot(page, "readers-switched-375");
    expect(await page.locator("tr[data-reader] a").allTextContents()).toEqual(["mo@example.com"]);
    // Nothing sticks out sideways at 375 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

    // At phone width the sections are behind the menu, as a reader of the page would find them.
    await page.locator("details.admin-menu > summary").click();
    await Promise.all([page.waitForURL(/\/admin\/course\?course=morning-pages$/), page.locator('nav[aria-label="Admin"]').getByRole("link", { name: "Course" }).click()]);
    expect(await page.locator("h1").textContent()).toBe("Morning Pages");
    expect(await page.locator("#course-switch").inputValue()).toBe("morning-pages");
    expect(await page.locator('code[data-snippet="form"]').textContent()).toContain('name="course" value="morning-pages"');
    expect(scriptErrors).toEqual([]);
  });
});
