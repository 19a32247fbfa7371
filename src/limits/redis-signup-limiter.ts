import { errorMessage } from "../errors.ts";
import type { Redis } from "ioredis";
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
 * Every counter of one request in one script: each key is a fixed window (created at 0 with its
 * expiry if absent, then incremented; an expiry lost somehow is put back), exactly the counter
 * rate-limiter-flexible keeps, under the same key names. Every counter counts, as when they were
 * consumed one by one; the answer is the milliseconds left in the first window that is over its
 * limit, or 0. ARGV holds a (limit, seconds) pair per key.
 */
const CONSUME_ALL = `
local blocked = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local seconds = ARGV[2 * i]
  redis.call('set', key, 0, 'EX', seconds, 'NX')
  local consumed = redis.call('incr', key)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, seconds)
    ttl = 1000 * seconds
  end
  if blocked == 0 and consumed > limit then blocked = ttl end
end
return blocked
`;

const COMMAND = "lessonpostConsumeLimits";
type WithCommand = Redis & { [COMMAND](numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number> };

/**
 * Counters on the shared Redis, one command per request where rate-limiter-flexible sent one per
 * counter (three commands to build, write and parse a reply for; its Lua script calls were 8% of
 * the HTTP process's CPU under signup load). When Redis is unreachable the limiter lets signups
 * through: a signup must never be lost to an outage, and the confirmation window still holds.
 */
export function createRedisSignupLimiter(redis: Redis, prefix: string, log: Logger, limits: SignupLimits = DEFAULT_SIGNUP_LIMITS): SignupLimiter {
  // ioredis sends it by its SHA and loads it once per connection when Redis does not know it yet.
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: CONSUME_ALL });
  const client = redis as WithCommand;
  const key = (action: string, name: string, value: string) => `${prefix}:limit:${action}${name}:${value}`;

  // Key names are visible to anyone who can list Redis keys and outlive an erasure by up to an
  // hour, so they name the address only by its hash (the same one suppressions keep).
  const addressKey = (email: string) => emailHash(emailKey(email));

  async function check(action: "" | "link-", ip: string | null, email: string): Promise<LimitVerdict> {
    try {
      // Fail fast rather than queue behind a reconnect (the connection has no offline queue).
      if (redis.status !== "ready") throw new Error(`Redis is not connected (${redis.status})`);
      const address = await addressKey(email);
      const counters: [string, number, number][] = [
        ...(ip
          ? ([
              [key(action, "ip-minute", ip), limits.perIpPerMinute, 60],
              [key(action, "ip-hour", ip), limits.perIpPerHour, 3600],
            ] as [string, number, number][])
          : []),
        [key(action, "address-hour", address), limits.perAddressPerHour, 3600],
      ];
      const blockedMs = Number(await client[COMMAND](counters.length, ...counters.map(([k]) => k), ...counters.flatMap(([, limit, seconds]) => [limit, seconds])));
      return blockedMs > 0 ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(blockedMs / 1000)) } : { allowed: true };
    } catch (error) {
      log.warn("signup limiter unavailable; allowing", { reason: errorMessage(error) });
      return { allowed: true };
    }
  }

  return {
    check: (ip, email) => check("", ip, email),
    checkLinkRequest: (ip, email) => check("link-", ip, email),
    async forget(email) {
      const address = await addressKey(email);
      await redis.del(key("", "address-hour", address), key("link-", "address-hour", address));
    },
  };
}
