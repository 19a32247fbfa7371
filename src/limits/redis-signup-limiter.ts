import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { LimitVerdict, SignupLimiter } from "../http/signup-limits.ts";
import type { Logger } from "../log.ts";

export interface SignupLimits {
  /** Signups per IP per minute: a person never needs more; a script does. */
  perIpPerMinute: number;
  /** Signups per IP per hour. */
  perIpPerHour: number;
  /** Signups naming one address per hour: nobody floods a stranger's inbox from many IPs. */
  perAddressPerHour: number;
}

export const DEFAULT_SIGNUP_LIMITS: SignupLimits = { perIpPerMinute: 10, perIpPerHour: 60, perAddressPerHour: 5 };

/**
 * rate-limiter-flexible on the shared Redis. When Redis is unreachable the limiter lets signups
 * through: a signup must never be lost to an outage, and the confirmation window still holds.
 */
export function createRedisSignupLimiter(redis: Redis, prefix: string, log: Logger, limits: SignupLimits = DEFAULT_SIGNUP_LIMITS): SignupLimiter {
  const make = (name: string, points: number, duration: number) =>
    new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:limit:${name}`, points, duration, rejectIfRedisNotReady: true });
  const ipMinute = make("ip-minute", limits.perIpPerMinute, 60);
  const ipHour = make("ip-hour", limits.perIpPerHour, 3600);
  const address = make("address-hour", limits.perAddressPerHour, 3600);

  return {
    async check(ip, email): Promise<LimitVerdict> {
      try {
        const key = email.toLowerCase();
        // One round trip's worth of waiting, not three: the counters are independent.
        await Promise.all([...(ip ? [ipMinute.consume(ip), ipHour.consume(ip)] : []), address.consume(key)]);
        return { allowed: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
        log.warn("signup limiter unavailable; allowing", { reason: error instanceof Error ? error.message : String(error) });
        return { allowed: true };
      }
    },
  };
}
