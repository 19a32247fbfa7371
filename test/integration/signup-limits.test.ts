import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { createRedisSignupLimiter } from "../../src/limits/redis-signup-limiter.ts";
import { silentLogger } from "../../src/log.ts";
import { producerConnection } from "../../src/queue/redis.ts";
import { form, json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { makeTestProducer } from "../support/real-producer.ts";
import type { TestProducer } from "../support/real-producer.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * The signup and fresh-link limits as the Node server runs them: counters in Redis, shared by
 * every HTTP process, and let through when Redis is down. The pages themselves run without Redis
 * in test/routes/.
 */

let t: TestApp | undefined;
let producer: TestProducer | undefined;
let prefix: string | undefined;
afterEach(async () => {
  await producer?.close();
  if (prefix) await deleteKeys(prefix);
  await t?.close();
  producer = undefined;
  prefix = undefined;
  t = undefined;
});

/** A database, and the producer's fail-fast Redis connection (the one the server's limiters share), ready. */
async function setup() {
  t = await makeTestApp();
  producer = makeTestProducer(t.db);
  // Until the connection is ready the limiter lets everyone through (its outage fallback).
  await producer.ping();
  prefix = uniquePrefix("limits");
  return { t, connection: producer.connection, prefix };
}

describe("signup limits in Redis", () => {
  it("limits signups per IP and per address in Redis, with a 429 page that says when to retry", async () => {
    const s = await setup();
    const limiter = createRedisSignupLimiter(s.connection, s.prefix, silentLogger, { perIpPerMinute: 3, perIpPerHour: 100, perAddressPerHour: 2 });
    let ip = "198.51.100.1";
    const app = createApp({ db: s.t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://x.test", secretKey: TEST_SECRET, signupLimiter: limiter, clientIp: () => ip });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.request("/subscribe", form({ email: `n${i}@example.com` }))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.request("/subscribe", form({ email: "n9@example.com" }));
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.text()).toContain("Too many attempts");
    // One address from many IPs: a stranger's inbox is not a target.
    const perAddress = [];
    for (let i = 0; i < 3; i++) {
      ip = `203.0.113.${100 + i}`;
      perAddress.push((await app.request("/subscribe", json({ email: "target@example.com" }))).status);
    }
    expect(perAddress).toEqual([202, 202, 429]);
  });

  it("limits signups per IP per hour when each minute stays under its own limit", async () => {
    const s = await setup();
    const limiter = createRedisSignupLimiter(s.connection, s.prefix, silentLogger, { perIpPerMinute: 100, perIpPerHour: 2, perAddressPerHour: 100 });
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push(await limiter.check("198.51.100.7", `h${i}@example.com`));
    expect(verdicts.slice(0, 2)).toEqual([{ allowed: true }, { allowed: true }]);
    // The hour's window, not the minute's: the retry is most of an hour away.
    expect(verdicts[2]).toMatchObject({ allowed: false });
    expect((verdicts[2] as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(60);
  });

  it("the fresh-link form is rate-limited per address in Redis", async () => {
    const s = await setup();
    const limiter = createRedisSignupLimiter(s.connection, s.prefix, silentLogger, { perIpPerMinute: 100, perIpPerHour: 100, perAddressPerHour: 2 });
    const app = createApp({ db: s.t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://x.test", secretKey: TEST_SECRET, signupLimiter: limiter, clientIp: () => "198.51.100.9" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.request("/preferences/new-link", form({ email: i === 1 ? "NOBODY@example.com" : "nobody@example.com" }))).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("a rate-limited fresh-link request is told about link requests and when to retry, not about signups", async () => {
    const s = await setup();
    const limiter = createRedisSignupLimiter(s.connection, s.prefix, silentLogger, { perIpPerMinute: 100, perIpPerHour: 100, perAddressPerHour: 1 });
    const app = createApp({ db: s.t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://x.test", secretKey: TEST_SECRET, signupLimiter: limiter, clientIp: () => "198.51.100.10" });
    expect((await app.request("/preferences/new-link", form({ email: "again@example.com" }))).status).toBe(200);
    const limited = await app.request("/preferences/new-link", form({ email: "again@example.com" }));
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    const page = await limited.text();
    const minutes = Math.max(1, Math.ceil(retryAfter / 60));
    expect(page).toContain(`a lot of requests for a preferences link, from here or for this address, in a short time. Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
    expect(page).toContain("a link may already be on its way");
    expect(page).not.toContain("signup");
  });
});

/** Every upper/lower-case spelling of "victim" at one domain, 16 of them as in the report. */
function caseVariants(count: number): string[] {
  const out: string[] = [];
  for (let mask = 0; out.length < count; mask++) {
    out.push(`${[..."victim"].map((ch, i) => (mask & (1 << i) ? ch.toUpperCase() : ch)).join("")}@Example.com`);
  }
  return out;
}

describe.each(ENGINES)("signup limits with Redis down (%s)", (engine) => {
  it("with Redis down, 16 spellings of one address still get one confirmation: the window is in the database", async () => {
    t = await makeTestApp({ engine });
    // Nothing listens on port 1. The limiter on an unreachable Redis lets signups through, so only
    // the database can hold the line.
    const connection = producerConnection("redis://127.0.0.1:1");
    connection.on("error", () => {});
    try {
      const limiter = createRedisSignupLimiter(connection, "lptest:identity-down", silentLogger);
      let n = 0;
      const app = createApp({ db: t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://x.test", secretKey: TEST_SECRET, signupLimiter: limiter, clientIp: () => `198.51.100.${n++}`, now: () => t!.clock.now });
      for (const email of caseVariants(16)) expect((await app.request("/subscribe", json({ email }))).status).toBe(202);
      expect(await t.db.selectFrom("subscribers").selectAll().execute()).toHaveLength(1);
      expect(await t.db.selectFrom("sends").select("id").where("kind", "=", "confirm").execute()).toHaveLength(1);
    } finally {
      connection.disconnect();
    }
  });
});
