import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable } from "./database.ts";
import { reusableQuery } from "./reusable-query.ts";

/**
 * Outgoing webhooks: endpoints, the outbox of events (`outgoing_events`), one delivery row per
 * (endpoint, event) and every attempt. The database is the source of truth: Redis only ever holds
 * a job that points at a delivery row, and the worker's offer pass finds every row Redis lost.
 */

export type WebhookEndpoint = Omit<WebhookEndpointsTable, "events"> & { events: string[] };

const readEndpoint = (row: WebhookEndpointsTable): WebhookEndpoint => ({ ...row, events: JSON.parse(row.events) as string[] });

export async function insertEndpoint(db: Database, row: { id: string; url: string; events: readonly string[]; secretSealed: string }, now: number): Promise<void> {
  await db
    .insertInto("webhook_endpoints")
    .values({ id: row.id, url: row.url, events: JSON.stringify(row.events), secret_sealed: row.secretSealed, enabled: 1, disabled_reason: null, failing_since: null, created_at: now, updated_at: now })
    .execute();
}

export async function listEndpoints(db: Database): Promise<WebhookEndpoint[]> {
  return (await db.selectFrom("webhook_endpoints").selectAll().orderBy("created_at").orderBy("id").execute()).map(readEndpoint);
}

export async function findEndpoint(db: Database, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? readEndpoint(row) : undefined;
}

/** Re-enabling clears the failure record, so the 24 h clock starts afresh. */
export async function updateEndpoint(db: Database, id: string, patch: { url?: string | undefined; events?: readonly string[] | undefined; enabled?: boolean | undefined }, now: number): Promise<boolean> {
  const result = await db
    .updateTable("webhook_endpoints")
    .set({
      updated_at: now,
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: JSON.stringify(patch.events) } : {}),
      ...(patch.enabled === true ? { enabled: 1, disabled_reason: null, failing_since: null } : {}),
      ...(patch.enabled === false ? { enabled: 0, disabled_reason: "disabled by an admin" } : {}),
    })
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteEndpoint(db: Database, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("webhook_attempts").where("delivery_id", "in", trx.selectFrom("webhook_deliveries").select("id").where("endpoint_id", "=", id)).execute();
    await trx.deleteFrom("webhook_deliveries").where("endpoint_id", "=", id).execute();
    const result = await trx.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

export interface NewEvent {
  id: string;
  type: string;
  subscriberId: string | null;
  data: Record<string, unknown>;
  /** Null: never a duplicate. Otherwise a second event under the same key is dropped. */
  dedupeKey: string | null;
  createdAt: number;
  /** Only this endpoint (the "send test event" action), whatever it subscribes to. */
  onlyEndpoint?: string | undefined;
}

/**
 * The event and its deliveries, in one transaction: every enabled endpoint subscribed to the type
 * gets a pending row, due now. An event no endpoint wants is not recorded at all. Null when the
 * dedupe key was already used (nothing is recorded).
 */
export async function recordEvent(db: Database, event: NewEvent): Promise<{ deliveryIds: string[] } | null> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom("webhook_endpoints").select(["id", "events"]);
    query = event.onlyEndpoint ? query.where("id", "=", event.onlyEndpoint) : query.where("enabled", "=", 1);
    const endpoints = (await query.execute()).filter((e) => event.onlyEndpoint !== undefined || (JSON.parse(e.events) as string[]).includes(event.type));
    // No one listens: nothing is kept (no copy of a reader's address for no one).
    if (endpoints.length === 0) return { deliveryIds: [] };
    const inserted = await trx
      .insertInto("outgoing_events")
      .values({ id: event.id, type: event.type, subscriber_id: event.subscriberId, data: JSON.stringify(event.data), dedupe_key: event.dedupeKey, created_at: event.createdAt })
      .onConflict((oc) => oc.doNothing())
      .returning("seq")
      .executeTakeFirst();
    if (!inserted) return null;
    const rows = endpoints.map(
      (e): WebhookDeliveriesTable => ({
        id: crypto.randomUUID(),
        endpoint_id: e.id,
        event_id: event.id,
        event_seq: inserted.seq,
        subscriber_id: event.subscriberId,
        status: "pending",
        attempts: 0,
        next_attempt_at: event.createdAt,
        enqueued_at: null,
        last_status_code: null,
        last_error: null,
        last_duration_ms: null,
        delivered_at: null,
        created_at: event.createdAt,
        updated_at: event.createdAt,
      }),
    );
    await trx.insertInto("webhook_deliveries").values(rows).execute();
    return { deliveryIds: rows.map((r) => r.id) };
  });
}

/**
 * Deliveries to hand to the queue: pending, due, not handed over recently, and each the first
 * pending one of its reader's chain to its endpoint. A reader's later event waits until the
 * earlier one is delivered (or failed for good): that is what keeps one reader's events in order.
 */
export async function offerableDeliveries(db: Database, now: number, reofferAfterMs: number, limit: number): Promise<{ id: string; attempts: number }[]> {
  return db
    .selectFrom("webhook_deliveries as d")
    .select(["d.id", "d.attempts"])
    .where("d.status", "=", "pending")
    .where("d.next_attempt_at", "<=", now)
    .where((eb) => eb.or([eb("d.enqueued_at", "is", null), eb("d.enqueued_at", "<", now - reofferAfterMs)]))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("webhook_deliveries as p")
            .select("p.id")
            .whereRef("p.endpoint_id", "=", "d.endpoint_id")
            .whereRef("p.subscriber_id", "=", "d.subscriber_id")
            .where("p.status", "=", "pending")
            .whereRef("p.event_seq", "<", "d.event_seq"),
        ),
      ),
    )
    .orderBy("d.event_seq")
    .limit(limit)
    .execute();
}

export async function markDeliveriesEnqueued(db: Database, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable("webhook_deliveries").set({ enqueued_at: now }).where("id", "in", ids).execute();
}

export interface DeliveryWork {
  delivery: WebhookDeliveriesTable;
  endpoint: WebhookEndpoint;
  event: { id: string; type: string; data: string; created_at: number };
  /** An earlier event of the same reader to the same endpoint is still pending. */
  blocked: boolean;
}

/** What a worker needs to make one attempt. */
export async function deliveryWork(db: Database, id: string): Promise<DeliveryWork | undefined> {
  const delivery = await db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  if (!delivery) return undefined;
  const endpoint = await findEndpoint(db, delivery.endpoint_id);
  const event = await db.selectFrom("outgoing_events").select(["id", "type", "data", "created_at"]).where("id", "=", delivery.event_id).executeTakeFirst();
  if (!endpoint || !event) return undefined;
  const earlier =
    delivery.subscriber_id === null
      ? undefined
      : await db
          .selectFrom("webhook_deliveries")
          .select("id")
          .where("endpoint_id", "=", delivery.endpoint_id)
          .where("subscriber_id", "=", delivery.subscriber_id)
          .where("status", "=", "pending")
          .where("event_seq", "<", delivery.event_seq)
          .executeTakeFirst();
  return { delivery, endpoint, event, blocked: earlier !== undefined };
}

/** A blocked or skipped job gives its row back to the offer pass at once. */
export async function releaseDelivery(db: Database, id: string): Promise<void> {
  await db.updateTable("webhook_deliveries").set({ enqueued_at: null }).where("id", "=", id).where("status", "=", "pending").execute();
}

export interface AttemptResult {
  at: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  ok: boolean;
}

/**
 * Records one attempt. Success settles the row and clears the endpoint's failure clock. Failure
 * schedules the next attempt (`retryAt`), or fails the row for good when there is none. The
 * update is conditional on the attempt count the worker read, so a stale duplicate job changes nothing.
 */
export async function recordDeliveryAttempt(db: Database, delivery: { id: string; endpointId: string; attempts: number }, result: AttemptResult, retryAt: number | null): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const settled = result.ok ? { status: "delivered" as const, delivered_at: result.at } : retryAt === null ? { status: "failed" as const } : { next_attempt_at: retryAt };
    const updated = await trx
      .updateTable("webhook_deliveries")
      .set({ ...settled, attempts: delivery.attempts + 1, enqueued_at: null, last_status_code: result.statusCode, last_error: result.error, last_duration_ms: result.durationMs, updated_at: result.at })
      .where("id", "=", delivery.id)
      .where("status", "=", "pending")
      .where("attempts", "=", delivery.attempts)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await trx
      .insertInto("webhook_attempts")
      .values({ id: crypto.randomUUID(), delivery_id: delivery.id, at: result.at, status_code: result.statusCode, duration_ms: result.durationMs, error: result.error })
      .execute();
    if (result.ok) await trx.updateTable("webhook_endpoints").set({ failing_since: null }).where("id", "=", delivery.endpointId).execute();
    else await trx.updateTable("webhook_endpoints").set({ failing_since: result.at }).where("id", "=", delivery.endpointId).where("failing_since", "is", null).execute();
    return true;
  });
}

/** Disables an endpoint and fails what it still had pending (each can be replayed once it works again). */
export async function disableEndpoint(db: Database, id: string, reason: string, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Deliveries first, then the endpoint: the order recordDeliveryAttempt takes its row locks in.
    // The other way round, PostgreSQL could find this transaction and a concurrent attempt of
    // another pending delivery each waiting for the other's row, and abort one of them.
    await trx.updateTable("webhook_deliveries").set({ status: "failed", last_error: reason, enqueued_at: null, updated_at: now }).where("endpoint_id", "=", id).where("status", "=", "pending").execute();
    await trx.updateTable("webhook_endpoints").set({ enabled: 0, disabled_reason: reason, updated_at: now }).where("id", "=", id).execute();
  });
}

// Asked after every signup, confirmation and unsubscribe, so it is compiled once.
const selectEnabledEndpoint = reusableQuery((db, _: Record<string, never>) => db.selectFrom("webhook_endpoints").select("id").where("enabled", "=", 1).limit(1));

/** Whether any endpoint is enabled: callers skip gathering an event's facts when none is. */
export async function anyEndpointEnabled(db: Database): Promise<boolean> {
  return (await selectEnabledEndpoint(db, {})).rows.length > 0;
}

export interface DeliveryLogRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  subscriber_id: string | null;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  next_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
}

export async function listDeliveries(db: Database, options: { endpointId?: string | undefined; limit: number }): Promise<DeliveryLogRow[]> {
  let query = db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("outgoing_events as e", "e.id", "d.event_id")
    .select([
      "d.id",
      "d.endpoint_id",
      "d.event_id",
      "e.type as event_type",
      "d.subscriber_id",
      "d.status",
      "d.attempts",
      "d.last_status_code",
      "d.last_error",
      "d.last_duration_ms",
      "d.next_attempt_at",
      "d.delivered_at",
      "d.created_at",
    ])
    .orderBy("d.event_seq", "desc")
    .limit(options.limit);
  if (options.endpointId) query = query.where("d.endpoint_id", "=", options.endpointId);
  return query.execute();
}

export async function attemptsOf(db: Database, deliveryId: string): Promise<{ at: number; status_code: number | null; duration_ms: number; error: string | null }[]> {
  return db.selectFrom("webhook_attempts").select(["at", "status_code", "duration_ms", "error"]).where("delivery_id", "=", deliveryId).orderBy("at").execute();
}

/** Puts a delivery back in line, due now; its webhook-id stays the event's. False when there is no such delivery. */
export async function replayDelivery(db: Database, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable("webhook_deliveries").set({ status: "pending", next_attempt_at: now, enqueued_at: null, delivered_at: null, updated_at: now }).where("id", "=", id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Erasure: the reader's address leaves every event recorded about them (delivered or still
 * waiting), so a delivery still to come carries their id, never their address.
 */
export async function scrubReaderFromEvents(db: Database, subscriberId: string): Promise<number> {
  const rows = await db.selectFrom("outgoing_events").select(["id", "data"]).where("subscriber_id", "=", subscriberId).execute();
  let scrubbed = 0;
  for (const row of rows) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    if (!("email" in data)) continue;
    delete data.email;
    await db.updateTable("outgoing_events").set({ data: JSON.stringify(data) }).where("id", "=", row.id).execute();
    scrubbed += 1;
  }
  return scrubbed;
}

export async function subscriberAddress(db: Database, subscriberId: string): Promise<string | undefined> {
  const row = await db.selectFrom("subscribers").select(["email", "status"]).where("id", "=", subscriberId).executeTakeFirst();
  return row && row.status !== "deleted" ? row.email : undefined;
}

export interface SendFacts {
  sendId: string;
  kind: string;
  subscriberId: string;
  email: string | undefined;
  enrollmentId: string | null;
  courseSlug: string | null;
  lessonSlug: string | null;
}

/** What an event about a sent email says: its reader, course and lesson. */
export async function sendFacts(db: Database, sendIds: readonly string[]): Promise<SendFacts[]> {
  if (sendIds.length === 0) return [];
  const rows = await db
    .selectFrom("sends as s")
    .leftJoin("enrollments as en", "en.id", "s.enrollment_id")
    .leftJoin("broadcasts as b", "b.id", "s.broadcast_id")
    .leftJoin("subscribers as r", "r.id", "s.subscriber_id")
    .select(["s.id", "s.kind", "s.subscriber_id", "s.enrollment_id", "s.lesson_slug", "en.course_slug as enrollment_course", "b.course_slug as broadcast_course", "r.email", "r.status as subscriber_status"])
    .where("s.id", "in", sendIds)
    .execute();
  return rows.map((r) => ({
    sendId: r.id,
    kind: r.kind,
    subscriberId: r.subscriber_id,
    email: r.email !== null && r.subscriber_status !== "deleted" ? r.email : undefined,
    enrollmentId: r.enrollment_id,
    courseSlug: r.enrollment_course ?? r.broadcast_course ?? null,
    lessonSlug: r.lesson_slug,
  }));
}
