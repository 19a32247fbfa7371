import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPrivateAddress, openSecret } from "../../src/send/webhook-delivery.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";
import { silentLogger } from "../../src/log.ts";

const ADMIN = "admin-token-for-tests-0123456789";
/** TEST-NET-3: a public-looking literal address, so no DNS is needed to accept it. */
const PUBLIC_URL = "https://203.0.113.10/hooks/lessonpost";

let t: TestApp;
let app: ReturnType<typeof appFor>;
beforeEach(async () => {
  t = await makeTestApp();
  app = appFor(t, { adminToken: ADMIN });
});
afterEach(async () => {
  await t.close();
});

const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
const call = (target: typeof app, method: string, path: string, body?: unknown) =>
  target.request(`/admin/api/webhooks${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });

describe("POST /admin/api/webhooks", () => {
  it("registers an endpoint and shows its whsec_ secret once: never in the list, and stored sealed, not as is", async () => {
    const res = await call(app, "POST", "", { url: PUBLIC_URL, events: ["subscriber.confirmed", "lesson.sent"] });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; secret: string; url: string; events: string[]; enabled: boolean };
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    expect(Buffer.from(created.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    expect(created).toMatchObject({ url: PUBLIC_URL, events: ["subscriber.confirmed", "lesson.sent"], enabled: true });

    const list = await (await call(app, "GET", "")).text();
    expect(list).toContain(created.id);
    expect(list).not.toContain(created.secret);
    const row = await t.db.selectFrom("webhook_endpoints").selectAll().where("id", "=", created.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(created.secret.slice(6));
    expect(await openSecret(TEST_SECRET, row.secret_sealed)).toBe(created.secret);
  });

  it.each([
    ["no url", { events: ["lesson.sent"] }, "webhook_url_invalid"],
    ["a url that is not one", { url: "not a url", events: ["lesson.sent"] }, "webhook_url_invalid"],
    ["another scheme", { url: "ftp://203.0.113.10/x", events: ["lesson.sent"] }, "webhook_url_invalid"],
    ["credentials in the url", { url: "https://user:pw@203.0.113.10/x", events: ["lesson.sent"] }, "webhook_url_invalid"],
    ["no events", { url: PUBLIC_URL, events: [] }, "webhook_events_required"],
    ["events that are not a list", { url: PUBLIC_URL, events: "lesson.sent" }, "webhook_events_invalid"],
    ["an unknown event", { url: PUBLIC_URL, events: ["lesson.sent", "lesson.opened"] }, "webhook_event_unknown"],
  ])("refuses %s with a 4xx that says what is wrong, and stores nothing", async (_what, body, code) => {
    const res = await call(app, "POST", "", body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await res.json()).toMatchObject({ error: { code } });
    expect(await t.db.selectFrom("webhook_endpoints").select("id").execute()).toEqual([]);
  });

  it("answers a body that is not JSON with a 400", async () => {
    const res = await call(app, "POST", "", "{nope");
    expect(res.status).toBe(400);
  });

  it.each(["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.1.5/", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[fe80::1]/hook", "http://[fd00::5]/", "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/"])(
    "refuses the private target %s unless WEBHOOKS_ALLOW_PRIVATE_TARGETS is set",
    async (url) => {
      const refused = await call(app, "POST", "", { url, events: ["lesson.sent"] });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ error: { code: "webhook_target_private" } });
      const allowing = appFor(t, { adminToken: ADMIN, webhooksAllowPrivateTargets: true });
      expect((await call(allowing, "POST", "", { url, events: ["lesson.sent"] })).status).toBe(201);
    },
  );
});

describe("the other /admin/api/webhooks endpoints", () => {
  async function register(): Promise<string> {
    const res = await call(app, "POST", "", { url: PUBLIC_URL, events: ["subscriber.created"] });
    return ((await res.json()) as { id: string }).id;
  }

  it("updates url, events and enabled, refusing a private url or an unknown event, and deletes", async () => {
    const id = await register();
    const changed = await call(app, "PATCH", `/${id}`, { events: ["subscriber.created", "course.completed"], enabled: false });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ id, events: ["subscriber.created", "course.completed"], enabled: false, disabledReason: "disabled by an admin" });
    expect((await call(app, "PATCH", `/${id}`, { url: "http://127.0.0.1/x" })).status).toBe(422);
    expect((await call(app, "PATCH", `/${id}`, { events: ["nope"] })).status).toBe(422);
    expect((await call(app, "PATCH", `/${id}`, { enabled: "yes" })).status).toBe(422);
    expect(await (await call(app, "PATCH", `/${id}`, { enabled: true })).json()).toMatchObject({ enabled: true, disabledReason: null });
    expect((await call(app, "DELETE", `/${id}`)).status).toBe(200);
    expect((await call(app, "GET", `/${id}`)).status).toBe(404);
    expect((await call(app, "DELETE", `/${id}`)).status).toBe(404);
    expect((await call(app, "PATCH", `/${id}`, { enabled: true })).status).toBe(404);
  });

  it("records a signup as subscriber.created for a subscribed endpoint, a test event for the one tested, and a replay puts a delivery back in line", async () => {
    const id = await register();
    await t.app.request("/subscribe", form({ email: "ann@example.com", name: "Ann" }));
    // A second signup of the same address is not a second reader.
    await t.app.request("/subscribe", form({ email: "ann@example.com", name: "Ann" }));
    const test = await call(app, "POST", `/${id}/test`);
    expect(test.status).toBe(202);
    const log = (await (await call(app, "GET", `/${id}/deliveries`)).json()) as { items: { id: string; type: string; status: string }[] };
    expect(log.items.map((d) => d.type)).toEqual(["webhook.test", "subscriber.created"]);
    expect(log.items.every((d) => d.status === "pending")).toBe(true);
    const event = await t.db.selectFrom("outgoing_events").selectAll().where("type", "=", "subscriber.created").executeTakeFirstOrThrow();
    expect(JSON.parse(event.data)).toMatchObject({ email: "ann@example.com", course: t.course.slug });

    await t.db.updateTable("webhook_deliveries").set({ status: "failed", attempts: 8 }).execute();
    expect((await call(app, "POST", `/deliveries/${log.items[1]!.id}/replay`)).status).toBe(202);
    const replayed = await t.db.selectFrom("webhook_deliveries").selectAll().where("id", "=", log.items[1]!.id).executeTakeFirstOrThrow();
    expect(replayed).toMatchObject({ status: "pending", enqueued_at: null });
    expect((await call(app, "POST", "/deliveries/no-such-delivery/replay")).status).toBe(404);
    expect((await call(app, "POST", "/no-such-endpoint/test")).status).toBe(404);
    expect((await call(app, "GET", "/deliveries?limit=0")).status).toBe(422);
  });

  it("an import raises subscriber.created and enrollment.started for each new reader, in that order, and nothing for a line that added no one", async () => {
    const res = await call(app, "POST", "", { url: PUBLIC_URL, events: ["subscriber.created", "enrollment.started"] });
    expect(res.status).toBe(201);
    const csv = "email,name\nann@example.com,Ann\nbob@example.com,Bob\nANN@example.com,Ann again\n";
    const imported = await app.request(`/admin/api/import?course=${t.course.slug}&source=${encodeURIComponent("Workshop sign-up sheet")}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/csv" },
      body: csv,
    });
    expect(imported.status).toBe(200);
    const events = await t.db.selectFrom("outgoing_events").select(["type", "data", "subscriber_id"]).orderBy("seq").execute();
    const readers = await t.db.selectFrom("subscribers").select(["id", "email"]).execute();
    expect(readers).toHaveLength(2);
    for (const reader of readers) {
      const theirs = events.filter((e) => e.subscriber_id === reader.id);
      expect(theirs.map((e) => e.type)).toEqual(["subscriber.created", "enrollment.started"]);
      expect(JSON.parse(theirs[0]!.data)).toMatchObject({ email: reader.email, course: t.course.slug, source: "import" });
      const enrollment = await t.db.selectFrom("enrollments").select("id").where("subscriber_id", "=", reader.id).executeTakeFirstOrThrow();
      expect(JSON.parse(theirs[1]!.data)).toMatchObject({ course: t.course.slug, enrollmentId: enrollment.id });
    }
    expect(events).toHaveLength(4);
  });

  it("erasure: the reader's address leaves every recorded event, and subscriber.deleted carries the id alone", async () => {
    await call(app, "POST", "", { url: PUBLIC_URL, events: ["subscriber.created", "subscriber.deleted"] });
    await t.app.request("/subscribe", form({ email: "bea@example.com", name: "Bea" }));
    const reader = await t.db.selectFrom("subscribers").select("id").where("email", "=", "bea@example.com").executeTakeFirstOrThrow();
    expect((await app.request(`/admin/api/subscribers/${reader.id}`, { method: "DELETE", headers })).status).toBe(200);
    const events = await t.db.selectFrom("outgoing_events").select(["type", "data"]).orderBy("seq").execute();
    expect(events.map((e) => e.type)).toEqual(["subscriber.created", "subscriber.deleted"]);
    for (const e of events) {
      expect(e.data).not.toContain("bea@");
      expect(JSON.parse(e.data)).toMatchObject({ subscriberId: reader.id });
    }
    expect(await t.db.selectFrom("webhook_deliveries").select("status").execute()).toHaveLength(2);
  });
});

describe("private addresses", () => {
  it.each(["127.0.0.1", "10.0.0.1", "172.16.4.4", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:7f00:1", "64:ff9b::a9fe:a9fe", "ff02::1", "192.0.2.1", "2001:db8::1", "::a00:1", "[::1]", "not-an-address"])("%s is private", (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });
  it.each(["203.0.113.10", "8.8.8.8", "192.0.32.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001:82b::200e"])("%s is public", (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});

describe("the console's webhooks page", () => {
  const page = (target: typeof app, path: string, fields?: Record<string, string | string[]>) => {
    if (!fields) return target.request(`/admin/webhooks${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return target.request(`/admin/webhooks${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" }, body });
  };

  it("adds an endpoint and shows its secret once, refuses a private target with the reason, tests and deletes", async () => {
    const added = await page(app, "", { url: PUBLIC_URL, events: ["lesson.sent", "course.completed"] });
    expect(added.status).toBe(201);
    const html = await added.text();
    const secret = /data-secret="">(whsec_[^<]+)</.exec(html)?.[1];
    expect(secret).toBeDefined();
    const listed = await (await page(app, "")).text();
    expect(listed).toContain(PUBLIC_URL);
    expect(listed).not.toContain(secret!);

    const refused = await page(app, "", { url: "http://127.0.0.1/x", events: ["lesson.sent"] });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain("WEBHOOKS_ALLOW_PRIVATE_TARGETS");

    const [endpoint] = await t.db.selectFrom("webhook_endpoints").select("id").execute();
    const tested = await page(app, `/${endpoint!.id}/test`, {});
    expect(tested.status).toBe(303);
    expect(await (await page(app, "?notice=tested")).text()).toContain("webhook.test");
    expect((await page(app, `/${endpoint!.id}/delete`, {})).status).toBe(303);
    expect(await t.db.selectFrom("webhook_endpoints").select("id").execute()).toEqual([]);
  });
});

describe("the facts that raise events", () => {
  const RESEND_SECRET = `whsec_${Buffer.from("lessonpost-webhook-test-secret-0123").toString("base64")}`;

  it("a reader's signup, confirmation, a provider's delivered event (once, however often replayed) and an admin's unsubscribe each record their event, in that order", async () => {
    const { Webhook } = await import("standardwebhooks");
    const { confirmToken } = await import("../../src/tokens.ts");
    const full = appFor(t, { adminToken: ADMIN, webhookSecret: RESEND_SECRET });
    await call(full, "POST", "", { url: PUBLIC_URL, events: ["subscriber.created", "subscriber.confirmed", "enrollment.started", "email.delivered", "subscriber.unsubscribed"] });
    await full.request("/subscribe", form({ email: "cy@example.com", name: "Cy" }));
    const reader = await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow();
    expect((await full.request(`/confirm/${await confirmToken(TEST_SECRET, reader.id, t.clock.now)}`, { method: "POST", headers: { origin: "http://localhost" } })).status).toBe(200);
    const lesson = await t.db.selectFrom("sends").select(["id", "lesson_slug"]).where("kind", "=", "lesson").executeTakeFirstOrThrow();
    await t.db.updateTable("sends").set({ status: "sent", provider_id: "re_email_1", sent_at: t.clock.now }).where("id", "=", lesson.id).execute();
    const body = JSON.stringify({ type: "email.delivered", created_at: new Date(t.clock.now).toISOString(), data: { email_id: "re_email_1", to: ["cy@example.com"] } });
    for (let i = 0; i < 2; i++) {
      const at = new Date();
      const res = await full.request("/webhooks/resend", {
        method: "POST",
        headers: { "content-type": "application/json", "svix-id": "msg_delivered_1", "svix-timestamp": String(Math.floor(at.getTime() / 1000)), "svix-signature": new Webhook(RESEND_SECRET).sign("msg_delivered_1", at, body) },
        body,
      });
      expect(res.status).toBe(200);
    }
    expect((await full.request(`/admin/api/subscribers/${reader.id}/unsubscribe`, { method: "POST", headers, body: "{}" })).status).toBe(200);

    const events = await t.db.selectFrom("outgoing_events").select(["type", "data"]).orderBy("seq").execute();
    expect(events.map((e) => e.type)).toEqual(["subscriber.created", "subscriber.confirmed", "enrollment.started", "email.delivered", "subscriber.unsubscribed"]);
    for (const e of events) expect(JSON.parse(e.data)).toMatchObject({ subscriberId: reader.id, email: "cy@example.com" });
    expect(JSON.parse(events[2]!.data)).toMatchObject({ course: t.course.slug });
    expect(JSON.parse(events[3]!.data)).toMatchObject({ course: t.course.slug, lesson: lesson.lesson_slug, sendId: lesson.id });
    expect(JSON.parse(events[4]!.data)).toMatchObject({ scope: "all", how: "admin" });
    expect(await t.db.selectFrom("webhook_deliveries").select("id").execute()).toHaveLength(5);
  });
});

describe("events raised by the guard", () => {
  it("the complaint-rate guard's pause raises sending.paused once, with the rate it paused at", async () => {
    const { checkComplaintRate } = await import("../../src/commands/sending-guard.ts");
    const { queuedSend } = await import("../../src/store/sends.ts");
    await call(app, "POST", "", { url: PUBLIC_URL, events: ["sending.paused"] });
    await t.app.request("/subscribe", form({ email: "dee@example.com", name: "Dee" }));
    const reader = await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow();
    const now = t.clock.now;
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      ...queuedSend({ dedupeKey: `seed:${i}`, kind: "lesson", subscriberId: reader.id, lessonSlug: t.course.lessons[0]!.slug }, now - 3600_000),
      status: "sent" as const,
      sent_at: now - 3600_000,
      delivered_at: now - 3500_000,
      complained_at: i < 3 ? now - 3400_000 : null,
    }));
    for (let i = 0; i < rows.length; i += 250) await t.db.insertInto("sends").values(rows.slice(i, i + 250)).execute();
    const services = { db: t.db, log: silentLogger, now: () => now };
    expect((await checkComplaintRate(services)).pausedNow).toBe(true);
    await checkComplaintRate(services);
    const events = await t.db.selectFrom("outgoing_events").select(["type", "data", "subscriber_id"]).execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "sending.paused", subscriber_id: null });
    expect(JSON.parse(events[0]!.data)).toMatchObject({ reason: "complaint_rate", complaints: 3, delivered: 1000 });
  });
});
