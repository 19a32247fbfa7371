import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { createApp } from "../../src/app.ts";
import { SESSION_MS } from "../../src/http/routes/admin/auth.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";

const ADMIN = "admin-token-for-tests-0123456789";

describe.each(ENGINES)("admin sessions are revocable server-side (%s)", (engine) => {
  let t: TestApp;
  let app: ReturnType<typeof createApp>;

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    app = appFor(t, { adminToken: ADMIN, clientIp: () => "203.0.113.9" });
  });
  afterEach(async () => {
    await t.close();
  });

  async function login(): Promise<string> {
    const response = await app.request("/admin/login", form({ secret: ADMIN }));
    expect(response.status).toBe(303);
    return response.headers.get("set-cookie")!.split(";")[0]!;
  }
  const opens = async (cookie: string) => (await app.request("/admin", { headers: { cookie, accept: "text/html" } })).status === 200;
  const sessions = async () => (await t.db.selectFrom("admin_sessions").select("id").execute()).length;

  it("logout ends that session only: its saved cookie is refused, another device stays in", async () => {
    const laptop = await login();
    const phone = await login();
    expect(await sessions()).toBe(2);
    const out = await app.request("/admin/logout", form({}, { cookie: laptop }));
    expect(out.status).toBe(303);
    expect(await opens(laptop)).toBe(false);
    expect(await opens(phone)).toBe(true);
    expect(await sessions()).toBe(1);
  });

  it("'log out everywhere' from the console ends every session", async () => {
    const laptop = await login();
    const phone = await login();
    const dashboard = await (await app.request("/admin", { headers: { cookie: laptop, accept: "text/html" } })).text();
    expect(dashboard).toContain('action="/admin/logout-everywhere"');
    const out = await app.request("/admin/logout-everywhere", form({}, { cookie: laptop }));
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/login");
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    expect(await opens(laptop)).toBe(false);
    expect(await opens(phone)).toBe(false);
    expect(await sessions()).toBe(0);
  });

  it("'log out everywhere' needs a session and our own pages; the API does it with the bearer token", async () => {
    const cookie = await login();
    expect((await app.request("/admin/logout-everywhere", form())).status).toBe(401);
    expect((await app.request("/admin/logout-everywhere", form({}, { cookie, origin: "https://evil.example" }))).status).toBe(403);
    expect(await opens(cookie)).toBe(true);
    const api = await app.request("/admin/api/sessions", { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ ended: 1 });
    expect(await opens(cookie)).toBe(false);
  });

  it("refuses an expired session and prunes expired rows at the next login", async () => {
    const old = await login();
    t.clock.now += SESSION_MS - 1;
    expect(await opens(old)).toBe(true);
    t.clock.now += 1;
    expect(await opens(old)).toBe(false);
    const fresh = await login();
    expect(await opens(fresh)).toBe(true);
    expect(await sessions()).toBe(1);
  });
});
