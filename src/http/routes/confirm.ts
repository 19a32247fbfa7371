import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { confirmPage, confirmedPage } from "../views/pages.ts";
import { CONFIRM_TOKEN_TTL_SECONDS, verifyToken } from "../../tokens.ts";
import { confirmSubscriber } from "../../store/subscribers.ts";
import { enroll } from "../../commands/enroll.ts";
import { queueDueEmails } from "../../commands/queue-due-emails.ts";
import { dispatchQuietly } from "../../commands/dispatch.ts";

const INVALID = "This confirmation link is not valid. It may have been mistyped or cut off: sign up again to get a fresh one.";
const EXPIRED = "This confirmation link has expired. Sign up again and we'll send you a new one.";
const SUPERSEDED = "You unsubscribed after this link was sent, so it no longer signs you up. To come back, sign up again and confirm the new link.";

/** The reader the link is for, and when the link was made (ms; to the second, as signed). */
async function linkFrom(secret: string, token: string, now: number): Promise<{ subscriberId: string; issuedAt: number }> {
  const check = await verifyToken(secret, token, "confirm", now);
  if (!check.ok) {
    throw check.reason === "expired" ? new AppError(410, "token_expired", EXPIRED, "Link expired") : new AppError(400, "token_invalid", INVALID, "Link not valid");
  }
  return { subscriberId: check.claims.subject, issuedAt: (check.claims.expiresAt - CONFIRM_TOKEN_TTL_SECONDS) * 1000 };
}

/**
 * Double opt-in. GET only shows a button: link scanners and mail previewers fetch links with GET,
 * and must never confirm anyone. The POST from that button confirms and sends lesson 1 at once.
 */
export const confirmRoutes = new Hono<AppEnv>()
  .get("/:token", async (c) => {
    const { deps, now } = c.var;
    await linkFrom(deps.secretKey, c.req.param("token"), now);
    return c.html(confirmPage(deps.course, c.req.path));
  })
  .post("/:token", async (c) => {
    const { deps, now } = c.var;
    const { subscriberId, issuedAt } = await linkFrom(deps.secretKey, c.req.param("token"), now);
    const outcome = await confirmSubscriber(
      deps.db,
      subscriberId,
      { ip: deps.clientIp?.(c) ?? null, userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null, how: "confirm-page" },
      now,
      issuedAt,
    );
    if (outcome === "not-allowed") throw new AppError(400, "token_invalid", INVALID, "Link not valid");
    if (outcome === "superseded") throw new AppError(410, "token_superseded", SUPERSEDED, "Link no longer valid");
    if (outcome === "confirmed") {
      const services = { ...deps, now: () => now };
      const enrollmentId = await enroll(services, { subscriberId });
      const { sendIds } = await queueDueEmails(services, { enrollmentIds: [enrollmentId] });
      await dispatchQuietly(deps, sendIds);
    }
    return c.html(confirmedPage(deps.course, outcome === "already-confirmed"));
  });
