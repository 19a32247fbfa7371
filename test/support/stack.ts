import type { AddressInfo } from "node:net";
import { start } from "../../src/boot.ts";
import type { Role, Runtime } from "../../src/boot.ts";
import { silentLogger } from "../../src/log.ts";
import type { Logger } from "../../src/log.ts";
import { createTestDatabase } from "./databases.ts";
import type { Engine, TestDatabase } from "./databases.ts";
import { startFakeResend } from "./fake-resend.ts";
import type { FakeResend, FakeResendOptions } from "./fake-resend.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis.ts";

/**
 * The real service, in this process: real Redis (own key prefix), a real database (own file or
 * schema), the real Resend SDK pointed at the local fake. Only the provider is fake.
 */

export const TEST_SECRET = "integration-test-secret-key-0123456789abcdef";
export const TEST_API_KEY = "re_test_key";

export interface Stack {
  runtime: Runtime;
  fake: FakeResend;
  db: TestDatabase;
  prefix: string;
  baseUrl: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The environment every test process of the service gets: its own database, Redis prefix and fake
 * provider, the shared test secrets, and `extra` on top.
 */
export function serviceEnv(base: { databaseUrl: string; prefix: string; resendUrl: string; redisUrl?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "test",
    APP_URL: "https://lessons.example.test",
    DATABASE_URL: base.databaseUrl,
    REDIS_URL: base.redisUrl ?? REDIS_URL,
    REDIS_PREFIX: base.prefix,
    RESEND_API_KEY: TEST_API_KEY,
    RESEND_BASE_URL: base.resendUrl,
    EMAIL_FROM: "Lessonpost <lessons@example.test>",
    SECRET_KEY: TEST_SECRET,
    RESEND_RATE_LIMIT: "50",
    TICK_MS: "200",
    ...extra,
  };
}

export async function startStack(
  engine: Engine,
  options: { roles?: Role[]; env?: Record<string, string>; fake?: FakeResendOptions; log?: Logger } = {},
): Promise<Stack> {
  const db = await createTestDatabase(engine);
  const fake = await startFakeResend({ apiKey: TEST_API_KEY, ...options.fake });
  const prefix = uniquePrefix(engine);
  const env = serviceEnv({ databaseUrl: db.url, prefix, resendUrl: fake.url }, { PORT: "0", ...options.env });

  const runtime = await start(options.roles ?? ["http", "workers"], env, { log: options.log ?? silentLogger });
  const port = runtime.server ? (runtime.server.address() as AddressInfo).port : 0;
  return {
    runtime,
    fake,
    db,
    prefix,
    baseUrl: `http://127.0.0.1:${port}`,
    env,
    async stop() {
      await runtime.shutdown();
      await fake.close();
      await deleteKeys(prefix);
      await db.drop();
    },
  };
}

/** Polls until `check` returns a value, or fails with `what` after the timeout. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The app-relative path of a link in an email (links use APP_URL; tests talk to the real port). */
export function linkPath(text: string, pattern: RegExp): string {
  const match = text.match(pattern);
  if (!match) throw new Error(`no link matching ${pattern} in:\n${text.slice(0, 2000)}`);
  return new URL(match[0]).pathname;
}

/** A form POST to the running server as a browser on its pages sends it (same Origin). */
export function formPost(url: string, fields: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin }, body: new URLSearchParams(fields) });
}
