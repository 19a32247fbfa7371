import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditPage, describeFinding, launchChromium } from "../support/browser.ts";
import { startStack } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * The API keys page in Chromium at 375 and 1280 px: an admin creates a key with the form, copies
 * it from the page that shows it once, and revokes another; axe-core finds no serious or critical
 * violation on any state of the page, and nothing is wider than the screen.
 */

const ADMIN = "admin-token-for-browser-keys-0123456789";
async function problemsOn(page: Page, what: string, width: number): Promise<string[]> {
  const { findings, overflow } = await auditPage(page);
  return [...findings.map((f) => `${what}: ${describeFinding(f)}`), ...(overflow > 0 ? [`${what}: ${overflow} px wider than ${width} px`] : [])];
}

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

describe.each([375, 1280])("the API keys page at %i px", (width) => {
  it("creates a key shown once, revokes one, and stays accessible and within the screen", async () => {
    const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.baseUrl}/admin/login?next=%2Fadmin%2Fkeys`);
      await page.locator('input[name="secret"]').fill(ADMIN);
      await Promise.all([page.waitForURL((url) => url.pathname === "/admin/keys"), page.locator('input[name="secret"]').press("Enter")]);
      const problems = await problemsOn(page, "no keys yet", width);

      await page.getByLabel("Name").fill(`Nightly report ${width}`);
      await page.getByRole("checkbox", { name: /^read:/ }).check();
      await page.getByRole("checkbox", { name: /^send:/ }).check();
      await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Create key" }).click()]);
      const key = await page.getByLabel("Key", { exact: true }).inputValue();
      expect(key).toMatch(/^lp_[A-Za-z0-9_-]{43}$/);
      problems.push(...(await problemsOn(page, "new key shown", width)));
      expect((await fetch(`${stack.baseUrl}/admin/api/stats`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

      await Promise.all([page.waitForURL(/notice=revoked/), page.getByRole("button", { name: `Revoke “Nightly report ${width}”` }).click()]);
      expect(await page.content()).not.toContain(key);
      problems.push(...(await problemsOn(page, "after revoking", width)));
      expect((await fetch(`${stack.baseUrl}/admin/api/stats`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
