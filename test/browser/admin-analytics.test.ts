import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { MORNING, seedAnalytics, WEBHOOK_SECRET } from "../support/analytics-seed.ts";
import { launchChromium } from "../support/browser.ts";
import { createTestDatabase } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * The Analytics page in Chromium, on a phone (375 px) and a desktop (1280 px): both charts are
 * drawn at a readable size, nothing pushes the page sideways, and the tables beside them are
 * there. Screenshots go to build/screenshots/admin/ for a human to look at.
 */

const ADMIN = "admin-token-for-analytics-browser-0123";
const SCREENSHOTS = resolve(import.meta.dirname, "../../build/screenshots/admin");

let browser: Browser;
let testDb: TestDatabase;
let db: Database;
let server: Server;
let base: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  testDb = await createTestDatabase("sqlite");
  db = await openDatabase(testDb.url);
  const app = createApp({
    db,
    catalogue: await loadCatalogue("test/fixtures/content/two-courses"),
    log: silentLogger,
    appUrl: "http://127.0.0.1",
    secretKey: TEST_SECRET,
    dispatcher: createFakeDispatcher(db),
    adminToken: ADMIN,
    webhookSecret: WEBHOOK_SECRET,
    now: () => Date.now(),
  });
  await seedAnalytics(db, app);
  server = serve({ fetch: (request) => app.fetch(request), port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise<void>((done) => (server.listening ? done() : server.once("listening", () => done())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  await db?.destroy();
  await testDb?.drop();
});

describe("the Analytics page (headless Chromium)", () => {
  for (const width of [375, 1280]) {
    it(`fits ${width} px: both charts drawn, the tables beside them, nothing wider than the screen`, async () => {
      // The bearer token opens the console as it opens the API: no login form to go through here.
      const context = await browser.newContext({ viewport: { width, height: 900 }, extraHTTPHeaders: { authorization: `Bearer ${ADMIN}` } });
      try {
        const page = await context.newPage();
        const response = await page.goto(`${base}/admin/analytics?course=${MORNING}`);
        expect(response?.status()).toBe(200);
        await page.screenshot({ path: resolve(SCREENSHOTS, `analytics-${width}.png`), fullPage: true });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        for (const chart of ["lessons", "funnel"]) {
          const box = await page.locator(`svg[data-chart="${chart}"]`).boundingBox();
          expect(box, chart).not.toBeNull();
          // Wide enough to read, never wider than the page's content.
          expect(box!.width).toBeGreaterThan(Math.min(300, width - 60));
          expect(box!.width).toBeLessThanOrEqual(width);
        }
        // Labels inside the charts stay legible on a phone (at least 8 CSS px tall).
        const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll("svg[data-chart] text")].map((t) => t.getBoundingClientRect().height)));
        expect(smallest).toBeGreaterThanOrEqual(8);
        await expect.poll(() => page.locator("table.analytics-lessons tbody tr").count()).toBe(3);
        await expect.poll(() => page.locator("table.analytics-funnel tbody tr").count()).toBe(2);
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
