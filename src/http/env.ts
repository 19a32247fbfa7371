import type { Context } from "hono";
import type { ApiScope } from "../commands/api-keys.ts";
import type { Services } from "../commands/services.ts";
import type { OutboxReader } from "../send/outbox.ts";
import type { LoginLimiter } from "../limits/login-limits.ts";
import type { SignupLimiter } from "../limits/signup-limits.ts";
import type { BotCheck } from "../limits/turnstile.ts";

/**
 * Everything the HTTP app needs, handed in by the entry point (Node or Cloudflare): what commands
 * use (Services, less the clock, which is read once per request) and what only the edge uses.
 */
export interface AppDeps extends Omit<Services, "now" | "outbox" | "signupLimiter"> {
  /** Resend webhook signing secret (whsec_…); without it every webhook is refused. */
  webhookSecret?: string | undefined;
  /** Bearer token for /admin/api, and a way to log in to the console. */
  adminToken?: string | undefined;
  /** `pbkdf2-sha256$<iterations>$<salt>$<hash>` of the console password. With neither this nor adminToken, /admin does not exist. */
  adminPasswordHash?: string | undefined;
  /** Job counts of the send queue, for the dashboard (Node: BullMQ getJobCounts). */
  queueStats?: (() => Promise<Record<string, number>>) | undefined;
  /** The queue dashboard (bull-board), built on Node and served at /admin/queues behind the admin login. */
  queuesBoard?: { fetch(request: Request): Response | Promise<Response> } | undefined;
  /** The From line, for previews that show the whole email. */
  emailFrom?: string | undefined;
  /** Present only when no RESEND_API_KEY is set: mounts /outbox. */
  outbox?: OutboxReader | undefined;
  /** Per-IP and per-address signup limits (Redis-backed on Node). */
  signupLimiter?: SignupLimiter | undefined;
  /** With TURNSTILE_SECRET_KEY: every signup must pass it. */
  botCheck?: BotCheck | undefined;
  /** With TURNSTILE_SITE_KEY: the signup page shows the Turnstile widget. */
  turnstileSiteKey?: string | undefined;
  /** The admin lockout, shared by every HTTP process (Redis on Node); without it, each app counts alone. */
  loginLimiter?: LoginLimiter | undefined;
  /** Liveness probes beyond the database, e.g. Redis. */
  probes?: Record<string, () => Promise<void>> | undefined;
  clientIp?: ((c: Context) => string | null) | undefined;
  /** Origins (scheme://host[:port]) of other sites that may post the signup form (ALLOWED_ORIGINS); none by default. */
  allowedOrigins?: readonly string[] | undefined;
  /** WEBHOOKS_ALLOW_PRIVATE_TARGETS: registration accepts loopback, private and link-local webhook targets. */
  webhooksAllowPrivateTargets?: boolean | undefined;
  now?: () => number;
}

export type AppEnv = {
  Variables: {
    deps: AppDeps;
    now: number;
    /** Set by the admin gate: what the request's credentials may do under /admin/api. */
    adminScopes: readonly ApiScope[];
  };
};
