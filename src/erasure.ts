import type { AppDeps } from "./http/env.ts";
import { eraseReader } from "./store/reader-data.ts";

/**
 * "Delete my data" and the admin's delete, everywhere the address lives: the database (rows,
 * provider events), the local outbox's files, and the Redis rate-limit counters named after it.
 * The database goes first and is the erasure; the rest is best effort and never logs the address.
 */
export async function eraseEverywhere(deps: Pick<AppDeps, "db" | "outbox" | "signupLimiter" | "log">, subscriberId: string, now: number): Promise<boolean> {
  const erased = await eraseReader(deps.db, subscriberId, now);
  if (!erased) return false;
  const outside: [string, Promise<unknown> | undefined][] = [
    ["outbox", deps.outbox?.eraseFor(erased.email)],
    ["rate limits", deps.signupLimiter?.forget(erased.email)],
  ];
  for (const [where, done] of outside) {
    try {
      await done;
    } catch (error) {
      deps.log.warn("erasure incomplete", { subscriber: subscriberId, where, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return true;
}
