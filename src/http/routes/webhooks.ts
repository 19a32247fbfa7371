import { Hono } from "hono";
import type { Context } from "hono";
import { Webhook } from "standardwebhooks";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { webhookAccepted } from "../presenters/webhooks.ts";
import { servicesFor } from "../services.ts";
import { recordResendDelivery } from "../../commands/provider-event.ts";

/** Standard Webhooks' window, applied to the app's clock as well as to the library's. */
const TOLERANCE_SECONDS = 5 * 60;

/**
 * Resend's delivery events, signed the Svix way. The signature covers the exact bytes sent, so
 * the body is read raw and verified before anything parses it; a refused delivery leaves no trace.
 */
export const webhookRoutes = new Hono<AppEnv>().post("/resend", async (c) => {
  const rawBody = await c.req.text();
  const id = verifySignature(c, rawBody);

  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new AppError(400, "invalid_json", "The body is not valid JSON.");
  }
  await recordResendDelivery(servicesFor(c), { deliveryId: id, rawBody, body });
  return c.json(webhookAccepted());
});

/** Returns the delivery id once the signature and its timestamp check out; throws otherwise. */
function verifySignature(c: Context<AppEnv>, rawBody: string): string {
  const { deps, now } = c.var;
  // Resend sends the Svix names; the Standard Webhooks names are the same scheme.
  const header = (name: string) => c.req.header(`webhook-${name}`) ?? c.req.header(`svix-${name}`) ?? "";
  const headers = { "webhook-id": header("id"), "webhook-timestamp": header("timestamp"), "webhook-signature": header("signature") };
  const refuse = (why: string) => {
    deps.log.warn("webhook refused", { why });
    return new AppError(401, "invalid_signature", "The webhook signature is missing or not valid.");
  };

  if (!deps.webhookSecret) throw refuse("no webhook secret configured");
  if (!headers["webhook-id"] || !headers["webhook-timestamp"] || !headers["webhook-signature"]) throw refuse("missing signature headers");
  // The library checks the timestamp against the process clock only; checking the app's clock
  // too keeps the replay window honest wherever time is injected.
  const timestamp = /^\d{1,12}$/.test(headers["webhook-timestamp"]) ? Number(headers["webhook-timestamp"]) : Number.NaN;
  if (!(Math.abs(Math.floor(now / 1000) - timestamp) <= TOLERANCE_SECONDS)) throw refuse("timestamp outside the tolerance");

  let webhook: Webhook;
  try {
    webhook = new Webhook(deps.webhookSecret);
  } catch {
    deps.log.error("webhook secret is not a valid whsec_ key");
    throw refuse("unusable webhook secret");
  }
  try {
    webhook.verify(rawBody, headers, { jsonParse: false });
  } catch (error) {
    throw refuse(error instanceof Error ? error.message : "verification failed");
  }
  return headers["webhook-id"];
}
