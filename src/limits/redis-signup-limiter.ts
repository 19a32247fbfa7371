import { errorMessage } from "../errors.ts";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { LimitVerdict, SignupLimiter } from "./signup-limits.ts";
import type { Logger } from "../log.ts";
import { emailKey } from "../email-address.ts";
import { emailHash } from "../store/suppressions.ts";

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
  const counters = (action: string) => ({
    ipMinute: make(`${action}ip-minute`, limits.perIpPerMinute, 60),
    ipHour: make(`${action}ip-hour`, limits.perIpPerHour, 3600),
    address: make(`${action}address-hour`, limits.perAddressPerHour, 3600),
  });
  const signup = counters("");
  const link = counters("link-");

  // Key names are visible to anyone who can list Redis keys and outlive an erasure by up to an
  // hour, so they name the address only by its hash (the same one suppressions keep).
  const addressKey = (email: string) => emailHash(emailKey(email));

  async function check(set: ReturnType<typeof counters>, ip: string | null, email: string): Promise<LimitVerdict> {
    try {
      const key = await addressKey(email);
      // One round trip's worth of waiting, not three: the counters are independent.
      await Promise.all([...(ip ? [set.ipMinute.consume(ip), set.ipHour.consume(ip)] : []), set.address.consume(key)]);
      return { allowed: true };
    } catch (error) {
      if (error instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      log.warn("signup limiter unavailable; allowing", { reason: errorMessage(error) });
      return { allowed: true };
    }
  }

  return {
    check: (ip, email) => check(signup, ip, email),
    checkLinkRequest: (ip, email) => check(link, ip, email),
    async forget(email) {
      const key = await addressKey(email);
      await Promise.all([signup.address.delete(key), link.address.delete(key)]);
    },
  };
}
