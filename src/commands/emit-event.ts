import { errorMessage } from "../errors.ts";
import { anyEndpointEnabled, recordEvent, scrubReaderFromEvents, sendFacts, subscriberAddress } from "../store/outgoing-webhooks.ts";
import type { Services } from "./services.ts";

/**
 * Outgoing webhook events. A command that makes a fact calls `emit` right after it commits: the
 * event and one delivery row per subscribed endpoint go into the database (the outbox), and the
 * webhook worker delivers them. Nothing here waits on a receiver or on Redis.
 */

export const EVENT_TYPES = [
  "subscriber.created",
  "subscriber.confirmed",
  "subscriber.unsubscribed",
  "subscriber.deleted",
  "enrollment.started",
  "lesson.sent",
  "course.completed",
  "email.delivered",
  "email.bounced",
  "email.complained",
  "email.clicked",
  "sending.paused",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Sent only by the "send test event" action, to one endpoint. */
export const TEST_EVENT_TYPE = "webhook.test";

export interface EmitInput {
  type: EventType | typeof TEST_EVENT_TYPE;
  /** The reader the event is about: their id and (looked up now) address go into `data`. */
  subscriberId?: string | null | undefined;
  /** Course and lesson slugs, ids: whatever the event is about. */
  data?: Record<string, unknown> | undefined;
  /** Same key, same event: a repeated emit (a retried job) records nothing. */
  dedupeKey?: string | undefined;
  onlyEndpoint?: string | undefined;
  /** False when the reader has just been erased: their id only, never the address. */
  withAddress?: boolean | undefined;
}

/**
 * Records an event for delivery. Never throws: the fact it reports is already committed, and an
 * emit that fails is logged (with ids only) rather than undoing or failing the caller's action.
 */
export async function emit(services: Pick<Services, "db" | "log" | "now">, input: EmitInput): Promise<{ deliveryIds: string[] } | null> {
  try {
    // The common case, an install with no endpoints, costs this one read: no address lookup, no transaction.
    if (!input.onlyEndpoint && !(await anyEndpointEnabled(services.db))) return { deliveryIds: [] };
    const subscriberId = input.subscriberId ?? null;
    const email = subscriberId && input.withAddress !== false ? await subscriberAddress(services.db, subscriberId) : undefined;
    const data = { ...(subscriberId ? { subscriberId } : {}), ...(email ? { email } : {}), ...input.data };
    return await recordEvent(services.db, {
      id: `evt_${crypto.randomUUID().replaceAll("-", "")}`,
      type: input.type,
      subscriberId,
      data,
      dedupeKey: input.dedupeKey ?? null,
      createdAt: services.now(),
      onlyEndpoint: input.onlyEndpoint,
    });
  } catch (error) {
    services.log.warn("webhook event not recorded", { type: input.type, subscriber: input.subscriberId ?? undefined, reason: errorMessage(error) });
    return null;
  }
}

/**
 * The provider accepted these ledger rows: a lesson is `lesson.sent`, a graduation email
 * `course.completed`. Keyed on the row, so a job that runs twice reports each once.
 */
export async function emitSent(services: Pick<Services, "db" | "log" | "now">, sendIds: readonly string[]): Promise<void> {
  if (sendIds.length === 0) return;
  let facts;
  try {
    // Every accepted email passes here: with no endpoint, one cheap read and nothing more.
    if (!(await anyEndpointEnabled(services.db))) return;
    facts = await sendFacts(services.db, sendIds);
  } catch (error) {
    services.log.warn("webhook events not recorded", { sends: sendIds.length, reason: errorMessage(error) });
    return;
  }
  for (const f of facts) {
    if (f.kind !== "lesson" && f.kind !== "graduation") continue;
    const type = f.kind === "lesson" ? "lesson.sent" : "course.completed";
    await emit(services, {
      type,
      subscriberId: f.subscriberId,
      dedupeKey: `${type}:${f.sendId}`,
      data: { course: f.courseSlug, ...(f.kind === "lesson" ? { lesson: f.lessonSlug } : {}), enrollmentId: f.enrollmentId, sendId: f.sendId },
    });
  }
}

const PROVIDER_TYPES: ReadonlySet<string> = new Set(["email.delivered", "email.bounced", "email.complained", "email.clicked"]);

/** A provider event recorded for the first time, about one of our sends. */
export async function emitProviderEvent(services: Pick<Services, "db" | "log" | "now">, input: { providerEventId: string; type: string; sendId: string | null; extra?: Record<string, unknown> }): Promise<void> {
  if (!PROVIDER_TYPES.has(input.type) || !input.sendId || !(await anyEndpointEnabled(services.db).catch(() => true))) return;
  const [f] = await sendFacts(services.db, [input.sendId]).catch(() => []);
  if (!f) return;
  await emit(services, {
    type: input.type as EventType,
    subscriberId: f.subscriberId,
    dedupeKey: `${input.type}:${input.providerEventId}`,
    data: { course: f.courseSlug, lesson: f.lessonSlug, sendId: f.sendId, kind: f.kind, ...input.extra },
  });
}

/**
 * After an erasure: the address leaves every recorded event, so deliveries still waiting carry the
 * reader's id alone, and `subscriber.deleted` names only the id.
 */
export async function emitErased(services: Pick<Services, "db" | "log" | "now">, subscriberId: string): Promise<void> {
  try {
    await scrubReaderFromEvents(services.db, subscriberId);
  } catch (error) {
    services.log.warn("webhook events not scrubbed of an erased reader", { subscriber: subscriberId, reason: errorMessage(error) });
  }
  await emit(services, { type: "subscriber.deleted", subscriberId, withAddress: false });
}
