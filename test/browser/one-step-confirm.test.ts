import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { launchChromium } from "../support/browser.ts";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { confirmToken } from "../../src/tokens.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * The confirm page in a real browser: opening the link is enough (the page posts its own form),
 * and a browser without scripts gets the button, which still works. The app is served in-process
 * over a test database; the queue is the route tests' fake, so no Redis is involved.
 */


let browser: Browser;
let t: TestApp;
let server: Server;
let base: string;
let subscriberId: string;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  t = await makeTestApp();
  t.clock.now = Date.now();
  // The app is made on the first request, once the port (and so APP_URL) is known.
  let app: ReturnType<typeof appFor> | undefined;
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: (request) => (app ??= appFor(t, { appUrl: base })).fetch(request), port: 0, hostname: "127.0.0.1" }, () => resolve(s as Server)) as Server;
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signup = await fetch(`${base}/subscribe`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: base }, body: new URLSearchParams({ email: "reader@example.com" }) });
  expect(signup.status).toBe(200);
  subscriberId = (await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
});

const status = async () => (await t.db.selectFrom("subscribers").select("status").where("id", "=", subscriberId).executeTakeFirstOrThrow()).status;

describe("the one-step confirm page (headless Chromium)", () => {
  it("confirms the reader on opening the link, with no click", async () => {
    const link = `${base}/confirm/${await confirmToken(TEST_SECRET, subscriberId, t.clock.now)}`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/content security policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(link);
      await page.locator("h1", { hasText: "You're in" }).waitFor({ timeout: 15_000 });
      expect(await status()).toBe("active");
      expect(await t.db.selectFrom("sends").select("id").where("kind", "=", "lesson").execute()).toHaveLength(1);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("without scripts shows the button, confirms no one until it is pressed, then confirms", async () => {
    const link = `${base}/confirm/${await confirmToken(TEST_SECRET, subscriberId, t.clock.now)}`;
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(link);
      const button = page.getByRole("button", { name: /confirm my subscription/i });
      await button.waitFor();
      expect(await status()).toBe("pending");
      await button.click();
      await page.locator("h1", { hasText: "You're in" }).waitFor();
      expect(await status()).toBe("active");
    } finally {
      await context.close();
    }
  }, 60_000);
});
