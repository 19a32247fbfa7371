import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";

/** Placeholder: mounted by ./index.ts behind the admin login; filled in by its owner. */
export const broadcastAdminRoutes = new Hono<AppEnv>();
