import { errorMessage } from "./errors.ts";
import type { Server } from "node:http";
import { resolve } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Redis } from "ioredis";
import { createApp } from "./app.ts";
import { parseConfig, ConfigError, productionWarnings } from "./config.ts";
import type { Config } from "./config.ts";
import { ContentError, loadCatalogue } from "./content/load.ts";
import { isPlaceholderPostalAddress, PLACEHOLDER_POSTAL_ADDRESS_PROBLEM } from "./content/postal-address.ts";
import type { Catalogue } from "./content/catalogue.ts";
import { createLogger } from "./log.ts";
import type { Logger } from "./log.ts";
import { createProducer } from "./queue/producer.ts";
import type { Producer } from "./queue/producer.ts";
import { pingRedis, workerConnection } from "./queue/redis.ts";
import type { Mailer } from "./send/mailer.ts";
import { createOutbox } from "./send/outbox.ts";
import type { OutboxReader } from "./send/outbox.ts";
import { createResendMailer } from "./send/resend-mailer.ts";
import { createRedisLoginLimiter } from "./limits/redis-login-limiter.ts";
import { createRedisSignupLimiter } from "./limits/redis-signup-limiter.ts";
import { createTurnstileCheck } from "./limits/turnstile.ts";
import { createQueuesBoard } from "./http/queues-board.ts";
import { openDatabase } from "./store/connect.ts";
import type { Database } from "./store/database.ts";
import { adoptFormerSlugs, enrollmentsOutside } from "./store/course-state.ts";
import { createSendWorker } from "../workers/send-worker.ts";
import { createTickWorker } from "../workers/tick-worker.ts";
import { createWebhookWorker } from "../workers/webhook-worker.ts";
import { createWebhookSender } from "./send/webhook-sender.ts";

/**
 * The Node process: config, storage, queue, then whichever roles this process plays. One process
 * can be everything (`npm start`), or HTTP only and workers only, to scale each independently.
 */

export type Role = "http" | "workers";

export interface Runtime {
  config: Config;
  log: Logger;
  db: Database;
  catalogue: Catalogue;
  producer: Producer;
  server?: Server;
  /** Stops taking work, lets in-flight sends finish, closes every connection. */
  shutdown(): Promise<void>;
}

export class StartupError extends Error {
  override name = "StartupError";
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

/** The database for the start-up log: the SQLite file's full path, or PostgreSQL's host and database, never the user or password. */
function describeDatabase(url: string): string {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length);
    return file === ":memory:" ? "SQLite in memory (nothing is kept after a stop)" : `SQLite at ${resolve(file)}`;
  }
  try {
    const parsed = new URL(url);
    return `PostgreSQL, database "${decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default)"}" on ${parsed.host}`;
  } catch {
    return "PostgreSQL (DATABASE_URL could not be read for this line)";
  }
}

export async function start(roles: readonly Role[], env: Record<string, string | undefined> = process.env, options: { log?: Logger } = {}): Promise<Runtime> {
  const config = parseConfig(env);
  const log = options.log ?? createLogger(config.LOG_LEVEL);
  const catalogue = await loadCatalogue(config.CONTENT_DIR);
  const placeholder = catalogue.courses.find((course) => isPlaceholderPostalAddress(course.postalAddress));
  if (config.NODE_ENV === "production" && placeholder) {
    throw new StartupError(`course "${placeholder.slug}" (${config.CONTENT_DIR}), course.yaml: ${PLACEHOLDER_POSTAL_ADDRESS_PROBLEM}`);
  }
  for (const warning of productionWarnings(config)) log.warn(warning);

  try {
    await pingRedis(config.REDIS_URL, 5_000);
  } catch (error) {
    throw new StartupError(
      `Cannot reach Redis at REDIS_URL=${redactUrl(config.REDIS_URL)} (${errorMessage(error)}). ` +
        `Start one (Debian/Ubuntu: "sudo apt-get install redis-server", macOS: "brew services start redis", Docker: "docker run -d -p 6379:6379 redis:7") or set REDIS_URL.`,
    );
  }
  if (config.usingDevSecret) log.warn("SECRET_KEY is not set: using the development key. Set SECRET_KEY (32+ random characters) before real readers sign up.");

  const db = await openDatabase(config.DATABASE_URL);
  // What a newcomer needs to find their way, once the checks that can stop the start have passed
  // (a refused start says one line): one line each, nothing secret in any of them.
  log.info(`database: ${describeDatabase(config.DATABASE_URL)}`);
  log.info(`courses loaded from ${resolve(config.CONTENT_DIR)}: ${catalogue.courses.map((course) => course.slug).join(", ")}`);
  if (config.COURSE_DAY_SECONDS !== undefined) {
    log.info(`COURSE_DAY_SECONDS=${config.COURSE_DAY_SECONDS}: the calendar is compressed, one course day lasts ${config.COURSE_DAY_SECONDS} seconds (send hours and weekdays are ignored); unset it for real readers`);
  }
  const moved = await adoptFormerSlugs(db, catalogue.courses, Date.now());
  if (moved > 0) log.info(`moved ${moved} enrollment${moved === 1 ? "" : "s"} from a course's former slug to its folder's (formerSlugs in course.yaml)`);
  for (const { courseSlug, count } of await enrollmentsOutside(db, catalogue.courses.map((c) => c.slug))) {
    log.warn(`${count} reader${count === 1 ? " is" : "s are"} enrolled in course "${courseSlug}", which is not in ${config.CONTENT_DIR}: they get nothing until it is back (or list its slug under another course's formerSlugs)`);
  }
  const producer = createProducer({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    db,
    retry: { attempts: config.SEND_ATTEMPTS, delayMs: config.SEND_RETRY_DELAY_MS },
  });

  let outbox: (Mailer & OutboxReader) | undefined;
  let mailer: Mailer;
  if (config.RESEND_API_KEY) {
    mailer = createResendMailer(config.RESEND_API_KEY, config.RESEND_BASE_URL);
    log.info(`emails go out through Resend (RESEND_API_KEY is set), from ${config.EMAIL_FROM}`);
  } else {
    outbox = createOutbox(config.OUTBOX_DIR);
    mailer = outbox;
    log.info(`RESEND_API_KEY is not set: emails go to the local outbox (${config.OUTBOX_DIR}); read them at ${config.APP_URL}/outbox`);
  }

  const closers: (() => Promise<void>)[] = [];
  let server: Server | undefined;
  let workerRedis: Redis | undefined;

  if (roles.includes("workers")) {
    workerRedis = workerConnection(config.REDIS_URL);
    workerRedis.on("error", (error: Error) => log.warn("redis connection problem; retrying", { error: error.message }));
    const common = { db, catalogue, log, connection: workerRedis, prefix: config.REDIS_PREFIX };
    const sender = createSendWorker({
      ...common,
      mailer,
      appUrl: config.APP_URL,
      secretKey: config.SECRET_KEY,
      from: config.EMAIL_FROM,
      concurrency: config.SEND_CONCURRENCY,
      lockMs: config.SEND_LOCK_MS,
      rateLimit: config.RESEND_API_KEY ? config.RESEND_RATE_LIMIT : undefined,
    });
    const ticker = createTickWorker({
      ...common,
      dispatcher: producer,
      tickMs: config.TICK_MS,
      courseDaySeconds: config.COURSE_DAY_SECONDS,
      reofferAfterMs: config.REOFFER_AFTER_MS,
      confirmReminderHours: config.CONFIRM_REMINDER_HOURS,
    });
    const webhooks = createWebhookWorker({
      ...common,
      sender: createWebhookSender({ allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS }),
      secretKey: config.SECRET_KEY,
      offerEveryMs: config.TICK_MS,
      reofferAfterMs: config.REOFFER_AFTER_MS,
    });
    void sender.worker.run();
    void ticker.worker.run();
    void webhooks.worker.run();
    closers.push(() => ticker.close(), () => webhooks.close(), () => sender.close());
    log.info("workers started", { concurrency: config.SEND_CONCURRENCY, provider: mailer.name });
  }

  if (roles.includes("http")) {
    // The queue board exists only where someone can log in to see it.
    const board = config.ADMIN_TOKEN || config.ADMIN_PASSWORD_HASH ? createQueuesBoard({ connection: producer.connection, prefix: config.REDIS_PREFIX }) : undefined;
    if (board) closers.push(() => board.close());
    const app = createApp({
      db,
      catalogue,
      log,
      appUrl: config.APP_URL,
      secretKey: config.SECRET_KEY,
      adminToken: config.ADMIN_TOKEN,
      adminPasswordHash: config.ADMIN_PASSWORD_HASH,
      queueStats: () => producer.sendQueue.getJobCounts(),
      queuesBoard: board?.app,
      webhookSecret: config.RESEND_WEBHOOK_SECRET,
      emailFrom: config.EMAIL_FROM,
      dispatcher: producer,
      outbox,
      probes: { redis: () => producer.ping() },
      signupLimiter: createRedisSignupLimiter(producer.connection, config.REDIS_PREFIX, log, {
        perIpPerMinute: config.SIGNUP_LIMIT_IP_PER_MINUTE,
        perIpPerHour: config.SIGNUP_LIMIT_IP_PER_HOUR,
        perAddressPerHour: config.SIGNUP_LIMIT_ADDRESS_PER_HOUR,
      }),
      loginLimiter: createRedisLoginLimiter(producer.connection, config.REDIS_PREFIX, log),
      botCheck: config.TURNSTILE_SECRET_KEY ? createTurnstileCheck({ secretKey: config.TURNSTILE_SECRET_KEY, verifyUrl: config.TURNSTILE_VERIFY_URL, log }) : undefined,
      turnstileSiteKey: config.TURNSTILE_SITE_KEY,
      clientIp: (c) => {
        const forwarded = config.TRUST_PROXY ? c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim() : undefined;
        return forwarded || (getConnInfo(c).remote.address ?? null);
      },
      courseDaySeconds: config.COURSE_DAY_SECONDS,
      allowedOrigins: config.ALLOWED_ORIGINS,
      webhooksAllowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = createAdaptorServer({ fetch: app.fetch }) as Server;
      s.once("error", reject);
      // @hono/node-server's serve() has no way to pass reusePort, so the server is listened here.
      s.listen({ port: config.PORT, host: "0.0.0.0", reusePort: config.HTTP_REUSE_PORT }, () => resolve(s));
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    log.info(`listening on ${config.APP_URL} (port ${port})`);
    log.info(
      config.ADMIN_TOKEN || config.ADMIN_PASSWORD_HASH
        ? `admin console is on: ${config.APP_URL}/admin (signs in with ${config.ADMIN_PASSWORD_HASH ? "the password of ADMIN_PASSWORD_HASH" : "ADMIN_TOKEN"})`
        : "admin console is off: set ADMIN_TOKEN or ADMIN_PASSWORD_HASH to turn it on (/admin answers 404 until then)",
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      log.info("shutting down: no new work, finishing what is in flight");
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      for (const close of closers) await close();
      await producer.close();
      workerRedis?.disconnect();
      await db.destroy();
      log.info("shut down cleanly");
    })());

  return { config, log, db, catalogue, producer, ...(server ? { server } : {}), shutdown };
}

/**
 * Entry-point wrapper: one clear line on a start-up problem (no stack), clean exit on signals.
 *
 * The signal handlers go in before start-up begins: until then Node's default for SIGTERM kills the
 * process at once, and an orchestrator that stops a service while it is still starting (or right
 * after it says "listening") would leave its connections and in-flight jobs cut off. A signal that
 * arrives during start-up is held and acted on as soon as start-up has finished or failed.
 */
export async function main(roles: readonly Role[]): Promise<void> {
  let runtime: Runtime | undefined;
  let pending: NodeJS.Signals | undefined;
  let signals = 0;
  const stop = (active: Runtime, signal: NodeJS.Signals) => {
    active.log.info(`${signal} received`);
    active.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        active.log.error("shutdown failed", { error: errorMessage(error) });
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      (runtime?.log ?? console).warn(`second ${signal}: exiting without waiting`);
      process.exit(1);
    }
    if (runtime) stop(runtime, signal);
    else pending = signal;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    runtime = await start(roles);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError || error instanceof ContentError) {
      console.error(`lessonpost: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (pending) stop(runtime, pending);
}
