import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { healthBody } from "../presenters/health.ts";
import { servicesFor } from "../services.ts";
import { checkHealth } from "../../commands/check-health.ts";

/** 200 when every dependency answers, 503 (with which one failed) when any does not. */
export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const health = await checkHealth(servicesFor(c), c.var.deps.probes);
  return c.json(healthBody(health), health.ok ? 200 : 503);
});
