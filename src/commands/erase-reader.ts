import { errorMessage } from "../errors.ts";
import { eraseReader } from "../store/reader-data.ts";
import { emitErased } from "./emit-event.ts";
import type { Services } from "./services.ts";

/**
 * "Delete my data" and the admin's delete, everywhere the address lives: the database (rows,
 * provider events), the local outbox's files, and the Redis rate-limit counters named after it.
 * The database goes first and is the erasure; the rest is best effort and never logs the address.
 * False when there is no such reader.
 */
export async function eraseEverywhere(services: Pick<Services, "db" | "outbox" | "signupLimiter" | "log" | "now">, subscriberId: string): Promise<boolean> {
  const erased = await eraseReader(services.db, subscriberId, services.now());
  if (!erased) return false;
  services.log.info("reader erased", { event: "erase", subscriber: subscriberId });
  await emitErased(services, subscriberId);
  const outside: [string, Promise<unknown> | undefined][] = [
    ["outbox", services.outbox?.eraseFor(erased.email)],
    ["rate limits", services.signupLimiter?.forget(erased.email)],
  ];
  for (const [where, done] of outside) {
    try {
      await done;
    } catch (error) {
      services.log.warn("erasure incomplete", { subscriber: subscriberId, where, reason: errorMessage(error) });
    }
  }
  return true;
}
