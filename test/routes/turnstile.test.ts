import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.ts";
import { createTurnstileCheck } from "../../src/limits/turnstile.ts";
import { appFor, form, json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";

/**
 * The optional bot check against a fake of Cloudflare's siteverify on loopback: what it is sent,
 * and what the signup answers when it passes, refuses, or cannot answer at all.
 */

const SECRET = "0x4AAAAAAAturnstile-test-secret";
const SITE_KEY = "0x4AAAAAAAturnstile-site-key";
const GOOD_TOKEN = "XXXX.DUMMY.TOKEN.GOOD";

type Mode = "judge" | "error-500" | "hang" | "bad-secret";

let server: Server;
let verifyUrl: string;
let mode: Mode = "judge";
let received: URLSearchParams[] = [];
const hanging: ServerResponse[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
  req.on("end", () => {
    const params = new URLSearchParams(body);
    received.push(params);
    if (mode === "hang") {
      hanging.push(res);
      return;
    }
    if (mode === "error-500") {
      res.writeHead(500, { "content-type": "text/plain" }).end("upstream trouble");
      return;
    }
    const answer =
      mode === "bad-secret"
        ? { success: false, "error-codes": ["invalid-input-secret"] }
        : params.get("secret") === SECRET && params.get("response") === GOOD_TOKEN
          ? { success: true, "error-codes": [], hostname: "lessons.example.test" }
          : { success: false, "error-codes": ["invalid-input-response"] };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  verifyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/turnstile/v0/siteverify`;
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let t: TestApp;
let app: ReturnType<typeof appFor>;
beforeEach(async () => {
  mode = "judge";
  received = [];
  t = await makeTestApp();
  app = appFor(t, { botCheck: createTurnstileCheck({ secretKey: SECRET, verifyUrl, log: silentLogger, timeoutMs: 300 }), turnstileSiteKey: SITE_KEY });
});
afterEach(async () => {
  await t.close();
});

const stored = async () => ({
  subscribers: (await t.db.selectFrom("subscribers").select("id").execute()).length,
  sends: (await t.db.selectFrom("sends").select("id").execute()).length,
});

describe("the signup page with Turnstile", () => {
  it("shows the widget with the site key, and its CSP lets Cloudflare's script and frame in", async () => {
    const res = await app.request("/");
    const html = await res.text();
    expect(html).toContain(`<div class="cf-turnstile" data-sitekey="${SITE_KEY}"></div>`);
    expect(html).toContain('<script src="https://challenges.cloudflare.com/turnstile/v0/api.js"');
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self' https://challenges.cloudflare.com");
    expect(csp).toContain("frame-src 'self' https://challenges.cloudflare.com");
  });

  it("is the plain page, with the strict CSP, when no site key is set", async () => {
    const res = await t.app.request("/");
    expect(await res.text()).not.toContain("cf-turnstile");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).not.toContain("challenges.cloudflare.com");
    expect(csp).toContain("script-src 'self';");
  });

  it("leaves every other page's CSP strict", async () => {
    const res = await app.request("/healthz");
    expect(res.headers.get("content-security-policy") ?? "").not.toContain("challenges.cloudflare.com");
  });
});

describe("POST /subscribe with the bot check on", () => {
  it("accepts a form whose token Cloudflare verifies, sending secret, response and the client's IP", async () => {
    const res = await app.request("/subscribe", form({ email: "person@example.com", "cf-turnstile-response": GOOD_TOKEN }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your inbox");
    expect(await stored()).toEqual({ subscribers: 1, sends: 1 });
    expect(received).toHaveLength(1);
    expect(Object.fromEntries(received[0]!)).toEqual({ secret: SECRET, response: GOOD_TOKEN, remoteip: "203.0.113.7" });
  });

  it("accepts the token as a JSON member", async () => {
    const res = await app.request("/subscribe", json({ email: "api@example.com", "cf-turnstile-response": GOOD_TOKEN }));
    expect(res.status).toBe(202);
    expect(await stored()).toEqual({ subscribers: 1, sends: 1 });
  });

  it("refuses a signup with no token (422), shows the form again, and never asks Cloudflare", async () => {
    const res = await app.request("/subscribe", form({ email: "person@example.com" }));
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('<form class="card" method="post" action="/subscribe"');
    expect(html).toContain("complete the check");
    expect(html).toContain('value="person@example.com"');
    expect(received).toHaveLength(0);
    expect(await stored()).toEqual({ subscribers: 0, sends: 0 });
  });

  it("refuses a token Cloudflare rejects (403), in HTML and in JSON, storing nothing", async () => {
    const page = await app.request("/subscribe", form({ email: "bot@example.com", "cf-turnstile-response": "forged" }));
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain("verify that you");
    expect(html).toContain(`data-sitekey="${SITE_KEY}"`);
    expect(page.headers.get("content-security-policy")).toContain("https://challenges.cloudflare.com");

    const api = await app.request("/subscribe", json({ email: "bot@example.com", "cf-turnstile-response": "forged" }));
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({ error: { code: "bot_check_failed", field: "cf-turnstile-response", message: expect.stringContaining("verify") } });
    expect(await stored()).toEqual({ subscribers: 0, sends: 0 });
  });

  it.each<[string, Mode]>([
    ["answers 500", "error-500"],
    ["never answers", "hang"],
    ["refuses our secret", "bad-secret"],
  ])("answers 503 with a clear message, storing nothing, when the verify service %s", async (_what, failure) => {
    mode = failure;
    const page = await app.request("/subscribe", form({ email: "person@example.com", "cf-turnstile-response": GOOD_TOKEN }));
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("check signups right now, so nothing was saved");
    const api = await app.request("/subscribe", json({ email: "person@example.com", "cf-turnstile-response": GOOD_TOKEN }));
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("bot_check_unavailable");
    expect(await stored()).toEqual({ subscribers: 0, sends: 0 });
  });

  it("answers 503 when the verify service cannot be reached at all", async () => {
    const unreachable = appFor(t, { botCheck: createTurnstileCheck({ secretKey: SECRET, verifyUrl: "http://127.0.0.1:9/siteverify", log: silentLogger, timeoutMs: 2_000 }) });
    const res = await unreachable.request("/subscribe", form({ email: "person@example.com", "cf-turnstile-response": GOOD_TOKEN }));
    expect(res.status).toBe(503);
    expect(await stored()).toEqual({ subscribers: 0, sends: 0 });
  });

  it("still answers a filled honeypot as accepted, storing nothing and asking no one", async () => {
    const res = await app.request("/subscribe", form({ email: "bot@example.com", website: "http://spam.example" }));
    expect(res.status).toBe(200);
    expect(received).toHaveLength(0);
    expect(await stored()).toEqual({ subscribers: 0, sends: 0 });
  });
});
