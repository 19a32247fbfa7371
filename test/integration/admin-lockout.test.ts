import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { createApp } from "../../src/app.ts";
import { createRedisLoginLimiter } from "../../src/limits/redis-login-limiter.ts";
import { silentLogger } from "../../src/log.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../support/redis.ts";

/**
 * Two HTTP processes (two apps, each with its own Redis connection) behind one load balancer:
 * the admin lockout is one count in Redis for both, and every attempt is claimed before it is checked.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const ATTACKER = "198.51.100.66";
const ADMIN_DESK = "192.0.2.10";

let t: TestApp;
let prefix: string;
let connections: Redis[];
let apps: ReturnType<typeof createApp>[];

beforeEach(async () => {
  t = await makeTestApp();
  prefix = uniquePrefix("lockout");
  connections = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
  // Until a connection is ready each process counts alone (the limiter's outage fallback).
  await Promise.all(connections.map((redis) => redis.ping()));
  apps = connections.map((redis) =>
    appFor(t, {
      adminToken: ADMIN,
      loginLimiter: createRedisLoginLimiter(redis, prefix, silentLogger),
      clientIp: (c) => c.req.header("x-test-client") ?? ADMIN_DESK,
      now: undefined,
    }),
  );
});
afterEach(async () => {
  for (const redis of connections) redis.disconnect();
  await deleteKeys(prefix);
  await t.close();
});

const from = (ip: string) => ({ "x-test-client": ip });
const tally = (responses: Response[]) => {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
};

describe("admin lockout shared through Redis", () => {
  it("checks at most 10 of 60 parallel wrong logins spread over two processes; the rest get 429 with Retry-After", async () => {
    const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => apps[i % 2]!.request("/admin/login", form({ secret: `wrong-guess-${i}` }, from(ATTACKER)))));
    expect(tally(responses)).toEqual({ 401: 10, 429: 50 });
    for (const r of responses.filter((r) => r.status === 429)) expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);

    // Locked on both processes, even for the right secret; another client is not affected.
    for (const app of apps) expect((await app.request("/admin/login", form({ secret: ADMIN }, from(ATTACKER)))).status).toBe(429);
    expect((await apps[1]!.request("/admin/login", form({ secret: ADMIN }, from(ADMIN_DESK)))).status).toBe(303);
  }, 30_000);

  it("counts wrong bearer tokens toward the same lockout: 200 wrong tokens, 10 checked, the rest 429", async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => apps[i % 2]!.request("/admin/api/stats", { headers: { authorization: `Bearer wrong-token-${i}-xxxxxxxxxxxx`, ...from(ATTACKER) } })),
    );
    expect(tally(responses)).toEqual({ 401: 10, 429: 190 });
    const locked = responses.find((r) => r.status === 429)!;
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await locked.json()).toMatchObject({ error: { code: "too_many_attempts" } });

    // The login form is locked for that client too: one count for both ways in.
    expect((await apps[0]!.request("/admin/login", form({ secret: ADMIN }, from(ATTACKER)))).status).toBe(429);
    expect((await apps[0]!.request("/admin/api/stats", { headers: { authorization: `Bearer ${ADMIN}`, ...from(ATTACKER) } })).status).toBe(429);
  }, 30_000);

  it("gives a right secret's claim back, so a script using the token is never locked out by its own calls", async () => {
    for (let i = 0; i < 30; i++) {
      const response = await apps[i % 2]!.request("/admin/api/stats", { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(response.status).toBe(200);
    }
    // Nine wrong guesses still leave room for the tenth; the eleventh attempt is refused.
    for (let i = 0; i < 10; i++) expect((await apps[i % 2]!.request("/admin/api/stats", { headers: { authorization: "Bearer nope-nope-nope-nope" } })).status).toBe(401);
    expect((await apps[0]!.request("/admin/api/stats", { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(429);
  }, 30_000);
});
