import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * The console's webhooks page in Chromium, at 1280 px and 375 px: add an endpoint (the secret
 * shows once), send it a test event, see the delivery in the log with its response code, replay it
 * (same webhook-id), and nothing sticks out sideways on a phone.
 */

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "admin-token-for-browser-tests-0123456789";

let browser: Browser;
let context: BrowserContext | undefined;
let stack: Stack | undefined;
const received: { id: string; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString("utf8")));
  req.on("end", () => {
    received.push({ id: String(req.headers["webhook-id"]), body });
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await stack?.stop();
  stack = undefined;
});

describe("the webhooks console page (headless Chromium)", () => {
  it("adds an endpoint, shows its secret once, tests it, logs the delivery and replays it, and fits a 375 px screen", async () => {
    stack = await startStack("sqlite", { env: { ADMIN_TOKEN: ADMIN, WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true", TICK_MS: "100" } });
    const { baseUrl } = stack;
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/a-long-path-that-a-phone-must-wrap-rather-than-scroll`;

    for (const width of [1280, 375]) {
      received.length = 0;
      context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${baseUrl}/admin/login`);
      await page.locator('input[name="secret"]').fill(ADMIN);
      await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/admin/login")), page.locator('input[name="secret"]').press("Enter")]);

      await page.goto(`${baseUrl}/admin/webhooks`);
      await page.getByLabel("URL").fill(`${target}-${width}`);
      await page.getByLabel("lesson.sent").check();
      await page.getByLabel("course.completed").check();
      await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Add endpoint" }).click()]);
      const secret = await page.locator("[data-secret]").textContent();
      expect(secret).toMatch(/^whsec_/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

      await page.goto(`${baseUrl}/admin/webhooks`);
      expect(await page.content()).not.toContain(secret!);
      const row = page.locator("tr", { hasText: `${target}-${width}` });
      await Promise.all([page.waitForURL(/notice=tested/), row.getByRole("button", { name: "Send test event" }).click()]);
      await waitFor("the test event at the receiver", () => (received.length === 1 ? true : undefined));
      await waitFor("the log to show the delivery", async () => {
        await page.reload();
        return (await page.locator("tbody tr", { hasText: "webhook.test" }).first().textContent())?.includes("204") ? true : undefined;
      });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

      await Promise.all([page.waitForURL(/notice=replayed/), page.locator("tbody tr", { hasText: "webhook.test" }).first().getByRole("button", { name: "Replay" }).click()]);
      await waitFor("the replay at the receiver", () => (received.length === 2 ? true : undefined));
      expect(received[1]!.id).toBe(received[0]!.id);
      expect(received[1]!.body).toBe(received[0]!.body);
      await context.close();
      context = undefined;
    }
  }, 90_000);
});
