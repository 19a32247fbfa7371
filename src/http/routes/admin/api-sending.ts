import { Hono } from "hono";
import { resumeSending, sendingStatus } from "../../../commands/sending-guard.ts";
import type { AppEnv } from "../../env.ts";
import { presentSendingPause, presentSendingStatus } from "../../presenters/sending-guard.ts";
import { servicesFor } from "../../services.ts";

/**
 * The complaint-rate guard in the JSON API, mounted at /admin/api/sending: its state, and the
 * admin's resume (a 409 `sending_not_paused` when nothing is paused). The request carries no
 * body; anything sent along is ignored.
 */
export const apiSendingRoutes = new Hono<AppEnv>()
  .get("/", async (c) => c.json(presentSendingStatus(await sendingStatus(servicesFor(c)))))
  .post("/resume", async (c) => c.json({ resumed: true, pause: presentSendingPause(await resumeSending(servicesFor(c), "api")) }));
