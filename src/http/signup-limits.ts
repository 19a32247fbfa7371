/**
 * Abuse limits on signup, as the HTTP app sees them. The Node entry backs this with Redis
 * (shared by every HTTP process); a deployment without it simply has no extra limits beyond the
 * per-address confirmation window kept in the database.
 */
export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface SignupLimiter {
  check(ip: string | null, email: string): Promise<LimitVerdict>;
}
