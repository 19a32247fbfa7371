import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "../support/browser.ts";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { freePort, runEntry, stopAll } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { waitFor } from "../support/stack.ts";

/**
 * The README's first steps, in a real browser against `npm start` with no provider key: sign up,
 * open the confirmation email in /outbox, press its Confirm button (the page that opens confirms by
 * itself), and find lesson 1 in the outbox.
 */


let browser: Browser;
const children: Child[] = [];
let dir: string | undefined;
const prefix = uniquePrefix("outbox-browser");

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await stopAll(children);
  if (dir) rmSync(dir, { recursive: true, force: true });
  await deleteKeys(prefix);
});

/** The outbox list, reloaded until an email whose subject matches is there; returns its link. */
async function openFromOutbox(page: Page, base: string, subject: RegExp): Promise<void> {
  const link = page.getByRole("link", { name: subject });
  await waitFor(
    `an email matching ${subject} in the outbox`,
    async () => {
      await page.goto(`${base}/outbox`);
      return (await link.count()) > 0 ? true : undefined;
    },
    30_000,
  );
  await Promise.all([page.waitForURL(/\/outbox\/[\w-]+$/), link.first().click()]);
}

describe("the outbox in a browser (headless Chromium)", () => {
  it("takes a newcomer from signup through the confirmation email's button to lesson 1", async () => {
    dir = mkdtempSync(join(tmpdir(), "lessonpost-outbox-"));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = runEntry("src/main.ts", { PORT: String(port), APP_URL: base, DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, OUTBOX_DIR: join(dir, "outbox"), REDIS_PREFIX: prefix, TICK_MS: "200" });
    children.push(child);
    await waitFor("the server to listen", () => (child.output().includes("listening on") ? true : undefined), 30_000);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(base);
      await page.getByLabel("Email address").fill("newcomer@example.com");
      await Promise.all([page.waitForURL((url) => url.pathname !== "/"), page.getByRole("button", { name: /send me lesson 1/i }).click()]);

      await openFromOutbox(page, base, /confirm/i);
      // The email is shown in its sandboxed frame; its button is an ordinary link in the email.
      const email = page.frameLocator("iframe");
      const button = email.getByRole("link", { name: "Yes, send me the course" });
      await button.waitFor();
      const [confirmTab] = await Promise.all([context.waitForEvent("page"), button.click()]);
      await confirmTab.waitForLoadState();
      expect(new URL(confirmTab.url()).pathname).toMatch(/^\/confirm\/[\w.-]+$/);

      // The confirm page is a page of ours, outside the sandbox: it posts its own form from our
      // origin as soon as it is shown, so the reader presses nothing more.
      await confirmTab.locator("h1", { hasText: "You're in" }).waitFor({ timeout: 15_000 });

      const first = (await loadCourse("content/couples-therapy-up-close")).lessons[0]!;
      await openFromOutbox(page, base, new RegExp(first.subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      expect(await page.locator("h1").innerText()).toBe(first.subject);
      expect(await page.frameLocator("iframe").locator("body").innerText()).toContain(first.title);
    } finally {
      await context.close();
    }
  }, 120_000);
});
