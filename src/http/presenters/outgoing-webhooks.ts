import type { DeliveryLogEntry } from "../../commands/webhook-endpoints.ts";
import type { WebhookEndpoint } from "../../store/outgoing-webhooks.ts";

/** The JSON shapes of /admin/api/webhooks. The signing secret never appears here: it is shown once, at registration. */

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(Number(t)).toISOString());

export function presentEndpoint(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    enabled: e.enabled === 1,
    disabledReason: e.disabled_reason,
    failingSince: iso(e.failing_since),
    createdAt: iso(e.created_at),
    updatedAt: iso(e.updated_at),
  };
}

export function presentDelivery(d: DeliveryLogEntry) {
  return {
    id: d.id,
    endpointId: d.endpoint_id,
    eventId: d.event_id,
    type: d.event_type,
    subscriberId: d.subscriber_id,
    status: d.status,
    attempts: d.attempts,
    responseCode: d.last_status_code,
    durationMs: d.last_duration_ms,
    error: d.last_error,
    nextAttemptAt: d.status === "pending" ? iso(d.next_attempt_at) : null,
    deliveredAt: iso(d.delivered_at),
    createdAt: iso(d.created_at),
    ...(d.tries.length > 0 ? { tries: d.tries.map((t) => ({ at: iso(t.at), responseCode: t.status_code, durationMs: t.duration_ms, error: t.error })) } : {}),
  };
}
