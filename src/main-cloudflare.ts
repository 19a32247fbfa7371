import courseFolders from "lessonpost:course-files";
import { createApp } from "./app.ts";
import { ConfigError, parseConfig } from "./config.ts";
import type { Config } from "./config.ts";
import { parseCatalogue } from "./content/catalogue.ts";
import { createTurnstileCheck } from "./limits/turnstile.ts";
import { createLogger } from "./log.ts";
import type { Database } from "./store/database.ts";
import { connectPostgres } from "./store/postgres.ts";

/**
 * The Cloudflare Worker: the public pages and webhooks at the edge, over PostgreSQL through
 * Hyperdrive. There is no Redis here: a signup or confirmation only writes its ledger rows, and
 * the Node workers' tick hands every row with no `enqueued_at` to the queue. Migrations, the
 * queue, the senders and the admin console stay on the Node side.
 *
 * /admin answers 404 here (the app's own rule when no ADMIN_TOKEN or ADMIN_PASSWORD_HASH is
 * given, so this entry does not read them): the console's login lockout lives in process memory,
 * which at the edge is a fresh request or a short-lived isolate among many, so it would not limit
 * guessing; and its queue board and counts need Redis.
 *
 * Keep this module's imports web-standard: nothing from boot.ts, workers/ or the queue, and no
 * store/connect.ts or store/sqlite.ts (better-sqlite3); store/postgres.ts is the opener here.
 */

/** The subset of the Worker's bindings this entry reads (wrangler.toml, secrets, vars). */
export interface WorkerEnv {
  HYPERDRIVE: { connectionString: string };
  SECRET_KEY?: string;
  APP_URL?: string;
  RESEND_WEBHOOK_SECRET?: string;
  LOG_LEVEL?: string;
  COURSE_DAY_SECONDS?: string;
  ALLOWED_ORIGINS?: string;
  TURNSTILE_SECRET_KEY?: string;
  TURNSTILE_SITE_KEY?: string;
  TURNSTILE_VERIFY_URL?: string;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

// Parsed once per isolate; the files were validated by the build step, so this cannot fail on
// content that passed `wrangler deploy`.
const catalogue = parseCatalogue(courseFolders);

const configs = new WeakMap<object, Config>();

/** Same names, defaults and checks as on Node, except that a missing SECRET_KEY or APP_URL is an error. */
function configFrom(env: WorkerEnv): Config {
  let config = configs.get(env);
  if (!config) {
    if (!env.APP_URL) throw new ConfigError("Invalid configuration: APP_URL: is required on Cloudflare (the public https:// address of these pages)");
    config = parseConfig({
      NODE_ENV: "production",
      APP_URL: env.APP_URL,
      SECRET_KEY: env.SECRET_KEY,
      RESEND_WEBHOOK_SECRET: env.RESEND_WEBHOOK_SECRET,
      LOG_LEVEL: env.LOG_LEVEL,
      COURSE_DAY_SECONDS: env.COURSE_DAY_SECONDS,
      ALLOWED_ORIGINS: env.ALLOWED_ORIGINS,
      // Signups at the edge pass the same bot check as on Node.
      TURNSTILE_SECRET_KEY: env.TURNSTILE_SECRET_KEY,
      TURNSTILE_SITE_KEY: env.TURNSTILE_SITE_KEY,
      TURNSTILE_VERIFY_URL: env.TURNSTILE_VERIFY_URL,
    });
    configs.set(env, config);
  }
  return config;
}

/**
 * One small pool per request: a Worker may not use a socket opened while serving another request,
 * and Hyperdrive already keeps the real connections to PostgreSQL warm, so connecting is cheap.
 * Five leaves room for a transaction plus a query beside it, under the six open connections a
 * Worker invocation may hold.
 */
function openHyperdrive(connectionString: string): Database {
  return connectPostgres(connectionString, { max: 5 });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let config: Config;
    try {
      config = configFrom(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`lessonpost: ${error.message}`);
      return new Response("This service is not configured yet.", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
    }

    const db = openHyperdrive(env.HYPERDRIVE.connectionString);
    try {
      const log = createLogger(config.LOG_LEVEL);
      const app = createApp({
        db,
        catalogue,
        log,
        appUrl: config.APP_URL,
        secretKey: config.SECRET_KEY,
        webhookSecret: config.RESEND_WEBHOOK_SECRET,
        clientIp: (c) => c.req.header("cf-connecting-ip") ?? null,
        courseDaySeconds: config.COURSE_DAY_SECONDS,
        allowedOrigins: config.ALLOWED_ORIGINS,
        botCheck: config.TURNSTILE_SECRET_KEY ? createTurnstileCheck({ secretKey: config.TURNSTILE_SECRET_KEY, verifyUrl: config.TURNSTILE_VERIFY_URL, log }) : undefined,
        turnstileSiteKey: config.TURNSTILE_SITE_KEY,
      });
      return await app.fetch(request);
    } finally {
      // Safe because no public route streams: each body is complete when fetch returns.
      ctx.waitUntil(db.destroy());
    }
  },
};
