/**
 * Abuse limits on signup, as the HTTP app sees them. The Node entry backs this with Redis
 * (shared by every HTTP process); a deployment without it simply has no extra limits beyond the
 * per-address confirmation window kept in the database.
 */
export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface SignupLimiter {
  check(ip: string | null, email: string): Promise<LimitVerdict>;
  /** The "email me a fresh link" form: counters of its own, under the same limits. */
  checkLinkRequest(ip: string | null, email: string): Promise<LimitVerdict>;
  /** Erasure: drops every counter named after this address (key names carry only its hash). */
  forget(email: string): Promise<void>;
}
