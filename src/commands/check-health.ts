import { errorMessage } from "../errors.ts";
import { pingDatabase } from "../store/health.ts";
import type { Services } from "./services.ts";

const PROBE_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return "ok";
  } catch (error) {
    return errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
}

export interface Health {
  ok: boolean;
  /** "ok", or why that dependency did not answer. */
  checks: Record<string, string>;
}

/** Asks the database and every other dependency the entry point named (e.g. Redis) whether it answers. */
export async function checkHealth(services: Pick<Services, "db">, probes: Record<string, () => Promise<void>> = {}): Promise<Health> {
  const checks: Record<string, string> = { database: await probe(() => pingDatabase(services.db)) };
  for (const [name, check] of Object.entries(probes)) checks[name] = await probe(check);
  return { ok: Object.values(checks).every((v) => v === "ok"), checks };
}
