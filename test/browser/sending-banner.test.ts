import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { recordSendingPaused, storeGuardCheck } from "../../src/store/sending-guard.ts";
import { auditPage, describeFinding, launchChromium } from "../support/browser.ts";
import { startStack } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * The complaint-rate guard's banner in Chromium, at a phone's width and a laptop's: readable,
 * nothing wider than the screen, no serious or critical axe finding, and its button resumes.
 */

const ADMIN = "admin-token-for-banner-tests-0123456789";
const DAY = 24 * 3600_000;
async function audit(page: Page): Promise<{ findings: string[]; overflow: number }> {
  const { findings, overflow } = await auditPage(page);
  return { findings: findings.map(describeFinding), overflow };
}

let browser: Browser;
let stack: Stack | undefined;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe.each([375, 1280])("the sending banner at %i px", (width) => {
  it("warns, then shows the pause with its reason, and its button resumes sending", async () => {
    stack = await startStack("sqlite", { roles: ["http"], env: { ADMIN_TOKEN: ADMIN } });
    const { baseUrl, runtime } = stack;
    const now = Date.now();
    const window = { window_start: now - 7 * DAY, window_end: now };
    await storeGuardCheck(runtime.db, { level: "warn", complaints: 2, delivered: 1000, ...window, checked_at: now });

    // bypassCSP lets the audit inject axe; the pages themselves allow no inline script.
    const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(`${baseUrl}/admin/login`);
      await page.locator('input[name="secret"]').fill(ADMIN);
      await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/admin/login")), page.locator('input[name="secret"]').press("Enter")]);

      await page.goto(`${baseUrl}/admin/readers`);
      await expect(page.getByRole("status").filter({ hasText: "Complaint rate: 0.20%" }).isVisible()).resolves.toBe(true);
      const warned = await audit(page);
      expect(warned.findings).toEqual([]);
      expect(warned.overflow).toBeLessThanOrEqual(0);

      await recordSendingPaused(runtime.db, { complaints: 3, delivered: 1000, windowStart: window.window_start, windowEnd: window.window_end, reason: "Complaints reached 0.30% (3 of 1000 delivered) of the emails sent in the last 7 days; the limit is 0.3%." }, now);
      await page.goto(`${baseUrl}/admin/course`);
      const banner = page.getByRole("alert").filter({ hasText: "Lessons and newsletters are paused" });
      await expect(banner.isVisible()).resolves.toBe(true);
      expect(await banner.textContent()).toContain("confirmations and preference links still go out");
      const paused = await audit(page);
      expect(paused.findings).toEqual([]);
      expect(paused.overflow).toBeLessThanOrEqual(0);

      await Promise.all([page.waitForURL(`${baseUrl}/admin`), banner.getByRole("button", { name: "Resume sending" }).click()]);
      expect(await page.getByText("Lessons and newsletters are paused").count()).toBe(0);
      expect(await runtime.db.selectFrom("sending_pauses").select("resumed_by").executeTakeFirstOrThrow()).toEqual({ resumed_by: "console" });
    } finally {
      await context.close();
    }
  }, 60_000);
});
