import { Hono } from "hono";
import { resumeSending } from "../../../commands/sending-guard.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";

/**
 * The banner's "Resume sending" button (views/admin/sending-banner.tsx), mounted at /admin/sending.
 * The session cookie and the admin gate's same-origin check protect it like every console form.
 */
export const sendingAdminRoutes = new Hono<AppEnv>().post("/resume", async (c) => {
  await resumeSending(servicesFor(c), "console");
  return c.redirect("/admin", 303);
});
