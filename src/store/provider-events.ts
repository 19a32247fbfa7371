import type { Transaction, UpdateObject } from "kysely";
import type { DB, Database, SubscriberStatus, SuppressionReason } from "./database.ts";
import { sql } from "kysely";
import { namesMailbox } from "../email-address.ts";
import { suppress, suppressionOf } from "./suppressions.ts";
import { cancelUnsentFor } from "./sends.ts";

/**
 * Provider (Resend) events: each recorded once by its delivery id, linked to the ledger row it
 * is about, and acted on only the first time it is seen, in the same transaction as the record.
 */

/** One provider event, read tolerantly: every field but the id may be missing. */
export interface ProviderEvent {
  /** The delivery id (svix-id / webhook-id): replays of one delivery share it. */
  id: string;
  type: string;
  /** The provider's id of the email, which the ledger keeps as sends.provider_id. */
  emailId: string | null;
  to: string[];
  occurredAt: number | null;
  /** Resend's bounce.type ("Permanent", "Transient", "Undetermined"), when the event has one. */
  bounceType: string | null;
  /** The body exactly as signed, kept for audits and for types we do not act on yet. */
  payload: string;
}

/** What a provider event can suppress an address for; erasure is the reader's own act. */
export type ProviderSuppression = Extract<SuppressionReason, "bounced" | "complained">;

export interface RecordOutcome {
  /** False when this delivery id was already recorded: a replay, nothing was done again. */
  recorded: boolean;
  sendId: string | null;
  suppressed: ProviderSuppression | null;
}

/** Types that speak about one sent email and so move its ledger row's last_event. */
const LEDGER_TYPES = [
  "email.sent",
  "email.delivered",
  "email.delivery_delayed",
  "email.opened",
  "email.clicked",
  "email.bounced",
  "email.complained",
  "email.failed",
] as const;
type LedgerType = (typeof LEDGER_TYPES)[number];

type FirstSeenColumn = "delivered_at" | "delayed_at" | "opened_at" | "clicked_at" | "bounced_at" | "complained_at";

const FIRST_SEEN: Partial<Record<LedgerType, FirstSeenColumn>> = {
  "email.delivered": "delivered_at",
  "email.delivery_delayed": "delayed_at",
  "email.opened": "opened_at",
  "email.clicked": "clicked_at",
  "email.complained": "complained_at",
};

/**
 * Reads Resend's `{ type, created_at, data: { email_id, to, bounce } }` without trusting its
 * shape: a missing or odd field becomes null, so the event is still recorded. Only a body that
 * is not a JSON object at all is refused (null).
 */
export function readResendEvent(id: string, payload: string, body: unknown): ProviderEvent | null {
  if (!isObject(body)) return null;
  const data = isObject(body.data) ? body.data : {};
  const bounce = isObject(data.bounce) ? data.bounce : {};
  const to = Array.isArray(data.to) ? data.to : [data.to];
  const occurredAt = typeof body.created_at === "string" ? Date.parse(body.created_at) : Number.NaN;
  return {
    id,
    type: typeof body.type === "string" && body.type !== "" ? body.type.slice(0, 100) : "unknown",
    emailId: typeof data.email_id === "string" && data.email_id !== "" ? data.email_id : null,
    to: to.filter((t): t is string => typeof t === "string"),
    occurredAt: Number.isFinite(occurredAt) ? occurredAt : null,
    bounceType: typeof bounce.type === "string" ? bounce.type : null,
    payload,
  };
}

/**
 * Resend documents email.bounced as a permanent rejection, and a hard bounce we miss means
 * mailing a dead address again, which costs the sender reputation every reader depends on.
 * So only a bounce the provider itself calls Transient is soft; Permanent, Undetermined and a
 * bounce without details all suppress.
 */
export function isHardBounce(bounceType: string | null): boolean {
  return bounceType?.trim().toLowerCase() !== "transient";
}

export async function recordProviderEvent(db: Database, event: ProviderEvent, now: number): Promise<RecordOutcome> {
  return db.transaction().execute(async (trx) => {
    const send = event.emailId
      ? await trx.selectFrom("sends").select(["id", "subscriber_id"]).where("provider_id", "=", event.emailId).orderBy("created_at").executeTakeFirst()
      : undefined;
    const inserted = await trx
      .insertInto("webhook_events")
      .values({
        id: event.id,
        type: event.type,
        provider_email_id: event.emailId,
        send_id: send?.id ?? null,
        occurred_at: event.occurredAt,
        received_at: now,
        payload: event.payload,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("id")
      .executeTakeFirst();
    const outcome: RecordOutcome = { recorded: inserted !== undefined, sendId: send?.id ?? null, suppressed: null };
    if (!inserted || !isLedgerType(event.type)) return outcome;

    const reason = suppressionReason(event);
    if (send) await updateLedgerRow(trx, send.id, event, event.type, reason, now);
    if (reason && (await suppressReader(trx, { send, to: event.to, reason, eventId: event.id }, now))) outcome.suppressed = reason;
    return outcome;
  });
}

function suppressionReason(event: ProviderEvent): ProviderSuppression | null {
  if (event.type === "email.complained") return "complained";
  if (event.type === "email.bounced" && isHardBounce(event.bounceType)) return "bounced";
  return null;
}

async function updateLedgerRow(trx: Transaction<DB>, sendId: string, event: ProviderEvent, type: LedgerType, reason: ProviderSuppression | null, now: number): Promise<void> {
  const at = event.occurredAt ?? now;
  const column = type === "email.bounced" ? (reason ? "bounced_at" : undefined) : FIRST_SEEN[type];
  // Deliveries are not ordered: an older event arriving late must not hide a newer one.
  const superseded =
    event.occurredAt !== null &&
    event.emailId !== null &&
    (await trx
      .selectFrom("webhook_events")
      .select("id")
      .where("provider_email_id", "=", event.emailId)
      .where("type", "in", LEDGER_TYPES)
      .where("occurred_at", ">", event.occurredAt)
      .where("id", "!=", event.id)
      .executeTakeFirst()) !== undefined;
  if (!column && superseded) return;
  await trx
    .updateTable("sends")
    .set((eb) => {
      const changes: UpdateObject<DB, "sends"> = { updated_at: now };
      if (!superseded) changes.last_event = type;
      // The first one recorded stays: a second open or a redelivered email does not move it.
      if (column) changes[column] = eb.fn.coalesce(column, eb.val(at));
      return changes;
    })
    .where("id", "=", sendId)
    .execute();
}

interface SuppressTarget {
  /** The ledger row the event matched, if any. */
  send: { subscriber_id: string } | undefined;
  to: string[];
  reason: ProviderSuppression;
  eventId: string;
}

/**
 * Stops all mail to the reader at once: status, consent record, suppression hash, queue. The
 * reader is the ledger row's; without a row, whoever has the `to` address. An account's webhook
 * also reports mail other apps sent, so an address that is neither is left alone.
 */
async function suppressReader(trx: Transaction<DB>, target: SuppressTarget, now: number): Promise<boolean> {
  const to = target.to.map(bareAddress).filter((a): a is string => a !== null);
  const readers = target.send
    ? await trx.selectFrom("subscribers").select(["id", "email", "status"]).where("id", "=", target.send.subscriber_id).execute()
    : to.length > 0
      ? await trx
          .selectFrom("subscribers")
          .select(["id", "email", "status"])
          .where("email_key", "in", to)
          .execute()
      : [];
  // An email we know we sent has its address suppressed even if the reader's row is erased or gone.
  const addresses = new Set(target.send ? to : []);
  if (readers.length === 0 && addresses.size === 0) return false;

  for (const reader of readers) {
    // An erased reader keeps their erasure; the hash below still protects the address.
    if (reader.status !== "deleted") {
      addresses.add(reader.email.trim().toLowerCase());
      const status = strongerStatus(reader.status, target.reason);
      if (status !== reader.status) {
        await trx.updateTable("subscribers").set({ status, updated_at: now }).where("id", "=", reader.id).execute();
        await trx
          .insertInto("consent_events")
          .values({
            id: crypto.randomUUID(),
            subscriber_id: reader.id,
            kind: "suppress",
            at: now,
            ip: null,
            user_agent: null,
            detail: JSON.stringify({ reason: target.reason, event: target.eventId }),
          })
          .execute();
      }
    }
    await trx.updateTable("enrollments").set({ status: "cancelled", next_due_at: null, updated_at: now }).where("subscriber_id", "=", reader.id).where("status", "in", ["active", "paused"]).execute();
    await cancelUnsentFor(trx, reader.id, `suppressed: ${target.reason}`, now);
  }

  for (const address of addresses) {
    // A complaint is the stronger record; a later bounce must not overwrite it.
    if (target.reason === "bounced" && (await suppressionOf(trx, address)) === "complained") continue;
    await suppress(trx, address, target.reason, now);
  }
  return true;
}

/** A complaint outranks a bounce; either outranks every other status. */
function strongerStatus(current: SubscriberStatus, reason: ProviderSuppression): SubscriberStatus {
  if (current === "complained") return current;
  return reason === "complained" ? "complained" : "bounced";
}

/** `"Ann" <ann@example.com>` or `ann@example.com` → `ann@example.com`, lowercased for matching. */
function bareAddress(to: string): string | null {
  const angled = /<([^<>]*)>\s*$/.exec(to);
  const address = (angled ? angled[1]! : to).trim().toLowerCase();
  return address.includes("@") ? address : null;
}

function isLedgerType(type: string): type is LedgerType {
  return (LEDGER_TYPES as readonly string[]).includes(type);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Erasure: every recorded event about a reader goes, including those that arrived before their
 * ledger row was known (no send_id; the address is only in the payload). The database narrows the
 * payloads down by substring; the exact test is on the parsed recipients, so erasing ann@ does not
 * take joann@'s events with it.
 */
export async function eraseProviderEventsFor(trx: Transaction<DB>, key: string, sendIds: readonly string[], providerIds: readonly string[]): Promise<void> {
  for (let i = 0; i < sendIds.length; i += 500) await trx.deleteFrom("webhook_events").where("send_id", "in", sendIds.slice(i, i + 500)).execute();
  for (let i = 0; i < providerIds.length; i += 500) await trx.deleteFrom("webhook_events").where("provider_email_id", "in", providerIds.slice(i, i + 500)).execute();
  const pattern = `%${key.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const candidates = await trx
    .selectFrom("webhook_events")
    .select(["id", "payload"])
    .where(sql<boolean>`lower(payload) like ${pattern} escape '\\'`)
    .execute();
  const mentioning = candidates.filter((row) => payloadMentions(row.payload, key)).map((row) => row.id);
  for (let i = 0; i < mentioning.length; i += 500) await trx.deleteFrom("webhook_events").where("id", "in", mentioning.slice(i, i + 500)).execute();
}

function payloadMentions(payload: string, key: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    // Not JSON after all: the substring match is all there is, so err on the side of erasing.
    return true;
  }
  const visit = (value: unknown): boolean =>
    typeof value === "string" ? namesMailbox(value, key) : Array.isArray(value) ? value.some(visit) : isObject(value) ? Object.values(value).some(visit) : false;
  return visit(body);
}
