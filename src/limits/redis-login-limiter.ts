import { errorMessage } from "../errors.ts";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { FAILURE_WINDOW_SECONDS, MAX_FAILED_ATTEMPTS } from "./login-limits.ts";
import type { AttemptVerdict, LoginLimiter } from "./login-limits.ts";
import type { Logger } from "../log.ts";

/**
 * The admin lockout on the shared Redis: `consume` is one atomic increment-and-read, so parallel
 * attempts on any number of processes each get their own count. If Redis cannot be reached, each
 * process falls back to counting in memory (rate-limiter-flexible's insurance limiter) rather than
 * either locking the admin out or dropping the limit altogether.
 */
export function createRedisLoginLimiter(redis: Redis, prefix: string, log: Logger): LoginLimiter {
  const options = { points: MAX_FAILED_ATTEMPTS, duration: FAILURE_WINDOW_SECONDS };
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:limit:admin-login`,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ ...options, keyPrefix: "admin-login" }),
    ...options,
  });
  return {
    async claim(client): Promise<AttemptVerdict> {
      try {
        await limiter.consume(client, 1);
        return { allowed: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
        throw error;
      }
    },
    async refund(client) {
      await limiter.reward(client, 1).catch((error: unknown) => {
        log.warn("admin lockout: could not give back a successful attempt", { reason: errorMessage(error) });
      });
    },
  };
}
