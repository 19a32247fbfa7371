import { Hono } from "hono";
import { sql } from "kysely";
import type { AppEnv } from "../env.ts";

async function probe(check: () => Promise<unknown>): Promise<string> {
  try {
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after 2000 ms")), 2_000))]);
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** 200 when every dependency answers, 503 (with which one failed) when any does not. */
export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const { deps } = c.var;
  const checks: Record<string, string> = { database: await probe(() => sql`select 1`.execute(deps.db)) };
  for (const [name, check] of Object.entries(deps.probes ?? {})) checks[name] = await probe(check);
  const ok = Object.values(checks).every((v) => v === "ok");
  return c.json({ ok, checks }, ok ? 200 : 503);
});
