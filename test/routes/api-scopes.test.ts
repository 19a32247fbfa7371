import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_SCOPES } from "../../src/commands/api-keys.ts";
import type { ApiScope } from "../../src/commands/api-keys.ts";
import { requireScope, ROUTE_SCOPES } from "../../src/http/api-scopes.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { AppError } from "../../src/http/errors.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";

/**
 * Every /admin/api route against every scope, found by asking the app rather than listing them
 * here: a route another helper mounts tomorrow is probed too, and fails the table check below
 * until it has a row in src/http/api-scopes.ts.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const DUMMY_ID = "00000000-0000-4000-8000-00000000abcd";

interface Route {
  method: string;
  path: string;
  url: string;
}

describe.each(ENGINES)("API key scopes (%s)", (engine) => {
  let t: TestApp;
  let app: ReturnType<typeof appFor>;
  const keys = {} as Record<ApiScope, string>;
  let revoked = "";
  let client = 0;

  // Each request from its own client address: refused probes must not trip the lockout, which
  // would answer 429 in the gate's place (test/routes/api-keys.test.ts covers the lockout).
  const request = (route: Route, bearer: string) =>
    app.request(route.url, {
      method: route.method,
      headers: { authorization: `Bearer ${bearer}`, "x-test-client": `scope-probe-${(client += 1)}`, ...(route.method === "GET" ? {} : { "content-type": "application/json" }) },
      ...(route.method === "GET" ? {} : { body: "{}" }),
    });

  async function createKey(name: string, scopes: readonly ApiScope[]): Promise<{ id: string; key: string }> {
    const response = await app.request("/admin/api/keys", { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ name, scopes }) });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; key: string };
  }

  function apiRoutes(): Route[] {
    const seen = new Set<string>();
    const out: Route[] = [];
    for (const route of app.routes) {
      if (route.method === "ALL" || !route.path.startsWith("/admin/api/")) continue;
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ method: route.method, path: route.path, url: route.path.replace(/:\w+(\{[^}]*\})?/g, DUMMY_ID) });
    }
    return out;
  }

  beforeAll(async () => {
    t = await makeTestApp({ engine });
    app = appFor(t, { adminToken: ADMIN, clientIp: (c) => c.req.header("x-test-client") ?? "203.0.113.1", queueStats: async () => ({ waiting: 0, active: 0, delayed: 0, failed: 0 }) });
    for (const scope of API_SCOPES) keys[scope] = (await createKey(`only ${scope}`, [scope])).key;
    const all = await createKey("revoked, every scope", API_SCOPES);
    revoked = all.key;
    const revoke = await app.request(`/admin/api/keys/${all.id}`, { method: "DELETE", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(revoke.status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  it("declares a scope for every mounted /admin/api route, and for no route that does not exist", () => {
    const mounted = apiRoutes().map((r) => `${r.method} ${r.path}`);
    expect(mounted.length).toBeGreaterThan(25);
    expect(mounted.filter((r) => !(r in ROUTE_SCOPES)), "routes without a row in src/http/api-scopes.ts").toEqual([]);
    expect(Object.keys(ROUTE_SCOPES).filter((r) => !mounted.includes(r)), "rows naming no route").toEqual([]);
  });

  it("lets a key through on exactly the routes of its scope, and answers 403 on every other", async () => {
    const failures: string[] = [];
    for (const route of apiRoutes()) {
      const needed = ROUTE_SCOPES[`${route.method} ${route.path}`] ?? "admin";
      for (const scope of API_SCOPES) {
        const response = await request(route, keys[scope]);
        const body = await response.text();
        if (scope === needed) {
          // The route's own answer: 2xx, or its 4xx for a dummy id or an empty body; never the gate's.
          if ([401, 403].includes(response.status) || response.status >= 500) failures.push(`${scope} → ${route.method} ${route.path}: ${response.status} ${body}`);
        } else if (response.status !== 403 || !body.includes("insufficient_scope")) {
          failures.push(`${scope} → ${route.method} ${route.path}: ${response.status}, expected 403`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("lets ADMIN_TOKEN, the owner's key, through on every route", async () => {
    const failures: string[] = [];
    for (const route of apiRoutes()) {
      const response = await request(route, ADMIN);
      if ([401, 403].includes(response.status) || response.status >= 500) failures.push(`${route.method} ${route.path}: ${response.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("refuses a revoked key on every route with 401, whatever scopes it had", async () => {
    const failures: string[] = [];
    for (const route of apiRoutes()) {
      const response = await request(route, revoked);
      if (response.status !== 401) failures.push(`${route.method} ${route.path}: ${response.status}`);
    }
    expect(failures).toEqual([]);
  });
});

describe("the scope guard", () => {
  it("covers a sub-app mounted beside the API from the admin router, in any order, with admin by default", async () => {
    // The shape of src/http/routes/admin/index.ts: the guard right behind the gate, then the API
    // and a feature's own API sub-app, mounted even before the API, outside api.ts.
    const api = new Hono<AppEnv>().get("/stats", (c) => c.text("stats"));
    const feature = new Hono<AppEnv>().get("/", (c) => c.text("list")).post("/:id/test", (c) => c.text("tested"));
    const app = new Hono<AppEnv>()
      .use(async (c, next) => {
        c.set("adminScopes", (c.req.header("x-scopes") ?? "").split(" ").filter(Boolean) as ApiScope[]);
        await next();
      })
      .route("/admin", new Hono<AppEnv>().use("/api/*", requireScope).route("/api/feature", feature).route("/api", api))
      .onError((error, c) => (error instanceof AppError ? c.text(error.code, error.status) : c.text(String(error), 500)));
    const as = (scopes: string, path: string, method = "GET") => app.request(path, { method, headers: { "x-scopes": scopes } });

    expect((await as("read", "/admin/api/stats")).status).toBe(200);
    expect((await as("send", "/admin/api/stats")).status).toBe(403);
    // Undeclared routes need admin.
    expect((await as("read readers:write send", "/admin/api/feature")).status).toBe(403);
    expect((await as("read readers:write send", "/admin/api/feature/x/test", "POST")).status).toBe(403);
    expect((await as("admin", "/admin/api/feature")).status).toBe(200);
    expect((await as("admin", "/admin/api/feature/x/test", "POST")).status).toBe(200);
    // A path nobody registered is the 404 it would be anyway.
    expect((await as("read", "/admin/api/nothing-here")).status).toBe(404);
  });
});
