/**
 * The admin lockout, as the HTTP app sees it: every attempt at an admin secret (a console login or
 * a bearer token) is claimed here first, atomically, and only then checked; a right secret gives
 * its claim back. So at most MAX_FAILED_ATTEMPTS wrong secrets per client per window are ever
 * checked, however many arrive at once. The Node entry backs this with Redis (shared by every
 * HTTP process); without it each app keeps its own count in memory.
 */
export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginLimiter {
  /** Claims one attempt for a client key before the secret is checked. */
  claim(client: string): Promise<AttemptVerdict>;
  /** The secret was right: that attempt is not a failure. */
  refund(client: string): Promise<void>;
}

/** Wrong secrets one client may try in one window, before every attempt answers 429. */
export const MAX_FAILED_ATTEMPTS = 10;
export const FAILURE_WINDOW_SECONDS = 15 * 60;
const MAX_TRACKED = 10_000;

/** One process's own count: the fallback where no shared limiter is wired. */
export function memoryLoginLimiter(now: () => number): LoginLimiter {
  const entries = new Map<string, { count: number; resetAt: number }>();
  return {
    async claim(client) {
      const at = now();
      if (entries.size > MAX_TRACKED) {
        for (const [key, entry] of entries) if (entry.resetAt <= at) entries.delete(key);
        // Still full: a flood from many addresses. Forgetting the oldest keeps memory bounded.
        if (entries.size > MAX_TRACKED) entries.delete(entries.keys().next().value!);
      }
      let entry = entries.get(client);
      if (!entry || entry.resetAt <= at) entries.set(client, (entry = { count: 0, resetAt: at + FAILURE_WINDOW_SECONDS * 1000 }));
      // Counted before anything awaits, so parallel attempts can never all see the same count.
      entry.count += 1;
      if (entry.count > MAX_FAILED_ATTEMPTS) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((entry.resetAt - at) / 1000)) };
      return { allowed: true };
    },
    async refund(client) {
      const entry = entries.get(client);
      if (entry && entry.count > 0) entry.count -= 1;
    },
  };
}
