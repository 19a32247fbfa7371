import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * Every route under /admin, found by asking the app rather than listing them here: a route added
 * tomorrow, by anyone, is checked by this test without anyone remembering to add it.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const DUMMY_ID = "00000000-0000-4000-8000-00000000abcd";
const ORIGIN = "http://localhost";

let t: TestApp;
let app: ReturnType<typeof createApp>;

/**
 * Stands in for bull-board (which needs Redis; test/integration/admin-queues.test.ts serves the
 * real one): a sub-app answering every path under /admin/queues, so the sweep checks that the
 * gate, not the board, answers first.
 */
const board = new Hono().all("*", (c) => c.text("queues board"));

beforeAll(async () => {
  t = await makeTestApp();
  app = createApp({
    db: t.db,
    catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    adminToken: ADMIN,
    dispatcher: t.dispatcher,
    queueStats: async () => ({ waiting: 0, active: 0, delayed: 0, failed: 0 }),
    queuesBoard: board,
    // Each wrong-token probe comes from its own address, so the admin lockout (10 wrong secrets per
    // client) never stands in for the gate's own answer.
    clientIp: (c) => c.req.header("x-test-client") ?? "203.0.113.1",
    now: () => t.clock.now,
  });
});
afterAll(async () => {
  await t.close();
});

interface Probe {
  method: string;
  path: string;
  url: string;
}

function probes(): Probe[] {
  const seen = new Set<string>();
  const out: Probe[] = [];
  // Middleware entries are kept on purpose: "/admin/*" becomes "/admin/x", a path nobody
  // registered, which must be refused just the same.
  for (const route of app.routes) {
    if (route.path !== "/admin" && !route.path.startsWith("/admin/")) continue;
    const url = route.path.replace(/:\w+(\{[^}]*\})?/g, DUMMY_ID).replace(/\*/g, "x");
    const methods = route.method === "ALL" ? ["GET", "POST"] : [route.method];
    for (const method of methods) {
      const key = `${method} ${url}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ method, path: route.path, url });
    }
  }
  return out;
}

const isApi = (url: string) => url.startsWith("/admin/api/");
const isLogin = (url: string) => url === "/admin/login";
const unsafe = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);

async function sessionCookie(): Promise<string> {
  const response = await app.request("/admin/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
    body: new URLSearchParams({ secret: ADMIN }),
  });
  expect(response.status).toBe(303);
  return response.headers.get("set-cookie")!.split(";")[0]!;
}

describe("every /admin route", () => {
  it("is found: the enumeration sees the console, the API and the mounted sub-apps", () => {
    const urls = probes().map((p) => `${p.method} ${p.path}`);
    for (const expected of [
      "GET /admin",
      "GET /admin/login",
      "POST /admin/login",
      "POST /admin/logout",
      "GET /admin/readers",
      "GET /admin/readers/:id",
      "POST /admin/readers/:id/delete",
      "GET /admin/failed",
      "POST /admin/failed/:id/retry",
      "GET /admin/api/subscribers",
      "GET /admin/api/subscribers/:id",
      "POST /admin/api/enrollments/:id/pause",
      "GET /admin/preview/:slug",
      "GET /admin/queues/*",
    ]) {
      expect(urls).toContain(expected);
    }
    expect(urls.length).toBeGreaterThan(30);
  });

  it("refuses a visitor without credentials: 401 on the API, the login page for a browser, 401 for a script", async () => {
    const failures: string[] = [];
    let clients = 0;
    for (const probe of probes()) {
      if (isLogin(probe.url)) continue;
      const browser = await app.request(probe.url, {
        method: probe.method,
        headers: { accept: "text/html,application/xhtml+xml", origin: ORIGIN, ...(unsafe(probe.method) ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
        ...(unsafe(probe.method) ? { body: "" } : {}),
      });
      const location = browser.headers.get("location") ?? "";
      const okBrowser = isApi(probe.url) ? browser.status === 401 : [302, 303].includes(browser.status) && location.startsWith("/admin/login");
      if (!okBrowser) failures.push(`browser ${probe.method} ${probe.url} → ${browser.status} ${location}`);

      const script = await app.request(probe.url, { method: probe.method, headers: unsafe(probe.method) ? { origin: ORIGIN } : {} });
      // Logout is open (it only clears a cookie) and sends everyone to the login page.
      const okScript = script.status === 401 || (probe.url === "/admin/logout" && (script.headers.get("location") ?? "").startsWith("/admin/login"));
      if (!okScript) failures.push(`script ${probe.method} ${probe.url} → ${script.status}`);

      const wrongToken = await app.request(probe.url, { method: probe.method, headers: { authorization: "Bearer not-the-admin-token-0000", "x-test-client": `wrong-token-client-${(clients += 1)}` } });
      // A form POST without Origin outside /admin/api meets the site-wide CSRF check first (403).
      const okWrongToken = wrongToken.status === 401 || (unsafe(probe.method) && !isApi(probe.url) && wrongToken.status === 403);
      if (!okWrongToken) failures.push(`wrong token ${probe.method} ${probe.url} → ${wrongToken.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("lets a session through, but refuses a state-changing request without Origin or Sec-Fetch-Site (403)", async () => {
    const cookie = await sessionCookie();
    const failures: string[] = [];
    for (const probe of probes()) {
      if (!unsafe(probe.method)) {
        const response = await app.request(probe.url, { headers: { cookie, accept: "text/html" } });
        const location = response.headers.get("location") ?? "";
        if (response.status === 401 || response.status === 403 || location.startsWith("/admin/login")) failures.push(`GET ${probe.url} with session → ${response.status} ${location}`);
        continue;
      }
      for (const contentType of ["application/x-www-form-urlencoded", "application/json", "multipart/form-data; boundary=x", undefined]) {
        const response = await app.request(probe.url, {
          method: probe.method,
          headers: { cookie, accept: "text/html", ...(contentType ? { "content-type": contentType } : {}) },
          body: contentType === "application/json" ? "{}" : "",
        });
        if (response.status !== 403) failures.push(`${probe.method} ${probe.url} (${contentType ?? "no type"}) with session, no origin → ${response.status}`);
      }
      const crossSite = await app.request(probe.url, { method: probe.method, headers: { cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" } });
      if (crossSite.status !== 403) failures.push(`${probe.method} ${probe.url} cross-site with session → ${crossSite.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("answers 404 for a path nobody registered, but only after the gate", async () => {
    expect((await app.request("/admin/no-such-page", { headers: { accept: "text/html" } })).status).toBe(302);
    const cookie = await sessionCookie();
    expect((await app.request("/admin/no-such-page", { headers: { cookie, accept: "text/html" } })).status).toBe(404);
  });
});
