import { catalogueOf } from "../../src/content/catalogue.ts";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { suppressionOf } from "../../src/store/suppressions.ts";
import { confirmToken } from "../../src/tokens.ts";
import { makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

const SECRET = `whsec_${Buffer.from("lessonpost-webhook-test-secret-0123").toString("base64")}`;
const OTHER_SECRET = `whsec_${Buffer.from("somebody-elses-secret-000000000000").toString("base64")}`;
const EMAIL_ID = "4ef9a417-02e9-4d39-ad75-9611e0fcc33c";
const ADDRESS = "reader@example.com";
const MINUTE = 60_000;

let t: TestApp;
let app: ReturnType<typeof createApp>;
let subscriberId: string;
/** The ledger row of the confirmation email, as if Resend had accepted it as EMAIL_ID. */
let sendId: string;

async function appWith(webhookSecret: string | undefined) {
  return createApp({
    db: t.db,
    catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    dispatcher: t.dispatcher,
    clientIp: () => "203.0.113.7",
    now: () => t.clock.now,
    webhookSecret,
  });
}

beforeEach(async () => {
  t = await makeTestApp();
  app = await appWith(SECRET);
  const browser = { origin: "https://lessons.example.test" };
  const signedUp = await app.request("/subscribe", { method: "POST", headers: { ...browser, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email: ADDRESS, name: "Robin" }) });
  expect(signedUp.status).toBe(200);
  subscriberId = (await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
  sendId = (await t.db.selectFrom("sends").select("id").where("kind", "=", "confirm").executeTakeFirstOrThrow()).id;
  await t.db.updateTable("sends").set({ status: "sent", provider_id: EMAIL_ID, sent_at: t.clock.now }).where("id", "=", sendId).execute();
  // Confirming enrolls the reader and queues lesson 1: mail a suppression must stop.
  const confirmed = await app.request(`/confirm/${await confirmToken(TEST_SECRET, subscriberId, t.clock.now)}`, { method: "POST", headers: browser });
  expect(confirmed.status).toBe(200);
});
afterEach(async () => {
  await t.close();
});

interface Delivery {
  id?: string;
  /** When the delivery was signed; the library checks it against the real clock. */
  signedAt?: Date;
  secret?: string;
  names?: "svix" | "webhook";
  /** Changes the body after signing. */
  tamper?: (body: string) => string;
  omit?: "id" | "timestamp" | "signature";
  via?: ReturnType<typeof createApp>;
}

let counter = 0;

/** Posts a body the way Resend does: JSON, signed over its exact bytes, with Svix headers. */
async function deliver(body: unknown, options: Delivery = {}) {
  const id = options.id ?? `msg_test_${++counter}`;
  const signedAt = options.signedAt ?? new Date();
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const signature = new Webhook(options.secret ?? SECRET).sign(id, signedAt, raw);
  const prefix = options.names ?? "svix";
  const headers: Record<string, string> = {
    "content-type": "application/json",
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(Math.floor(signedAt.getTime() / 1000)),
    [`${prefix}-signature`]: signature,
  };
  if (options.omit) delete headers[`${prefix}-${options.omit}`];
  const res = await (options.via ?? app).request("/webhooks/resend", { method: "POST", headers, body: options.tamper ? options.tamper(raw) : raw });
  return { res, id };
}

function resendEvent(type: string, data: Record<string, unknown> = {}, createdAt = new Date(t.clock.now).toISOString()) {
  return {
    type,
    created_at: createdAt,
    data: { email_id: EMAIL_ID, from: "Lessons <lessons@example.test>", to: [`"Robin" <${ADDRESS}>`], subject: "Confirm your subscription", created_at: createdAt, ...data },
  };
}

const events = () => t.db.selectFrom("webhook_events").selectAll().orderBy("received_at").execute();
const ledgerRow = () => t.db.selectFrom("sends").selectAll().where("id", "=", sendId).executeTakeFirstOrThrow();
const subscriber = () => t.db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();
const otherSends = () => t.db.selectFrom("sends").select(["kind", "status", "error"]).where("id", "!=", sendId).execute();
const enrollments = () => t.db.selectFrom("enrollments").select("status").where("subscriber_id", "=", subscriberId).execute();
const suppressEvents = () => t.db.selectFrom("consent_events").selectAll().where("kind", "=", "suppress").execute();

describe("POST /webhooks/resend: signatures", () => {
  it("accepts a valid delivery and records it once, however often it is replayed", async () => {
    const body = resendEvent("email.delivered");
    const firstSeen = t.clock.now;
    const first = await deliver(body, { id: "msg_replayed" });
    const afterFirst = await ledgerRow();
    expect(afterFirst).toMatchObject({ delivered_at: t.clock.now, last_event: "email.delivered", updated_at: t.clock.now });
    t.clock.now += MINUTE;
    const replay = await deliver(body, { id: "msg_replayed" });
    expect([first.res.status, replay.res.status]).toEqual([200, 200]);
    // Not even updated_at moves: a replay is answered, not acted on.
    expect(await ledgerRow()).toEqual(afterFirst);
    expect(await first.res.json()).toEqual({ ok: true });
    expect(await replay.res.json()).toEqual({ ok: true });

    const recorded = await events();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ id: "msg_replayed", type: "email.delivered", provider_email_id: EMAIL_ID, send_id: sendId, occurred_at: firstSeen, received_at: firstSeen });
    expect(JSON.parse(recorded[0]!.payload)).toEqual(body);
  });

  it("accepts the Standard Webhooks header names too", async () => {
    const { res } = await deliver(resendEvent("email.delivered"), { names: "webhook" });
    expect(res.status).toBe(200);
    expect(await events()).toHaveLength(1);
  });

  describe("refuses, recording nothing,", () => {
    const refusals: Array<[string, () => Delivery | Promise<Delivery>]> = [
      ["a forged signature", () => ({ secret: OTHER_SECRET })],
      ["a timestamp older than five minutes", () => ({ signedAt: new Date(Date.now() - 6 * MINUTE) })],
      ["a timestamp more than five minutes ahead", () => ({ signedAt: new Date(Date.now() + 6 * MINUTE) })],
      ["a delivery that is stale by the app's clock", () => {
        t.clock.now += 6 * MINUTE;
        return {};
      }],
      ["a body changed after signing", () => ({ tamper: (raw) => raw.replace("email.delivered", "email.complained") })],
      ["a delivery without an id", () => ({ omit: "id" })],
      ["a delivery without a timestamp", () => ({ omit: "timestamp" })],
      ["a delivery without a signature", () => ({ omit: "signature" })],
      ["any delivery when no secret is configured", async () => ({ via: await appWith(undefined) })],
    ];
    it.each(refusals)("%s", async (_name, options) => {
      const before = await ledgerRow();
      const { res } = await deliver(resendEvent("email.delivered"), await options());
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "invalid_signature", message: expect.any(String) } });
      expect(await events()).toEqual([]);
      expect(await ledgerRow()).toEqual(before);
    });
  });

  it("the same delivery goes through once the configuration is right (the refusals are not vacuous)", async () => {
    const { res } = await deliver(resendEvent("email.delivered"), { via: await appWith(SECRET) });
    expect(res.status).toBe(200);
    expect((await ledgerRow()).delivered_at).toBe(t.clock.now);
  });
});

describe("POST /webhooks/resend: the ledger row", () => {
  it("keeps delivered, delayed, opened and clicked on the matching row, first occurrence each", async () => {
    const at = (minutes: number) => new Date(t.clock.now + minutes * MINUTE).toISOString();
    for (const [type, minutes] of [["email.sent", 0], ["email.delivery_delayed", 1], ["email.delivered", 2], ["email.opened", 3], ["email.clicked", 4], ["email.opened", 5], ["email.delivered", 6]] as const) {
      expect((await deliver(resendEvent(type, {}, at(minutes)))).res.status).toBe(200);
    }
    const row = await ledgerRow();
    expect(row).toMatchObject({
      delayed_at: t.clock.now + 1 * MINUTE,
      delivered_at: t.clock.now + 2 * MINUTE,
      opened_at: t.clock.now + 3 * MINUTE,
      clicked_at: t.clock.now + 4 * MINUTE,
      bounced_at: null,
      complained_at: null,
      last_event: "email.delivered",
      status: "sent",
    });
    const recorded = await events();
    expect(recorded).toHaveLength(7);
    expect(new Set(recorded.map((e) => e.send_id))).toEqual(new Set([sendId]));
  });

  it("does not let an older event that arrives late replace the latest one", async () => {
    await deliver(resendEvent("email.opened", {}, new Date(t.clock.now + 2 * MINUTE).toISOString()));
    await deliver(resendEvent("email.delivered", {}, new Date(t.clock.now + 1 * MINUTE).toISOString()));
    expect(await ledgerRow()).toMatchObject({ last_event: "email.opened", delivered_at: t.clock.now + MINUTE, opened_at: t.clock.now + 2 * MINUTE });
  });

  it("records an event for an email it does not know, and changes nothing", async () => {
    const before = await ledgerRow();
    const { res } = await deliver(resendEvent("email.complained", { email_id: "not-ours", to: ["stranger@example.org"] }));
    expect(res.status).toBe(200);
    expect(await events()).toMatchObject([{ type: "email.complained", provider_email_id: "not-ours", send_id: null }]);
    expect(await ledgerRow()).toEqual(before);
    expect(await suppressionOf(t.db, "stranger@example.org")).toBeUndefined();
    expect((await subscriber()).status).toBe("active");
  });
});

describe("POST /webhooks/resend: bounces and complaints", () => {
  const expectSuppressed = async (reason: "bounced" | "complained", eventId: string) => {
    expect((await subscriber()).status).toBe(reason);
    expect(await suppressionOf(t.db, ADDRESS)).toBe(reason);
    const consent = await suppressEvents();
    expect(consent).toHaveLength(1);
    expect(consent[0]!.subscriber_id).toBe(subscriberId);
    expect(JSON.parse(consent[0]!.detail!)).toEqual({ reason, event: eventId });
    const others = await otherSends();
    expect(others.length).toBeGreaterThan(0);
    expect(others).toEqual(others.map((s) => ({ ...s, status: "cancelled", error: `suppressed: ${reason}` })));
    expect(await enrollments()).toEqual([{ status: "cancelled" }]);
  };

  it("a hard bounce suppresses the reader at once", async () => {
    expect(await otherSends()).toEqual([{ kind: "lesson", status: "queued", error: null }]);
    const { res, id } = await deliver(resendEvent("email.bounced", { bounce: { type: "Permanent", subType: "General", message: "The recipient's email address does not exist." } }));
    expect(res.status).toBe(200);
    await expectSuppressed("bounced", id);
    expect(await ledgerRow()).toMatchObject({ bounced_at: t.clock.now, last_event: "email.bounced" });
  });

  it("a bounce without details counts as hard, since Resend reports permanent rejections as email.bounced", async () => {
    const { id } = await deliver(resendEvent("email.bounced"));
    await expectSuppressed("bounced", id);
  });

  it("a complaint suppresses the reader at once", async () => {
    const { res, id } = await deliver(resendEvent("email.complained"));
    expect(res.status).toBe(200);
    await expectSuppressed("complained", id);
    expect(await ledgerRow()).toMatchObject({ complained_at: t.clock.now, last_event: "email.complained" });
  });

  it("a complaint for an email the ledger cannot match finds the reader by address", async () => {
    const { id } = await deliver(resendEvent("email.complained", { email_id: "unknown-email-id", to: ["READER@example.com"] }));
    await expectSuppressed("complained", id);
    expect((await events())[0]!.send_id).toBeNull();
  });

  it("a replayed complaint is acted on once", async () => {
    await deliver(resendEvent("email.complained"), { id: "msg_complaint" });
    await deliver(resendEvent("email.complained"), { id: "msg_complaint" });
    await expectSuppressed("complained", "msg_complaint");
  });

  it("a later bounce does not downgrade a complaint", async () => {
    await deliver(resendEvent("email.complained"));
    await deliver(resendEvent("email.bounced", { bounce: { type: "Permanent" } }));
    expect((await subscriber()).status).toBe("complained");
    expect(await suppressionOf(t.db, ADDRESS)).toBe("complained");
    expect(await suppressEvents()).toHaveLength(1);
  });

  it("a soft bounce is kept on the row but suppresses nothing", async () => {
    const { res } = await deliver(resendEvent("email.bounced", { bounce: { type: "Transient", subType: "MailboxFull", message: "Mailbox full" } }));
    expect(res.status).toBe(200);
    expect(await ledgerRow()).toMatchObject({ last_event: "email.bounced", bounced_at: null });
    expect((await subscriber()).status).toBe("active");
    expect(await suppressionOf(t.db, ADDRESS)).toBeUndefined();
    expect(await suppressEvents()).toEqual([]);
    expect(await otherSends()).toEqual([{ kind: "lesson", status: "queued", error: null }]);
    expect(await enrollments()).toEqual([{ status: "active" }]);
  });
});

describe("POST /webhooks/resend: bodies", () => {
  it.each([
    ["malformed JSON", '{"type": "email.bounced", '],
    ["JSON that is not an object", '["email.bounced"]'],
  ])("refuses %s with a valid signature with 400, recording nothing", async (_name, raw) => {
    const before = await ledgerRow();
    const { res } = await deliver(raw);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "invalid_json", message: expect.any(String) } });
    expect(await events()).toEqual([]);
    expect(await ledgerRow()).toEqual(before);
  });

  it("records an unknown event type and acts on none of it", async () => {
    const before = await ledgerRow();
    const { res } = await deliver({ type: "contact.updated", created_at: new Date(t.clock.now).toISOString(), data: { email_id: EMAIL_ID, to: [ADDRESS], bounce: { type: "Permanent" } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(await events()).toMatchObject([{ type: "contact.updated", send_id: sendId }]);
    expect(await ledgerRow()).toEqual(before);
    expect((await subscriber()).status).toBe("active");
  });

  it("records an event with missing fields", async () => {
    const { res } = await deliver({ data: null });
    expect(res.status).toBe(200);
    expect(await events()).toMatchObject([{ type: "unknown", provider_email_id: null, send_id: null, occurred_at: null }]);
  });
});
