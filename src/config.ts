import { z } from "zod";
import { parseMailbox } from "./email-address.ts";

/**
 * Every setting Lessonpost reads, parsed once at start-up. A bad value stops the process with a
 * message that names the variable, instead of failing later on the first request that needs it.
 */

const DEV_SECRET_KEY = "lessonpost-development-secret-do-not-use-in-production";

const emptyToUndefined = (value: unknown) => (value === "" ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

/**
 * One origin as a browser sends it in the Origin header: scheme://host[:port], nothing after it.
 * Normalised the way browsers serialise it (lowercase host, no default port), so a plain string
 * comparison with the header is exact.
 */
function parseOrigin(entry: string): { origin: string } | { problem: string } {
  if (entry === "*") return { problem: `"*" is not allowed: list each site that may post the signup form` };
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return { problem: `"${entry}" is not an origin like https://www.example.com` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { problem: `"${entry}" must start with https:// or http://` };
  // URL() accepts a trailing slash as an empty path; anything more is a page, not a site.
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/" || /^[a-z]+:\/\/[^/]+\/./i.test(entry)) {
    return { problem: `"${entry}" must be an origin (scheme://host[:port]) with no path, query or credentials` };
  }
  return { origin: url.origin };
}

/** Comma-separated origins; blanks are skipped, so an empty value means no other site may post. */
const originList = z
  .string()
  .default("")
  .transform((value, ctx) => {
    const origins: string[] = [];
    for (const entry of value.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
      const parsed = parseOrigin(entry);
      if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
      else if (!origins.includes(parsed.origin)) origins.push(parsed.origin);
    }
    return origins as readonly string[];
  });

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    APP_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
    DATABASE_URL: z
      .string()
      .default("sqlite:./data/lessonpost.db")
      .refine((url) => /^(sqlite:|postgres(ql)?:\/\/)/.test(url), {
        message: "must start with sqlite: (e.g. sqlite:./data/lessonpost.db) or postgres://",
      }),
    REDIS_URL: z
      .string()
      .default("redis://127.0.0.1:6379")
      .refine((url) => /^rediss?:\/\//.test(url), { message: "must look like redis://host:6379" }),
    /** Namespaces every BullMQ key, so several deployments (or tests) can share one Redis. */
    REDIS_PREFIX: z.string().regex(/^[\w:.-]+$/).default("lessonpost"),
    RESEND_API_KEY: optionalString,
    RESEND_BASE_URL: optionalString.pipe(z.url().optional()),
    /** Signing secret of the Resend webhook (whsec_…); without it /webhooks/resend refuses every event. */
    RESEND_WEBHOOK_SECRET: optionalString,
    EMAIL_FROM: z
      .string()
      .default("Lessonpost <lessons@example.com>")
      .refine((from) => parseMailbox(from) !== null, { message: 'must be an address, or a name and an address like "Lessonpost <lessons@your-domain.com>"' }),
    SECRET_KEY: z.preprocess(emptyToUndefined, z.string().min(32, "must be at least 32 characters").optional()),
    ADMIN_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
    /** The admin console password as a PBKDF2 hash; hashAdminPassword() in src/http/routes/admin/auth.ts makes one. */
    ADMIN_PASSWORD_HASH: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^pbkdf2-sha256\$\d{1,8}\$[A-Za-z0-9+/_=-]+\$[A-Za-z0-9+/_=-]+$/, "must look like pbkdf2-sha256$<iterations>$<salt>$<hash> (quote it: it contains $)")
        .optional(),
    ),
    /** Other sites that may embed the signup form: CORS for the JSON POST /subscribe, and plain form posts. */
    ALLOWED_ORIGINS: originList,
    CONTENT_DIR: z.string().default("content"),
    OUTBOX_DIR: z.string().default("data/outbox"),
    /** Compresses the course calendar for demos and tests: a lesson due on day d goes out d*N seconds after confirmation. */
    COURSE_DAY_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().positive().optional()),
    /**
     * Send jobs one worker process runs at once. Each batch job in flight holds its rendered emails
     * and a ~1.7 MB request body, so this sets most of a newsletter's peak memory: 10 put `npm start`
     * at ~300 MiB for 50,000 readers, 5 at ~265 MiB, with no change in the CPU per email (bench).
     * Five batch requests in flight carry 500 emails, more than a provider's rate limit lets out in a
     * request's round trip; one process with no provider limit is bound by its CPU well below that.
     */
    SEND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
    /** Tries per email for 5xx and network errors (429s do not count); then the send is marked failed. */
    SEND_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** First retry delay; it doubles on each retry, with jitter. */
    SEND_RETRY_DELAY_MS: z.coerce.number().int().min(10).max(3_600_000).default(2_000),
    /** Provider requests per second, shared by every worker process through Redis. */
    RESEND_RATE_LIMIT: z.coerce.number().positive().max(10_000).default(5),
    /**
     * How long a worker's claim on a job lasts without renewal. After a crash (SIGKILL, power loss)
     * the job is retried once this passes; the idempotency key keeps that retry from sending twice.
     */
    SEND_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
    /**
     * How long a row may sit handed to Redis, unsettled, before the tick offers it again. Only
     * matters when Redis lost the job (a restart without persistence); re-offering a job that
     * still exists is a no-op.
     */
    REOFFER_AFTER_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
    /** How often the scheduler tick runs. */
    TICK_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
    /** Signup limits, enforced in Redis across all HTTP processes. */
    SIGNUP_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    SIGNUP_LIMIT_IP_PER_HOUR: z.coerce.number().int().min(1).default(60),
    SIGNUP_LIMIT_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(5),
    /**
     * Set when the service sits behind one reverse proxy or load balancer: the client address is
     * then the last X-Forwarded-For entry (the one that proxy added), not the socket's.
     */
    TRUST_PROXY: z
      .enum(["true", "false", "1", "0", ""])
      .default("false")
      .transform((v) => v === "true" || v === "1"),
    /**
     * Lets several `npm run start:http` processes listen on the same PORT (SO_REUSEPORT, Linux):
     * the kernel spreads connections across them, so one machine's cores serve HTTP without a proxy.
     */
    HTTP_REUSE_PORT: z
      .enum(["true", "false", "1", "0", ""])
      .default("false")
      .transform((v) => v === "true" || v === "1"),
    /** Outgoing webhooks may target loopback, private and link-local addresses only when this is true (tests, a receiver on the same host). */
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: z
      .enum(["true", "false", "1", "0", ""])
      .default("false")
      .transform((v) => v === "true" || v === "1"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Hours after the confirmation email before the one reminder to a reader who has not confirmed; 0 = no reminder. */
    CONFIRM_REMINDER_HOURS: z.coerce.number().min(0).max(720).default(24),
    /** Cloudflare Turnstile: with the secret set, every signup must carry a token that Cloudflare verifies. */
    TURNSTILE_SECRET_KEY: optionalString,
    /** The widget's public key, shown on the signup page; set together with the secret. */
    TURNSTILE_SITE_KEY: optionalString,
    /** Where tokens are verified; tests point it at a local fake. */
    TURNSTILE_VERIFY_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).default("https://challenges.cloudflare.com/turnstile/v0/siteverify")),
  })
  .transform((env) => ({
    ...env,
    APP_URL: (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ""),
    SECRET_KEY: env.SECRET_KEY ?? (env.NODE_ENV === "production" ? undefined : DEV_SECRET_KEY),
    usingDevSecret: env.SECRET_KEY === undefined,
    appUrlSet: env.APP_URL !== undefined,
  }))
  .superRefine((env, ctx) => {
    if (env.SECRET_KEY === undefined) {
      ctx.addIssue({ code: "custom", path: ["SECRET_KEY"], message: "is required when NODE_ENV=production (32+ random characters)" });
    }
    // Without it every confirm link and List-Unsubscribe header would point at localhost.
    if (env.NODE_ENV === "production" && !env.appUrlSet) {
      ctx.addIssue({ code: "custom", path: ["APP_URL"], message: "is required when NODE_ENV=production (the public https:// address used in every link and List-Unsubscribe header)" });
    }
    // One without the other is a broken signup page: a widget whose tokens nobody checks, or a
    // check that refuses every signup from a page that has no widget to make a token.
    if ((env.TURNSTILE_SECRET_KEY === undefined) !== (env.TURNSTILE_SITE_KEY === undefined)) {
      const missing = env.TURNSTILE_SECRET_KEY === undefined ? "TURNSTILE_SECRET_KEY" : "TURNSTILE_SITE_KEY";
      ctx.addIssue({ code: "custom", path: [missing], message: "must be set together with the other Turnstile key (both from your Cloudflare Turnstile widget)" });
    }
  });

export type Config = Omit<z.output<typeof schema>, "SECRET_KEY"> & { SECRET_KEY: string };

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One line, whatever went wrong, so it reads whole in any log viewer: `Invalid configuration: VAR: problem; VAR2: …`. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message.replace(/\s+/g, " ")}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return result.data as Config;
}

/**
 * Domains whose DMARC policy is p=reject or p=quarantine: mail "from" them sent through anyone
 * else's servers is refused or sent to spam by the big mailbox providers.
 */
const FREE_MAIL_DOMAINS = new Set([
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "rocketmail.com",
  "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
  "mac.com", "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "yandex.com", "yandex.ru", "proton.me",
  "protonmail.com", "zoho.com", "comcast.net", "orange.fr", "free.fr", "libero.it",
]);

/** Settings that start but that mailbox providers will hold against the mail; logged as warnings in production. */
export function productionWarnings(config: Config): string[] {
  if (config.NODE_ENV !== "production") return [];
  const warnings: string[] = [];
  if (!config.APP_URL.startsWith("https://")) {
    warnings.push(`APP_URL=${config.APP_URL} is not https: links in emails will be sent in the clear, and mailbox providers expect the List-Unsubscribe URL on https.`);
  }
  const domain = parseMailbox(config.EMAIL_FROM)?.address.split("@")[1];
  if (domain && FREE_MAIL_DOMAINS.has(domain)) {
    warnings.push(`EMAIL_FROM is on ${domain}, a free-mail domain whose DMARC policy rejects mail sent from other servers: send from a domain you own and have verified with your provider.`);
  }
  return warnings;
}
