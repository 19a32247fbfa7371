import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLoginLimiter } from "../../src/limits/login-limits.ts";
import { createLogger } from "../../src/log.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";

/** /admin/api/keys: created once, stored hashed, listed without secrets, revoked for good. */

const ADMIN = "admin-token-for-tests-0123456789";

interface KeyJson {
  id: string;
  key?: string;
  name: string;
  hint: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
  revokedAt: string | null;
}

describe.each(ENGINES)("API keys (%s)", (engine) => {
  let t: TestApp;
  let app: ReturnType<typeof appFor>;

  const call = (path: string, bearer: string, init: { method?: string; body?: unknown } = {}) =>
    app.request(path, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${bearer}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  const create = async (name: string, scopes: string[]) => {
    const response = await call("/admin/api/keys", ADMIN, { method: "POST", body: { name, scopes } });
    expect(response.status).toBe(201);
    return (await response.json()) as KeyJson & { key: string };
  };
  const list = async (bearer = ADMIN) => ((await (await call("/admin/api/keys", bearer)).json()) as { items: KeyJson[] }).items;

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    t.clock.now = Date.UTC(2030, 0, 7, 12, 0, 0);
    app = appFor(t, { adminToken: ADMIN, loginLimiter: memoryLoginLimiter(() => t.clock.now), queueStats: async () => ({ waiting: 0 }) });
  });
  afterEach(async () => {
    await t.close();
  });

  it("shows a new key once, stores only its hash, and lists it by name, hint and scopes", async () => {
    const response = await call("/admin/api/keys", ADMIN, { method: "POST", body: { name: "CRM sync", scopes: ["send", "read", "read"] } });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const created = (await response.json()) as KeyJson & { key: string };
    expect(created.key).toMatch(/^lp_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes).toEqual(["read", "send"]);
    expect(created.key.startsWith(created.hint)).toBe(true);

    const row = await t.db.selectFrom("api_keys").selectAll().where("id", "=", created.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);

    const items = await list();
    expect(items).toEqual([{ id: created.id, name: "CRM sync", hint: created.hint, scopes: ["read", "send"], createdAt: new Date(t.clock.now).toISOString(), lastUsedAt: null, revoked: false, revokedAt: null }]);
    expect(JSON.stringify(items)).not.toContain(created.key);
  });

  it("refuses a key without a name, without scopes, or with a scope that does not exist", async () => {
    const refusals = [
      [{ scopes: ["read"] }, 422],
      [{ name: "  ", scopes: ["read"] }, 422],
      [{ name: "No scopes", scopes: [] }, 422],
      [{ name: "Odd scope", scopes: ["read", "everything"] }, 422],
      [{ name: "Scopes as text", scopes: "read" }, 422],
    ] as const;
    for (const [body, status] of refusals) {
      const response = await call("/admin/api/keys", ADMIN, { method: "POST", body });
      expect(response.status, JSON.stringify(body)).toBe(status);
    }
    const notJson = await app.request("/admin/api/keys", { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: "{name" });
    expect(notJson.status).toBe(400);
    expect(await list()).toEqual([]);
  });

  it("records a key's last use at most once a minute", async () => {
    const { id, key } = await create("Dashboard", ["read"]);
    const used = async () => (await list()).find((k) => k.id === id)!.lastUsedAt;
    const start = t.clock.now;
    expect((await call("/admin/api/stats", key)).status).toBe(200);
    expect(await used()).toBe(new Date(start).toISOString());
    t.clock.now = start + 59_000;
    expect((await call("/admin/api/stats", key)).status).toBe(200);
    expect(await used()).toBe(new Date(start).toISOString());
    t.clock.now = start + 60_000;
    expect((await call("/admin/api/stats", key)).status).toBe(200);
    expect(await used()).toBe(new Date(start + 60_000).toISOString());
  });

  it("revokes a key at once: 401 from then on, listed as revoked; an unknown id is a 404", async () => {
    const { id, key } = await create("Old script", ["read", "admin"]);
    expect((await call("/admin/api/stats", key)).status).toBe(200);
    t.clock.now += 5_000;
    const revoke = await call(`/admin/api/keys/${id}`, ADMIN, { method: "DELETE" });
    expect(revoke.status).toBe(200);
    expect(((await revoke.json()) as KeyJson).revokedAt).toBe(new Date(t.clock.now).toISOString());

    const refused = await call("/admin/api/stats", key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("revoked");
    // Its admin scope is gone with it: it cannot undo its revocation or list the keys.
    expect((await call("/admin/api/keys", key)).status).toBe(401);
    expect((await list()).map((k) => [k.id, k.revoked])).toEqual([[id, true]]);

    // Revoking again changes nothing.
    const again = await call(`/admin/api/keys/${id}`, ADMIN, { method: "DELETE" });
    expect(((await again.json()) as KeyJson).revokedAt).toBe(new Date(t.clock.now).toISOString());
    expect((await call("/admin/api/keys/00000000-0000-4000-8000-00000000abcd", ADMIN, { method: "DELETE" })).status).toBe(404);
  });

  it("lets a key with the admin scope manage keys, and one without it not", async () => {
    const admin = await create("Key manager", ["admin"]);
    const reader = await create("Reader", ["read"]);
    expect((await call("/admin/api/keys", reader.key, { method: "POST", body: { name: "Escalate", scopes: ["admin"] } })).status).toBe(403);
    const made = await call("/admin/api/keys", admin.key, { method: "POST", body: { name: "Made by a key", scopes: ["send"] } });
    expect(made.status).toBe(201);
    expect((await call(`/admin/api/keys/${reader.id}`, admin.key, { method: "DELETE" })).status).toBe(200);
    expect((await call("/admin/api/stats", reader.key)).status).toBe(401);
  });

  it("refuses an unknown key with 401, and opens only the JSON API, never the console", async () => {
    const unknown = `lp_${"A".repeat(43)}`;
    expect((await call("/admin/api/stats", unknown)).status).toBe(401);
    const { key } = await create("Everything", ["read", "readers:write", "send", "admin"]);
    for (const path of ["/admin", "/admin/readers", "/admin/keys"]) {
      expect((await app.request(path, { headers: { authorization: `Bearer ${key}`, accept: "text/html" } })).status, path).toBe(401);
    }
  });

  it("keeps keys out of the logs: created, used, refused and revoked, only the key's id is named", async () => {
    const lines: string[] = [];
    app = appFor(t, { adminToken: ADMIN, log: createLogger("debug", (line) => lines.push(line)) });
    const { id, key } = await create("Logged", ["read"]);
    expect((await call("/admin/api/stats", key)).status).toBe(200);
    expect((await call("/admin/api/keys", key)).status).toBe(403);
    expect((await call(`/admin/api/keys/${id}`, ADMIN, { method: "DELETE" })).status).toBe(200);
    expect((await call("/admin/api/stats", key)).status).toBe(401);
    const log = lines.join("\n");
    expect(log).toContain(id);
    expect(log).toContain("revoked api key refused");
    expect(log).not.toContain(key);
    expect(log).not.toContain(key.slice(3, 20));
  });

  it("counts wrong keys toward the admin lockout, like wrong tokens", async () => {
    const { key } = await create("Good", ["read"]);
    for (let i = 0; i < 10; i++) expect((await call("/admin/api/stats", `lp_${String(i).repeat(43)}`)).status).toBe(401);
    const locked = await call("/admin/api/stats", key);
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBeTruthy();
    t.clock.now += 16 * 60 * 1000;
    expect((await call("/admin/api/stats", key)).status).toBe(200);
  });
});
