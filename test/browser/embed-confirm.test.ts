import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { launchChromium } from "../support/browser.ts";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/processes.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * Issue #12, acceptance 3, end to end in Chromium against the real service (real Redis, a real
 * database, the fake Resend): a publisher copies a signup snippet from the admin course page into
 * a page of their own site (a second local origin, listed in ALLOWED_ORIGINS), a reader signs up
 * there, opens the confirmation link from the email, and is confirmed by the page itself, without
 * a click; lesson 1 follows. The shipped single course, so no `course` field is needed.
 */

const ADMIN_TOKEN = "admin-token-for-browser-tests-0123456789";

let browser: Browser;
let context: BrowserContext | undefined;
let stack: Stack | undefined;
let site: Server | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await stack?.stop();
  stack = undefined;
  if (site) {
    const s = site;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    site = undefined;
  }
});

/** The publisher's site: one page, whose body is whatever `body()` holds when it is asked for. */
async function publisherSite(body: () => string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dr. Example's practice</title></head><body><h1>Join my course</h1>${body()}</body></html>`);
  });
  site = server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Lessonpost with APP_URL on its real address (links in emails and the snippets must reach it). */
async function lessonpost(allowedOrigin: string): Promise<string> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  stack = await startStack("sqlite", { env: { PORT: String(port), APP_URL: base, ALLOWED_ORIGINS: allowedOrigin, ADMIN_TOKEN } });
  return base;
}

/** What an admin copies: the snippet's text exactly as the admin course page shows it. */
async function copySnippet(base: string, kind: "form" | "script"): Promise<string> {
  const page = await context!.newPage();
  await page.goto(`${base}/admin/login`);
  await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${base}/admin`), page.getByRole("button", { name: "Log in" }).click()]);
  await Promise.all([page.waitForURL(/\/admin\/course/), page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Course" }).click()]);
  const text = await page.locator(`code[data-snippet="${kind}"]`).textContent();
  await page.close();
  if (!text) throw new Error(`no ${kind} snippet on the admin course page`);
  return text;
}

/** Whether an email went to `address` (the provider sees `"Name" <address>` when the reader gave a name). */
const sentTo = (email: { to: string[] }, address: string) => email.to.some((to) => to === address || to.endsWith(`<${address}>`));

/** Opens the confirmation link of `address`'s email in Chromium and waits for the page to confirm. */
async function confirmFromEmail(base: string, address: string): Promise<void> {
  const email = await waitFor(`the confirmation email to ${address}`, () => stack!.fake.emails.find((e) => sentTo(e, address)));
  const link = (email.text ?? "").match(new RegExp(`${base.replace(/[.]/g, "\\.")}/confirm/[\\w.-]+`))?.[0];
  if (!link) throw new Error(`no confirmation link in:\n${email.text}`);
  const page = await context!.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/content security policy/i.test(message.text())) violations.push(message.text());
  });
  // Opening the link is all the reader does: the page posts its own form, from its own origin.
  const confirmed = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/confirm/"), { timeout: 15_000 });
  await page.goto(link);
  const answer = await confirmed;
  expect(answer.status()).toBe(200);
  // Our pages send no Referer, so Origin is "null"; the browser vouches for where the post came from.
  expect((await answer.request().allHeaders())["sec-fetch-site"]).toBe("same-origin");
  await page.waitForURL(link);
  expect(violations).toEqual([]);
}

/** The reader is confirmed and lesson 1 reached the provider, recorded as sent in the ledger. */
async function expectConfirmedWithLesson1(address: string): Promise<void> {
  const { db } = stack!.runtime;
  const reader = await db.selectFrom("subscribers").select(["id", "status", "confirmed_at"]).where("email_key", "=", address).executeTakeFirstOrThrow();
  expect(reader.status).toBe("active");
  expect(reader.confirmed_at).not.toBeNull();
  const lesson1 = stack!.runtime.catalogue.primary.lessons[0]!;
  const email = await waitFor("lesson 1 at the provider", () => stack!.fake.emails.find((e) => sentTo(e, address) && e.subject === lesson1.subject));
  const row = await waitFor("lesson 1 recorded as sent", async () => {
    const found = await db.selectFrom("sends").select(["status", "lesson_slug", "provider_id"]).where("subscriber_id", "=", reader.id).where("kind", "=", "lesson").executeTakeFirst();
    return found?.status === "sent" ? found : undefined;
  });
  expect(row).toEqual({ status: "sent", lesson_slug: lesson1.slug, provider_id: email.id });
}

describe("a snippet on the publisher's site, then the one-step confirm (headless Chromium, real service)", () => {
  it("signs up through the script snippet on a listed origin and confirms on opening the emailed link, with no click", async () => {
    let snippet = "";
    const origin = await publisherSite(() => snippet);
    const base = await lessonpost(origin);
    context = await browser.newContext({ timezoneId: "Europe/Berlin" });
    snippet = await copySnippet(base, "script");
    expect(snippet).toContain(`${base}/subscribe`);

    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.getByLabel("Email address").fill("embedded.reader@example.com");
    await page.getByLabel("First name (optional)").fill("Noa");
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/subscribe` && r.request().method() === "POST"), page.getByRole("button", { name: "Send me lesson 1" }).click()]);
    expect(response.status()).toBe(202);
    const { message } = (await response.json()) as { message: string };
    // The answer came back through CORS and is read out in place: the reader never left the publisher's page.
    await expect.poll(() => page.getByRole("status").textContent(), { timeout: 10_000 }).toBe(message);
    expect(page.url()).toBe(`${origin}/`);
    const pending = await stack!.runtime.db.selectFrom("subscribers").select(["name", "timezone", "status"]).execute();
    expect(pending).toEqual([{ name: "Noa", timezone: "Europe/Berlin", status: "pending" }]);

    await confirmFromEmail(base, "embedded.reader@example.com");
    await expectConfirmedWithLesson1("embedded.reader@example.com");
  }, 90_000);

  it("signs up through the plain HTML form snippet on a listed origin and confirms on opening the emailed link, with no click", async () => {
    let snippet = "";
    const origin = await publisherSite(() => snippet);
    const base = await lessonpost(origin);
    context = await browser.newContext();
    snippet = await copySnippet(base, "form");

    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.getByLabel("Email address").fill("form.reader@example.com");
    // Without the optional redirect field, the reader lands on Lessonpost's own answer page.
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/subscribe` && r.request().method() === "POST"), page.getByRole("button", { name: "Send me lesson 1" }).click()]);
    expect(response.status()).toBe(200);
    await page.waitForURL(`${base}/subscribe`);
    expect(await stack!.runtime.db.selectFrom("subscribers").select(["email", "status"]).execute()).toEqual([{ email: "form.reader@example.com", status: "pending" }]);

    await confirmFromEmail(base, "form.reader@example.com");
    await expectConfirmedWithLesson1("form.reader@example.com");
  }, 90_000);
});
