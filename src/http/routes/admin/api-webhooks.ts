import { Hono } from "hono";
import type { Context } from "hono";
import type { z } from "zod";
import {
  changeWebhook,
  deliveryLog,
  registerWebhook,
  removeWebhook,
  replayWebhookDelivery,
  sendTestEvent,
  webhookEndpoints,
} from "../../../commands/webhook-endpoints.ts";
import type { TargetPolicy } from "../../../commands/webhook-endpoints.ts";
import { invalid, malformed, notFound } from "../../../errors.ts";
import { deliveryLogQuery, parseInput, webhookChangeBody, webhookCreateBody } from "../../api-schemas.ts";
import type { AppEnv } from "../../env.ts";
import { presentDelivery, presentEndpoint } from "../../presenters/outgoing-webhooks.ts";
import { servicesFor } from "../../services.ts";

/**
 * /admin/api/webhooks: register, list, change, delete and test outgoing webhook endpoints, and
 * read or replay their delivery log. Mounted by ./index.ts behind the admin gate. The request
 * schemas live in src/http/api-schemas.ts, where the OpenAPI document reads them too.
 */

type Ctx = Context<AppEnv>;

const policy = (c: Ctx): TargetPolicy => ({ allowPrivateTargets: c.var.deps.webhooksAllowPrivateTargets ?? false });

async function jsonObject(c: Ctx): Promise<Record<string, unknown>> {
  if (!(c.req.header("content-type") ?? "").includes("application/json")) throw malformed("json_required", "Send a JSON object (Content-Type: application/json).", "Something is not right");
  const parsed: unknown = await c.req.json().catch(() => {
    throw malformed("bad_json", "The body is not valid JSON.", "Something is not right");
  });
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw malformed("bad_json", "The body must be a JSON object.", "Something is not right");
  return parsed as Record<string, unknown>;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join(".") || "body";
    throw invalid(`webhook_${field.split(".")[0]}_invalid`, `${field}: ${issue?.message ?? "not valid"}`);
  }
  return result.data;
}

const limitOf = (c: Ctx) => parseInput(deliveryLogQuery, c.req.query(), "bad_limit").limit;

export const webhookApiRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const input = parse(webhookCreateBody, await jsonObject(c));
    const { endpoint, secret } = await registerWebhook(servicesFor(c), policy(c), input);
    // The only time the secret leaves the server.
    return c.json({ ...presentEndpoint(endpoint), secret }, 201);
  })
  .get("/", async (c) => c.json({ items: (await webhookEndpoints(servicesFor(c))).map(presentEndpoint) }))
  .get("/deliveries", async (c) => c.json({ items: (await deliveryLog(servicesFor(c), { limit: limitOf(c), withAttempts: true })).map(presentDelivery) }))
  .post("/deliveries/:id/replay", async (c) => {
    await replayWebhookDelivery(servicesFor(c), c.req.param("id"));
    return c.json({ replayed: true, id: c.req.param("id") }, 202);
  })
  .get("/:id", async (c) => {
    const endpoint = (await webhookEndpoints(servicesFor(c))).find((e) => e.id === c.req.param("id"));
    if (!endpoint) throw notFound("webhook_not_found", "There is no such webhook endpoint.");
    return c.json(presentEndpoint(endpoint));
  })
  .patch("/:id", async (c) => {
    const input = parse(webhookChangeBody, await jsonObject(c));
    return c.json(presentEndpoint(await changeWebhook(servicesFor(c), policy(c), c.req.param("id"), input)));
  })
  .delete("/:id", async (c) => {
    await removeWebhook(servicesFor(c), c.req.param("id"));
    return c.json({ deleted: true });
  })
  .post("/:id/test", async (c) => c.json(await sendTestEvent(servicesFor(c), c.req.param("id")), 202))
  .get("/:id/deliveries", async (c) => c.json({ items: (await deliveryLog(servicesFor(c), { endpointId: c.req.param("id"), limit: limitOf(c), withAttempts: true })).map(presentDelivery) }));
