import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditPage, describeFinding, launchChromium } from "../support/browser.ts";
import { startStack } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * The API reference page in Chromium at 375 and 1280 px, opened from the console with a session:
 * axe-core finds no serious or critical violation, nothing is wider than the screen, every request
 * the page makes stays on Lessonpost's own origin, and the link to the document opens it.
 */

const ADMIN = "admin-token-for-browser-docs-0123456789";

let browser: Browser;
let stack: Stack;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startStack("sqlite", { env: { ADMIN_TOKEN: ADMIN }, roles: ["http"] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe.each([375, 1280])("the API reference page at %i px", (width) => {
  it("is accessible, within the screen, served from local assets only, and links to the document", async () => {
    const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
    try {
      const page = await context.newPage();
      const origins = new Set<string>();
      page.on("request", (request) => {
        if (!request.url().startsWith("data:")) origins.add(new URL(request.url()).origin);
      });
      await page.goto(`${stack.baseUrl}/admin/login?next=%2Fadmin%2Fapi%2Fdocs`);
      await page.locator('input[name="secret"]').fill(ADMIN);
      await Promise.all([page.waitForURL((url) => url.pathname === "/admin/api/docs"), page.locator('input[name="secret"]').press("Enter")]);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("API reference");
      await expect(page.getByRole("heading", { name: "POST /admin/api/enrollments", exact: true }).isVisible()).resolves.toBe(true);

      const { findings, overflow } = await auditPage(page);
      expect(findings.map(describeFinding)).toEqual([]);
      expect(overflow).toBeLessThanOrEqual(0);
      expect([...origins]).toEqual([new URL(stack.baseUrl).origin]);

      const [answer] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === "/admin/api/openapi.json"), page.getByRole("link", { name: "/admin/api/openapi.json" }).click()]);
      expect(answer.status()).toBe(200);
      expect(((await answer.json()) as { openapi: string }).openapi).toBe("3.1.0");
    } finally {
      await context.close();
    }
  }, 60_000);
});
