import { catalogueOf } from "../../src/content/catalogue.ts";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Logger } from "../../src/log.ts";
import { createRedisSignupLimiter } from "../../src/limits/redis-signup-limiter.ts";
import { composeEmail } from "../../src/render/compose.ts";
import { createOutbox } from "../../src/send/outbox.ts";
import { readResendEvent, recordProviderEvent } from "../../src/store/provider-events.ts";
import { emailHash } from "../../src/store/suppressions.ts";
import { confirmToken, preferencesToken } from "../../src/tokens.ts";
import { ENGINES } from "../support/databases.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { makeTestProducer } from "../support/real-producer.ts";
import type { TestProducer } from "../support/real-producer.ts";
import { REDIS_URL, uniquePrefix } from "../support/redis.ts";
import { TEST_SECRET } from "../support/stack.ts";

/** Everything the erase path logs, to prove the address is not in it. */
function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") } as unknown as Logger;
}

async function redisKeys(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    return await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}

let t: TestApp | undefined;
let producer: TestProducer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  t = undefined;
  dir = undefined;
});

describe.each(ENGINES)("erasure leaves the address nowhere (%s)", (engine) => {
  it.each(["reader", "admin"] as const)("after a %s delete: no provider events, outbox files, /outbox rows, Redis keys or log lines carry it", async (who) => {
    t = await makeTestApp({ engine });
    dir = mkdtempSync(join(tmpdir(), "lessonpost-outbox-"));
    const outbox = createOutbox(dir);
    const course = await loadCourse("content/couples-therapy-up-close");
    const prefix = uniquePrefix("erase");
    const logs: string[] = [];
    const log = recordingLogger(logs);
    producer = makeTestProducer(t.db);
    const limiter = createRedisSignupLimiter(producer.connection, prefix, log);
    const app = createApp({
      db: t.db, catalogue: catalogueOf([course]), log, appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, dispatcher: producer, outbox, signupLimiter: limiter,
      adminToken: "an-admin-token-long-enough", clientIp: () => "203.0.113.7", now: () => t!.clock.now,
    });
    const address = "Erin.Erased@example.com";
    const key = address.toLowerCase();
    // The bystander's address contains the reader's; this looks past it.
    const mentions = (text: string) => text.toLowerCase().replaceAll(`x${key}`, "").includes(key);

    // A reader and a bystander whose address contains the reader's (joann@ vs ann@ style).
    await app.request("/subscribe", form({ email: address, name: "Erin" }));
    await app.request("/subscribe", form({ email: `x${address}` }));
    const id = (await t.db.selectFrom("subscribers").select("id").where("email_key", "=", key).executeTakeFirstOrThrow()).id;
    await app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form());
    await app.request("/preferences/new-link", form({ email: address }));

    // Every email goes through the outbox exactly as the worker sends it.
    const ctx = { course, appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, from: "Lessons <lessons@example.com>", now: t.clock.now };
    for (const send of await t.db.selectFrom("sends").selectAll().execute()) {
      const reader = await t.db.selectFrom("subscribers").selectAll().where("id", "=", send.subscriber_id).executeTakeFirstOrThrow();
      const { id: providerId } = await outbox.send(await composeEmail(send, reader, ctx));
      await t.db.updateTable("sends").set({ status: "sent", provider_id: providerId }).where("id", "=", send.id).execute();
    }
    const ourEmail = (await t.db.selectFrom("sends").select("provider_id").where("subscriber_id", "=", id).where("kind", "=", "lesson").executeTakeFirstOrThrow()).provider_id!;
    // Provider events: one about a known send, one that arrived before its send row existed, one
    // for mail another app sent to the address, and the bystander's.
    const events: [string, Record<string, unknown>][] = [
      ["ev-known", { type: "email.delivered", created_at: "2026-01-01T00:00:00Z", data: { email_id: ourEmail, to: [`Erin <${key}>`] } }],
      ["ev-early", { type: "email.delivered", created_at: "2026-01-01T00:00:00Z", data: { email_id: "not-yet-known", to: [address] } }],
      ["ev-other-app", { type: "email.opened", created_at: "2026-01-01T00:00:00Z", data: { email_id: "elsewhere", to: [address.toUpperCase()] } }],
      ["ev-bystander", { type: "email.delivered", created_at: "2026-01-01T00:00:00Z", data: { email_id: "bystander", to: [`x${key}`] } }],
    ];
    for (const [eventId, body] of events) await recordProviderEvent(t.db, readResendEvent(eventId, JSON.stringify(body), body)!, t.clock.now);

    expect(readdirSync(dir).filter((f) => mentions(readFileSync(join(dir!, f), "utf8")))).toHaveLength(3);
    expect(mentions(await (await app.request("/outbox")).text())).toBe(true);
    expect((await redisKeys(prefix)).length).toBeGreaterThan(0);
    const hash = await emailHash(key);
    expect((await redisKeys(prefix)).some((k) => k.includes(hash))).toBe(true);

    const erased =
      who === "reader"
        ? await app.request(`/preferences/${await preferencesToken(TEST_SECRET, id, t.clock.now)}/delete`, form({ confirm: "yes" }))
        : await app.request(`/admin/api/subscribers/${id}`, { method: "DELETE", headers: { authorization: "Bearer an-admin-token-long-enough" } });
    expect(erased.status).toBeLessThan(300);

    const remaining = await t.db.selectFrom("webhook_events").select(["id", "payload"]).execute();
    expect(remaining.map((e) => e.id)).toEqual(["ev-bystander"]);
    expect(remaining.some((e) => mentions(e.payload))).toBe(false);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    expect(files.some((f) => mentions(readFileSync(join(dir!, f), "utf8")))).toBe(false);
    expect(mentions(await (await app.request("/outbox")).text())).toBe(false);
    const keys = await redisKeys(prefix);
    expect(keys.some((k) => mentions(k) || k.includes(key))).toBe(false);
    expect(keys.filter((k) => k.includes(hash))).toEqual([]);
    // The bystander's counter is still there: the erasure deleted by exact address.
    const bystanderHash = await emailHash(`x${key}`);
    expect(keys.some((k) => k.includes(bystanderHash))).toBe(true);
    expect(logs.some((line) => mentions(line))).toBe(false);
    expect(await t.db.selectFrom("subscribers").select("id").where("email_key", "=", key).execute()).toEqual([]);
  });
});
