import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { start } from "../../src/boot.ts";
import type { Runtime } from "../../src/boot.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { createTestDatabase, POSTGRES_URL } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { startFakeResend } from "../support/fake-resend.ts";
import type { FakeResend } from "../support/fake-resend.ts";
import { freePort, ROOT } from "../support/processes.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { formPost, linkPath, serviceEnv, TEST_API_KEY, TEST_SECRET, waitFor } from "../support/stack.ts";

/**
 * The Cloudflare Worker (src/main-cloudflare.ts) under workerd, the runtime Cloudflare runs, through
 * `wrangler dev --local`: nothing reaches Cloudflare. Its Hyperdrive binding points at a fresh
 * PostgreSQL schema; the Node workers run in this process against the same schema, with real
 * Redis and the fake Resend. The edge only writes ledger rows; the Node tick sends them.
 */

const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CONTENT_DIR = join(ROOT, "content");
const START_TIMEOUT_MS = 90_000;

interface LocalWorker {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `wrangler dev --local` in its own process group, so stopping it also stops its workerd. */
async function startLocalWorker(vars: Record<string, string>, hyperdriveUrl: string, persistTo: string): Promise<LocalWorker> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [WRANGLER, "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistTo, "--show-interactive-dev-session=false", "--log-level", "info"];
  for (const [name, value] of Object.entries({ APP_URL: url, ...vars })) args.push("--var", `${name}:${value}`);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // Built from scratch: no CLOUDFLARE_API_TOKEN or account can leak in, so wrangler has nothing
    // to log in with. The custom build step runs `node`: the same one as these tests.
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
      HOME: process.env.HOME ?? "",
      CONTENT_DIR,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl,
      WRANGLER_SEND_METRICS: "false",
      // Request.cf would otherwise be fetched from Cloudflare on start-up (and time out offline).
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    },
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    process.kill(-child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(-child.pid, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const fail = async (why: string): Promise<never> => {
    await stop();
    throw new Error(`The Worker did not start under workerd (wrangler dev --local): ${why}.\n--- wrangler output ---\n${output}`);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) return fail(`wrangler exited (${child.exitCode ?? child.signalCode})`);
    if (Date.now() > deadline) return fail(`not ready after ${START_TIMEOUT_MS / 1000} s`);
    if (/Ready on http/.test(output)) {
      const health = await fetch(`${url}/healthz`).catch(() => undefined);
      if (health?.status === 200) break;
      if (health) return fail(`/healthz answered ${health.status}: ${await health.text()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, output: () => output, stop };
}

/**
 * The role the Worker connects as: the schema is its default search_path (Hyperdrive passes no
 * startup options, so the schema cannot ride in the URL as it does for the Node side), and it may
 * read and write rows but not change the schema: migrations are the Node side's job.
 */
async function createEdgeRole(schema: string): Promise<{ url: string; drop(): Promise<void> }> {
  const role = `${schema}_edge`;
  const password = "edge-password";
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`create role ${role} login password '${password}'`);
    await client.query(`alter role ${role} set search_path = ${schema}`);
    await client.query(`grant usage on schema ${schema} to ${role}`);
    await client.query(`grant select, insert, update, delete on all tables in schema ${schema} to ${role}`);
  } finally {
    await client.end();
  }
  const url = new URL(POSTGRES_URL);
  url.username = role;
  url.password = password;
  return {
    url: url.toString(),
    async drop() {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query(`drop owned by ${role}`);
        await admin.query(`drop role if exists ${role}`);
      } finally {
        await admin.end();
      }
    },
  };
}

describe("the public pages as a Cloudflare Worker (workerd, Hyperdrive to PostgreSQL)", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  });

  it("signs up at the edge, the Node workers send the confirmation, confirming at the edge brings lesson 1", { timeout: 180_000 }, async () => {
    const testDb: TestDatabase = await createTestDatabase("postgres");
    cleanups.push(() => testDb.drop());
    const db: Database = await openDatabase(testDb.url);
    cleanups.push(() => db.destroy());
    const { schema } = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!;
    const edgeRole = await createEdgeRole(schema);
    cleanups.push(() => edgeRole.drop());

    const state = mkdtempSync(join(tmpdir(), "lessonpost-wrangler-"));
    cleanups.push(async () => rmSync(state, { recursive: true, force: true }));
    // ADMIN_TOKEN is set only to show the Worker ignores it: the console stays on the Node side.
    const worker = await startLocalWorker({ SECRET_KEY: TEST_SECRET, LOG_LEVEL: "warn", ADMIN_TOKEN: "edge-admin-token-0123456789" }, edgeRole.url, state);
    cleanups.push(() => worker.stop());
    const ip = "198.51.100.23";
    expect((await fetch(`${worker.url}/admin/login`)).status).toBe(404);
    expect((await fetch(`${worker.url}/outbox`)).status).toBe(404);

    // 1. Sign up through the Worker: the ledger row is written, and nothing offers it to Redis.
    const signupPage = await fetch(`${worker.url}/`);
    expect(signupPage.status).toBe(200);
    expect(await signupPage.text()).toContain('action="/subscribe"');
    const signup = await fetch(`${worker.url}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: worker.url, "cf-connecting-ip": ip },
      body: new URLSearchParams({ email: "edge@example.com", name: "Robin", timezone: "Europe/Paris" }),
    });
    expect(signup.status, worker.output()).toBe(200);
    expect(await signup.text()).toContain("Check your inbox");

    const subscriber = await db.selectFrom("subscribers").selectAll().where("email", "=", "edge@example.com").executeTakeFirstOrThrow();
    expect(subscriber).toMatchObject({ status: "pending", name: "Robin", timezone: "Europe/Paris", consent_ip: ip, consent_form: "signup-page" });
    const pendingConfirm = await db.selectFrom("sends").selectAll().where("subscriber_id", "=", subscriber.id).execute();
    expect(pendingConfirm).toHaveLength(1);
    expect(pendingConfirm[0]).toMatchObject({ kind: "confirm", status: "queued", enqueued_at: null });

    // 2. The Node workers, against the same schema: their tick hands the row to Redis, the sender
    // sends it.
    const fake: FakeResend = await startFakeResend({ apiKey: TEST_API_KEY });
    cleanups.push(() => fake.close());
    const prefix = uniquePrefix("edge");
    cleanups.push(() => deleteKeys(prefix));
    const runtime: Runtime = await start(
      ["workers"],
      serviceEnv({ databaseUrl: testDb.url, prefix, resendUrl: fake.url }, { APP_URL: worker.url, CONTENT_DIR }),
      { log: silentLogger },
    );
    cleanups.push(() => runtime.shutdown());

    const confirmation = await waitFor("the confirmation email", () => fake.emails.find((e) => e.subject.startsWith("Confirm")));
    expect(confirmation.to).toEqual(['"Robin" <edge@example.com>']);
    // The provider answers before the sender records the outcome: wait for the row, not the email.
    const sentConfirm = await waitFor("the confirmation marked sent", async () => {
      const row = await db.selectFrom("sends").select(["status", "enqueued_at", "provider_id"]).where("id", "=", pendingConfirm[0]!.id).executeTakeFirstOrThrow();
      return row.status === "sent" ? row : undefined;
    });
    expect(sentConfirm.enqueued_at).toEqual(expect.any(Number));
    expect(sentConfirm.provider_id).toBe(confirmation.id);

    // 3. Confirm through the Worker: GET shows the button, the POST from it (same Origin) confirms.
    const confirmPath = linkPath(confirmation.text ?? "", new RegExp(`${worker.url.replace(/[.:/]/g, "\\$&")}/confirm/[\\w.-]+`));
    const page = await fetch(`${worker.url}${confirmPath}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`action="${confirmPath}"`);
    const confirm = await formPost(`${worker.url}${confirmPath}`);
    expect(confirm.status, worker.output()).toBe(200);
    expect(await confirm.text()).toContain("on its way");

    const firstLesson = runtime.catalogue.primary.lessons[0]!;
    const lesson = await waitFor("lesson 1", () => fake.emails.find((e) => e.subject === firstLesson.subject));
    expect(lesson.to).toEqual(['"Robin" <edge@example.com>']);
    expect(lesson.headers["List-Unsubscribe"]).toMatch(new RegExp(`^<${worker.url}/unsubscribe/[\\w.-]+>$`));

    const after = await db.selectFrom("subscribers").select("status").where("id", "=", subscriber.id).executeTakeFirstOrThrow();
    expect(after.status).toBe("active");
    const sends = await waitFor("lesson 1 marked sent", async () => {
      const rows = await db.selectFrom("sends").select(["kind", "status", "lesson_slug"]).where("subscriber_id", "=", subscriber.id).orderBy("created_at").execute();
      return rows.every((r) => r.status === "sent") ? rows : undefined;
    });
    expect(sends).toEqual([
      { kind: "confirm", status: "sent", lesson_slug: null },
      { kind: "lesson", status: "sent", lesson_slug: firstLesson.slug },
    ]);
    expect(fake.duplicates()).toEqual([]);

    // 4. The one-click unsubscribe a mailbox provider POSTs (no Origin) works at the edge too.
    const oneClick = await fetch(lesson.headers["List-Unsubscribe"]!.slice(1, -1), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(oneClick.status, worker.output()).toBe(200);
    const unsubscribed = await db.selectFrom("subscribers").select("status").where("id", "=", subscriber.id).executeTakeFirstOrThrow();
    expect(unsubscribed.status).toBe("unsubscribed");
  });
});
