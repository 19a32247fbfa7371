import { Hono } from "hono";
import type { AppEnv } from "../env.ts";

/** Provider events. Placeholder until the webhook receiver lands; refuses everything. */
export const webhookRoutes = new Hono<AppEnv>().post("/resend", (c) => c.json({ error: { code: "not_configured", message: "Webhooks are not set up yet." } }, 401));
