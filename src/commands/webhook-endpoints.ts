import { invalid, notFound } from "../errors.ts";
import { newWebhookSecret, sealSecret, unsafeTargetReason } from "../send/webhook-delivery.ts";
import {
  attemptsOf,
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  replayDelivery,
  updateEndpoint,
} from "../store/outgoing-webhooks.ts";
import type { DeliveryLogRow, WebhookEndpoint } from "../store/outgoing-webhooks.ts";
import { emit, EVENT_TYPES, TEST_EVENT_TYPE } from "./emit-event.ts";
import type { Services } from "./services.ts";

/** Registering, changing and testing outgoing webhook endpoints, and their delivery log. */

export interface TargetPolicy {
  /** WEBHOOKS_ALLOW_PRIVATE_TARGETS: loopback, private and link-local targets are refused unless set. */
  allowPrivateTargets: boolean;
}

const MAX_URL = 2048;

async function checkUrl(url: string, policy: TargetPolicy): Promise<string> {
  if (url.length > MAX_URL) throw invalid("webhook_url_invalid", `The url is longer than ${MAX_URL} characters.`);
  const reason = await unsafeTargetReason(url, policy.allowPrivateTargets);
  if (reason) throw invalid(reason.startsWith("points at") ? "webhook_target_private" : "webhook_url_invalid", `The url ${reason}.`, "Target refused");
  return new URL(url).href;
}

function checkEvents(events: readonly string[]): string[] {
  if (events.length === 0) throw invalid("webhook_events_required", `Name at least one event: ${EVENT_TYPES.join(", ")}.`);
  const unknown = events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0) throw invalid("webhook_event_unknown", `Unknown event${unknown.length === 1 ? "" : "s"}: ${unknown.map((e) => `"${e.slice(0, 60)}"`).join(", ")}. Events are: ${EVENT_TYPES.join(", ")}.`);
  return [...new Set(events)];
}

/** Registers an endpoint; the secret is returned here once and never shown again. */
export async function registerWebhook(services: Services, policy: TargetPolicy, input: { url: string; events: readonly string[] }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const url = await checkUrl(input.url, policy);
  const events = checkEvents(input.events);
  const secret = newWebhookSecret();
  const id = `ep_${crypto.randomUUID().replaceAll("-", "")}`;
  await insertEndpoint(services.db, { id, url, events, secretSealed: await sealSecret(services.secretKey, secret) }, services.now());
  return { endpoint: (await findEndpoint(services.db, id))!, secret };
}

export async function webhookEndpoints(services: Services): Promise<WebhookEndpoint[]> {
  return listEndpoints(services.db);
}

async function existing(services: Services, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(services.db, id);
  if (!endpoint) throw notFound("webhook_not_found", "There is no such webhook endpoint.");
  return endpoint;
}

export async function changeWebhook(services: Services, policy: TargetPolicy, id: string, input: { url?: string | undefined; events?: readonly string[] | undefined; enabled?: boolean | undefined }): Promise<WebhookEndpoint> {
  await existing(services, id);
  const url = input.url === undefined ? undefined : await checkUrl(input.url, policy);
  const events = input.events === undefined ? undefined : checkEvents(input.events);
  await updateEndpoint(services.db, id, { url, events, enabled: input.enabled }, services.now());
  return existing(services, id);
}

export async function removeWebhook(services: Services, id: string): Promise<void> {
  if (!(await deleteEndpoint(services.db, id))) throw notFound("webhook_not_found", "There is no such webhook endpoint.");
}

/** A `webhook.test` event to this endpoint alone, through the same outbox as every event. */
export async function sendTestEvent(services: Services, id: string): Promise<{ deliveryId: string }> {
  await existing(services, id);
  const recorded = await emit(services, { type: TEST_EVENT_TYPE, onlyEndpoint: id, data: { endpointId: id, message: "A test event from Lessonpost." } });
  const deliveryId = recorded?.deliveryIds[0];
  if (!deliveryId) throw notFound("webhook_not_found", "There is no such webhook endpoint.");
  return { deliveryId };
}

export interface DeliveryLogEntry extends DeliveryLogRow {
  tries: { at: number; status_code: number | null; duration_ms: number; error: string | null }[];
}

export async function deliveryLog(services: Services, input: { endpointId?: string | undefined; limit?: number | undefined; withAttempts?: boolean }): Promise<DeliveryLogEntry[]> {
  if (input.endpointId) await existing(services, input.endpointId);
  const rows = await listDeliveries(services.db, { endpointId: input.endpointId, limit: Math.min(Math.max(input.limit ?? 50, 1), 500) });
  const out: DeliveryLogEntry[] = [];
  for (const row of rows) out.push({ ...row, tries: input.withAttempts ? await attemptsOf(services.db, row.id) : [] });
  return out;
}

/** Delivers an event again (same webhook-id), whatever became of it before. */
export async function replayWebhookDelivery(services: Services, deliveryId: string): Promise<void> {
  if (!(await replayDelivery(services.db, deliveryId, services.now()))) throw notFound("delivery_not_found", "There is no such webhook delivery.");
}
