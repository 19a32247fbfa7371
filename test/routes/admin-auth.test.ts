import { catalogueOf } from "../../src/content/catalogue.ts";
import { generateSignedCookie } from "hono/cookie";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { AppDeps } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { hashAdminPassword, parseAdminPasswordHash, verifyAdminPassword } from "../../src/commands/admin-password.ts";
import { safeNext, SESSION_MS } from "../../src/http/routes/admin/auth.ts";
import { silentLogger } from "../../src/log.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const PASSWORD = "correct horse battery staple";
let t: TestApp;
let hash: string;
let course: Course;

beforeAll(async () => {
  course = await loadCourse("content/couples-therapy-up-close");
  // Few iterations keep the suite quick; production hashes use the default.
  hash = await hashAdminPassword(PASSWORD, 1_000);
});
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => {
  await t.close();
});

function adminApp(overrides: Partial<AppDeps> = {}) {
  return createApp({
    db: t.db,
    catalogue: catalogueOf([course]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    adminToken: ADMIN,
    dispatcher: t.dispatcher,
    clientIp: () => "203.0.113.9",
    now: () => t.clock.now,
    ...overrides,
  });
}

type App = ReturnType<typeof createApp>;

async function login(app: App, secret: string, fields: Record<string, string> = {}) {
  return app.request("/admin/login", form({ secret, ...fields }));
}

function cookieOf(response: Response): string {
  const header = response.headers.get("set-cookie");
  expect(header).toBeTruthy();
  return header!.split(";")[0]!;
}

const page = (cookie: string) => ({ headers: { cookie, accept: "text/html" } });

describe("admin access", () => {
  it("does not exist without ADMIN_TOKEN or ADMIN_PASSWORD_HASH", async () => {
    const app = adminApp({ adminToken: undefined, adminPasswordHash: undefined });
    for (const path of ["/admin", "/admin/login", "/admin/readers", "/admin/api/subscribers", "/admin/queues"]) {
      expect((await app.request(path, { headers: { accept: "text/html" } })).status, path).toBe(404);
    }
    expect((await app.request("/admin/login", form({ secret: ADMIN }))).status).toBe(404);
  });

  it("shows a login form, and sends visitors without a session to it", async () => {
    const app = adminApp();
    const form = await app.request("/admin/login?next=%2Fadmin%2Freaders");
    expect(form.status).toBe(200);
    const body = await form.text();
    expect(body).toContain('name="secret"');
    expect(body).toContain('value="/admin/readers"');
    expect(body).toContain('action="/admin/login"');

    const redirect = await app.request("/admin/readers?q=dana", { headers: { accept: "text/html" } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe(`/admin/login?next=${encodeURIComponent("/admin/readers?q=dana")}`);
    // A script (no HTML in Accept) is told 401 rather than sent to a form it cannot fill in.
    expect((await app.request("/admin/readers")).status).toBe(401);
    const api = await app.request("/admin/api/subscribers", { headers: { accept: "text/html" } });
    expect(api.status).toBe(401);
    expect(api.headers.get("www-authenticate")).toContain("Bearer");
    expect(await api.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("logs in with the token: a signed, httpOnly, SameSite=Strict, Secure cookie on /admin for 12 hours", async () => {
    const app = adminApp();
    const response = await login(app, ADMIN, { next: "/admin/readers" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/readers");
    const header = response.headers.get("set-cookie")!;
    expect(header).toMatch(/^__Secure-lessonpost_admin=/);
    expect(header).toMatch(/; HttpOnly/i);
    expect(header).toMatch(/; SameSite=Strict/i);
    expect(header).toMatch(/; Secure/i);
    expect(header).toMatch(/; Path=\/admin(;|$)/);
    expect(header).toMatch(new RegExp(`; Max-Age=${SESSION_MS / 1000}(;|$)`));
    // The value is signed: v2:<random session secret>.<signature>; the session itself is a row.
    const value = decodeURIComponent(cookieOf(response).split("=").slice(1).join("="));
    expect(value).toMatch(/^v2:[A-Za-z0-9_-]{43}\./);
    expect(await t.db.selectFrom("admin_sessions").select("expires_at").execute()).toEqual([{ expires_at: t.clock.now + SESSION_MS }]);

    const dashboard = await app.request("/admin", page(cookieOf(response)));
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain("Log out");
  });

  it("leaves Secure off (and the __Secure- prefix) when APP_URL is plain http", async () => {
    const app = adminApp({ appUrl: "http://localhost:3000" });
    const response = await login(app, ADMIN);
    const header = response.headers.get("set-cookie")!;
    expect(header).toMatch(/^lessonpost_admin=/);
    expect(header).not.toMatch(/; Secure/i);
    expect((await app.request("/admin", page(cookieOf(response)))).status).toBe(200);
  });

  it("logs in with the password when ADMIN_PASSWORD_HASH is set", async () => {
    const app = adminApp({ adminToken: undefined, adminPasswordHash: hash });
    const form = await (await app.request("/admin/login")).text();
    expect(form).toContain("Password");
    const response = await login(app, PASSWORD);
    expect(response.status).toBe(303);
    expect((await app.request("/admin/readers", page(cookieOf(response)))).status).toBe(200);
    expect((await login(app, ADMIN)).status).toBe(401);
    // No token configured: no bearer token can ever work.
    expect((await app.request("/admin/api/subscribers", { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(401);
  });

  it("accepts either secret when both are configured", async () => {
    const app = adminApp({ adminPasswordHash: hash });
    expect((await login(app, PASSWORD)).status).toBe(303);
    expect((await login(app, ADMIN)).status).toBe(303);
  });

  it("refuses a wrong secret with a 401 page and no cookie, then limits repeated failures", async () => {
    const app = adminApp({ adminPasswordHash: hash });
    const wrong = await login(app, "not-the-token-at-all");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("not the admin token or password");
    expect((await login(app, "")).status).toBe(401);
    expect((await login(app, `${ADMIN}x`)).status).toBe(401);

    for (let i = 3; i < 10; i++) expect((await login(app, `guess-${i}`)).status).toBe(401);
    const locked = await login(app, ADMIN);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    // The window passes.
    t.clock.now += 16 * 60 * 1000;
    expect((await login(app, ADMIN)).status).toBe(303);
  }, 20_000);

  it("without a shared limiter, still claims each attempt before checking it: 60 parallel wrong logins, 10 checked", async () => {
    const app = adminApp();
    const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => login(app, `parallel-guess-${i}`)));
    expect(responses.filter((r) => r.status === 401)).toHaveLength(10);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(50);
    expect((await login(app, ADMIN)).status).toBe(429);
  });

  it("counts wrong bearer tokens toward the login lockout, and answers 429 with Retry-After once it is reached", async () => {
    const app = adminApp();
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => app.request("/admin/api/subscribers", { headers: { authorization: `Bearer wrong-${i}-wrong-wrong` } })));
    expect(responses.filter((r) => r.status === 401)).toHaveLength(10);
    const locked = responses.filter((r) => r.status === 429);
    expect(locked).toHaveLength(190);
    expect(Number(locked[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    // Pages and the login form share the count.
    expect((await app.request("/admin", { headers: { authorization: `Bearer ${ADMIN}`, accept: "text/html" } })).status).toBe(429);
    expect((await login(app, ADMIN)).status).toBe(429);
    t.clock.now += 16 * 60 * 1000;
    expect((await app.request("/admin/api/subscribers", { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
  });

  it("refuses an expired, a forged, or a re-signed cookie, and one from before the token changed", async () => {
    const app = adminApp();
    const cookie = cookieOf(await login(app, ADMIN));
    const [name, value] = [cookie.split("=")[0]!, decodeURIComponent(cookie.split("=").slice(1).join("="))];
    const signature = value.slice(value.lastIndexOf(".") + 1);
    const toLogin = async (c: string) => {
      const response = await app.request("/admin", page(c));
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toMatch(/^\/admin\/login\?next=/);
    };

    const secret = value.slice(0, value.lastIndexOf("."));
    // Forged: another session secret under the old signature.
    await toLogin(`${name}=${encodeURIComponent(`v2:${"A".repeat(43)}.${signature}`)}`);
    // Signed, but with another key.
    const other = await generateSignedCookie("x", secret, "some-other-secret-key-0123456789abcdef");
    await toLogin(`${name}=${other.split(";")[0]!.split("=").slice(1).join("=")}`);
    // Unsigned.
    await toLogin(`${name}=${encodeURIComponent(secret)}`);
    // A changed ADMIN_TOKEN ends old sessions.
    const rotated = adminApp({ adminToken: "another-admin-token-0123456789" });
    expect((await rotated.request("/admin", page(cookie))).status).toBe(302);

    expect((await app.request("/admin", page(cookie))).status).toBe(200);
    t.clock.now += SESSION_MS - 1000;
    expect((await app.request("/admin", page(cookie))).status).toBe(200);
    // Expired: the browser would have dropped it, but a replayed copy is refused too.
    t.clock.now += 2000;
    await toLogin(cookie);
  });

  it("logs out: the cookie is cleared", async () => {
    const app = adminApp();
    const cookie = cookieOf(await login(app, ADMIN));
    const out = await app.request("/admin/logout", { ...form(), headers: { ...form().headers, cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/login");
    const cleared = out.headers.get("set-cookie")!;
    expect(cleared).toMatch(/^__Secure-lessonpost_admin=;/);
    expect(cleared).toMatch(/Max-Age=0/);
    expect(cleared).toMatch(/Path=\/admin/);
    // A copy of the cookie saved before logging out no longer opens anything.
    const replay = await app.request("/admin", page(cookie));
    expect(replay.status).toBe(302);
    expect(replay.headers.get("location")).toMatch(/^\/admin\/login/);
  });

  it("only follows `next` inside the console", async () => {
    const app = adminApp();
    for (const [next, expected] of [
      ["/admin/readers/abc?x=1", "/admin/readers/abc?x=1"],
      ["https://evil.example/admin", "/admin"],
      ["//evil.example/admin", "/admin"],
      ["/admin//evil.example", "/admin"],
      ["/administrator", "/admin"],
      ["/admin/login", "/admin"],
    ] as const) {
      expect((await login(app, ADMIN, { next })).headers.get("location"), next).toBe(expected);
    }
    expect(safeNext(undefined)).toBe("/admin");
  });

  it("refuses a login or logout posted from another site", async () => {
    const app = adminApp();
    const noOrigin = await app.request("/admin/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ secret: ADMIN }) });
    expect(noOrigin.status).toBe(403);
    expect((await app.request("/admin/login", form({ secret: ADMIN }, { origin: "https://evil.example" }))).status).toBe(403);
    const json = await app.request("/admin/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ secret: ADMIN }) });
    expect(json.status).toBe(403);
    expect((await app.request("/admin/logout", { method: "POST" })).status).toBe(403);
    // Sec-Fetch-Site alone is enough proof from a browser that sends no Origin.
    const fetchSite = await app.request("/admin/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ secret: ADMIN }),
    });
    expect(fetchSite.status).toBe(303);
  });

  it("takes the bearer token on the API (and pages); a session on the API only with same-origin writes", async () => {
    const app = adminApp();
    const bearer = { authorization: `Bearer ${ADMIN}` };
    expect((await app.request("/admin/api/subscribers", { headers: bearer })).status).toBe(200);
    expect((await app.request("/admin", { headers: bearer })).status).toBe(200);
    expect((await app.request("/admin/api/subscribers", { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
    expect((await app.request("/admin/api/subscribers", { headers: { authorization: `Basic ${btoa(`admin:${ADMIN}`)}` } })).status).toBe(401);
    // Bearer writes need no Origin: scripts are not browsers.
    expect((await app.request("/admin/api/course/pause", { method: "POST", headers: bearer })).status).toBe(200);

    const cookie = cookieOf(await login(app, ADMIN));
    expect((await app.request("/admin/api/subscribers", { headers: { cookie } })).status).toBe(200);
    const noOrigin = await app.request("/admin/api/course/resume", { method: "POST", headers: { cookie, "content-type": "application/json" }, body: "{}" });
    expect(noOrigin.status).toBe(403);
    expect((await app.request("/admin/api/course/resume", { method: "POST", headers: { cookie, origin: "https://evil.example" } })).status).toBe(403);
    expect((await app.request("/admin/api/course/resume", { method: "POST", headers: { cookie, origin: "https://lessons.example.test" } })).status).toBe(200);
  });
});

describe("admin password hashes", () => {
  it("are PBKDF2-SHA256 in the documented form, salted, and verified in constant time", async () => {
    expect(hash).toMatch(/^pbkdf2-sha256\$1000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(parseAdminPasswordHash(hash)?.hash.length).toBe(32);
    expect(await hashAdminPassword(PASSWORD, 1_000)).not.toBe(hash);
    expect(await verifyAdminPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyAdminPassword(`${PASSWORD} `, hash)).toBe(false);
    expect(await verifyAdminPassword(PASSWORD, "pbkdf2-sha256$1000$bad")).toBe(false);
    expect((await hashAdminPassword("x")).split("$")[1]).toBe("100000");
  });

  it("are accepted by the config, and anything else is refused with the variable's name", async () => {
    expect(parseConfig({ ADMIN_PASSWORD_HASH: hash }).ADMIN_PASSWORD_HASH).toBe(hash);
    expect(parseConfig({ ADMIN_PASSWORD_HASH: "" }).ADMIN_PASSWORD_HASH).toBeUndefined();
    expect(() => parseConfig({ ADMIN_PASSWORD_HASH: "hunter2" })).toThrow(/ADMIN_PASSWORD_HASH/);
  });
});
