import { Hono } from "hono";
import type { Context } from "hono";
import { EVENT_TYPES } from "../../../commands/emit-event.ts";
import { changeWebhook, deliveryLog, registerWebhook, removeWebhook, replayWebhookDelivery, sendTestEvent, webhookEndpoints } from "../../../commands/webhook-endpoints.ts";
import { DomainError } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { webhooksPage } from "../../views/admin/webhooks.tsx";

const NOTICES: Record<string, string> = {
  tested: "A test event is on its way; it shows in the delivery log.",
  deleted: "The endpoint is deleted.",
  enabled: "The endpoint is enabled again.",
  replayed: "The delivery is back in line, with its original webhook-id.",
};

const policy = (c: Context<AppEnv>) => ({ allowPrivateTargets: c.var.deps.webhooksAllowPrivateTargets ?? false });

async function page(c: Context<AppEnv>, extra: { message?: string | undefined; secret?: string | undefined } = {}, status: 200 | 201 | 422 = 200) {
  const services = servicesFor(c);
  const [endpoints, deliveries] = await Promise.all([webhookEndpoints(services), deliveryLog(services, { limit: 100 })]);
  return c.html(webhooksPage({ endpoints, deliveries, events: EVENT_TYPES, message: extra.message ?? NOTICES[c.req.query("notice") ?? ""], secret: extra.secret }), status);
}

/** The console's webhooks page: endpoints (add, test, enable, delete) and the delivery log with replay. */
export const webhookAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => page(c))
  .post("/", async (c) => {
    const body = await c.req.parseBody({ all: true });
    const raw = body.events;
    const events = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((e): e is string => typeof e === "string");
    try {
      // The secret is shown on this answer only: it is never in a URL, a redirect or a log.
      const { secret } = await registerWebhook(servicesFor(c), policy(c), { url: typeof body.url === "string" ? body.url : "", events });
      return await page(c, { message: "The endpoint is added.", secret }, 201);
    } catch (error) {
      if (error instanceof DomainError && (error.kind === "invalid" || error.kind === "malformed")) return page(c, { message: error.message }, 422);
      throw error;
    }
  })
  .post("/deliveries/:id/replay", async (c) => {
    await replayWebhookDelivery(servicesFor(c), c.req.param("id"));
    return c.redirect("/admin/webhooks?notice=replayed", 303);
  })
  .post("/:id/test", async (c) => {
    await sendTestEvent(servicesFor(c), c.req.param("id"));
    return c.redirect("/admin/webhooks?notice=tested", 303);
  })
  .post("/:id/enable", async (c) => {
    await changeWebhook(servicesFor(c), policy(c), c.req.param("id"), { enabled: true });
    return c.redirect("/admin/webhooks?notice=enabled", 303);
  })
  .post("/:id/delete", async (c) => {
    await removeWebhook(servicesFor(c), c.req.param("id"));
    return c.redirect("/admin/webhooks?notice=deleted", 303);
  });
