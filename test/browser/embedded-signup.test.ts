import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { launchChromium } from "../support/browser.ts";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { htmlFormSnippet, scriptSnippet } from "../../src/http/views/admin/signup-snippets.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";

/**
 * The admin page's snippets pasted into a publisher's page on a second local origin (another
 * port), listed in ALLOWED_ORIGINS: a real browser signs up there through CORS and through the
 * plain form, and a page on an unlisted origin gets nowhere.
 */


let browser: Browser;
let context: BrowserContext | undefined;
let t: TestApp;
const servers: Server[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  t = await makeTestApp();
});

afterEach(async () => {
  await context?.close();
  context = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await t.close();
});

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** A publisher's site: every path answers the page `pages` gives for it. */
async function publisherSite(pages: (path: string) => string): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><title>Publisher</title></head><body>${pages(req.url ?? "/")}</body></html>`);
  });
  return { origin: await listen(server), server };
}

/** Lessonpost on its own port, with `allowed` as ALLOWED_ORIGINS. */
async function lessonpost(allowed: string[]): Promise<string> {
  const started: { app?: ReturnType<typeof appFor> } = {};
  const server = serve({ fetch: (request) => started.app!.fetch(request), port: 0, hostname: "127.0.0.1" }) as Server;
  servers.push(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  // APP_URL is only known once the port is: the snippets and the same-origin guard both use it.
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  started.app = appFor(t, { appUrl: base, allowedOrigins: allowed });
  return base;
}

const subscribers = () => t.db.selectFrom("subscribers").selectAll().execute();

describe("the signup snippets on another site (headless Chromium)", () => {
  it("signs a reader up from the script snippet on a listed origin and shows the answer in place", async () => {
    let appBase = "";
    const site = await publisherSite(() => `<h1>My practice</h1>${scriptSnippet(appBase)}`);
    appBase = await lessonpost([site.origin]);

    context = await browser.newContext({ timezoneId: "Asia/Tokyo" });
    const page = await context.newPage();
    await page.goto(`${site.origin}/`);
    await page.getByLabel("Email address").fill("embedded@example.com");
    await page.getByLabel("First name (optional)").fill("Dana");
    await page.getByRole("button", { name: "Send me lesson 1" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), { timeout: 10_000 }).toContain("Check your inbox");
    // Still on the publisher's page: the answer came back through CORS, not by navigation.
    expect(page.url()).toBe(`${site.origin}/`);
    expect(await subscribers()).toMatchObject([{ email: "embedded@example.com", name: "Dana", timezone: "Asia/Tokyo", status: "pending", consent_form: "api" }]);
  });

  it("signs a reader up from the plain form and sends them back to the publisher's thank-you page", async () => {
    let appBase = "";
    let siteOrigin = "";
    // The snippet's optional redirect field, uncommented, pointing at the publisher's own page.
    const form = () => htmlFormSnippet(appBase, siteOrigin).replace(/<!-- (<input type="hidden" name="redirect"[^>]*>) -->/, "$1");
    const site = await publisherSite((path) => (path.startsWith("/thanks") ? "<h1>Thanks for joining</h1>" : form()));
    siteOrigin = site.origin;
    appBase = await lessonpost([site.origin]);

    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/`);
    expect(await page.locator('input[name="redirect"]').count()).toBe(1);
    await page.getByLabel("Email address").fill("plain@example.com");
    await Promise.all([page.waitForURL(`${site.origin}/thanks`), page.getByRole("button", { name: "Send me lesson 1" }).click()]);
    await expect.poll(() => page.getByRole("heading").textContent()).toBe("Thanks for joining");
    expect(await subscribers()).toMatchObject([{ email: "plain@example.com", status: "pending" }]);
  });

  it("gets nowhere from an origin that is not listed", async () => {
    let appBase = "";
    const listed = await publisherSite(() => "<h1>Listed</h1>");
    const stranger = await publisherSite(() => scriptSnippet(appBase));
    appBase = await lessonpost([listed.origin]);

    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stranger.origin}/`);
    await page.getByLabel("Email address").fill("stranger@example.com");
    await page.getByRole("button", { name: "Send me lesson 1" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), { timeout: 10_000 }).toContain("could not be sent");
    expect(await subscribers()).toEqual([]);
  });
});
