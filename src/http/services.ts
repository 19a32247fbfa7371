import type { Context } from "hono";
import type { Services } from "../commands/services.ts";
import type { AppEnv } from "./env.ts";

/**
 * The Services a command takes, from what the app was handed. The clock is the request's: every
 * command a request runs sees the same `now` the handler does.
 */
export function servicesFor(c: Context<AppEnv>): Services {
  const { deps, now } = c.var;
  return {
    db: deps.db,
    course: deps.course,
    log: deps.log,
    appUrl: deps.appUrl,
    secretKey: deps.secretKey,
    dispatcher: deps.dispatcher,
    courseDaySeconds: deps.courseDaySeconds,
    now: () => now,
  };
}
