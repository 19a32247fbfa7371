import type { Context } from "hono";
import type { Services } from "../commands/services.ts";
import type { ConsentMeta } from "../store/subscribers.ts";
import type { AppEnv } from "./env.ts";

/**
 * The Services a command gets for this request, from what the entry point handed createApp. The
 * clock is the request's own (read once by app.ts), so every step of one request sees one instant.
 */
export function servicesFor(c: Context<AppEnv>): Services {
  const { deps, now } = c.var;
  return {
    db: deps.db,
    catalogue: deps.catalogue,
    log: deps.log,
    appUrl: deps.appUrl,
    secretKey: deps.secretKey,
    dispatcher: deps.dispatcher,
    courseDaySeconds: deps.courseDaySeconds,
    outbox: deps.outbox,
    signupLimiter: deps.signupLimiter,
    now: () => now,
  };
}

/** Who asked, as the consent record keeps it: the client's address and browser (the command adds which form). */
export function whoAsked(c: Context<AppEnv>): Omit<ConsentMeta, "how"> {
  return { ip: c.var.deps.clientIp?.(c) ?? null, userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null };
}
