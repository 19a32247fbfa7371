import { AsyncLocalStorage } from "node:async_hooks";
import type { MiddlewareHandler } from "hono";
import { sendingStatus } from "../commands/sending-guard.ts";
import type { SendingStatus } from "../commands/sending-guard.ts";
import type { AppEnv } from "./env.ts";
import { servicesFor } from "./services.ts";

/**
 * The complaint-rate guard's state for the console shell: every admin page shows its banner, and
 * a dozen views build that page. Rather than thread it through each of them, this middleware reads
 * it once per page request (two one-row reads) and holds it for the request, where the shell
 * (views/admin/layout.tsx) picks it up.
 */
const current = new AsyncLocalStorage<SendingStatus>();

/** Paths that render no console page: the JSON API, bull-board, the login and logout. */
const NO_PAGE = /^\/admin\/(api|queues|login|logout)(\/|$)/;

export const sendingStatusForPages: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (NO_PAGE.test(c.req.path)) return next();
  const status = await sendingStatus(servicesFor(c));
  return current.run(status, next);
};

/** The guard's state for the page being rendered; undefined outside a console request. */
export function currentSendingStatus(): SendingStatus | undefined {
  return current.getStore();
}
