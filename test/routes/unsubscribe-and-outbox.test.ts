import { catalogueOf } from "../../src/content/catalogue.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { createOutbox } from "../../src/send/outbox.ts";
import { confirmToken, unsubscribeToken } from "../../src/tokens.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

describe("unsubscribe", () => {
  let t: TestApp;
  let subscriberId: string;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.app.request("/subscribe", form({ email: "leaver@example.com" }));
    subscriberId = (await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
    await t.app.request(`/confirm/${await confirmToken(TEST_SECRET, subscriberId, t.clock.now)}`, form());
  });
  afterEach(async () => {
    await t.close();
  });
  const status = async () => (await t.db.selectFrom("subscribers").select("status").executeTakeFirstOrThrow()).status;

  it("GET shows a button and changes nothing", async () => {
    const token = await unsubscribeToken(TEST_SECRET, subscriberId);
    const res = await t.app.request(`/unsubscribe/${token}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<form class="card" method="post" action="/unsubscribe/${token}">`);
    expect(await status()).toBe("active");
  });

  it("the one-click POST, sent as Gmail sends it, answers 200 with an empty body, every time", async () => {
    const token = await unsubscribeToken(TEST_SECRET, subscriberId);
    for (let i = 0; i < 2; i++) {
      const res = await t.app.request(`/unsubscribe/${token}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("");
    }
    expect(await status()).toBe("unsubscribed");
    const event = await t.db.selectFrom("consent_events").selectAll().where("kind", "=", "unsubscribe").execute();
    expect(event).toHaveLength(1);
    expect(JSON.parse(event[0]!.detail!)).toEqual({ how: "one-click", scope: "all" });
  });

  it("the page's button unsubscribes and cancels queued email", async () => {
    await t.db.insertInto("sends").values({
      id: "queued-one", dedupe_key: "lesson:x:later", kind: "lesson", subscriber_id: subscriberId, enrollment_id: null, lesson_slug: "later",
      status: "queued", provider_id: null, error: null, enqueued_at: null, sent_at: null, created_at: 1, updated_at: 1,
    }).execute();
    const res = await t.app.request(`/unsubscribe/${await unsubscribeToken(TEST_SECRET, subscriberId)}`, form());
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("You&#39;re unsubscribed");
    expect(page).toContain("/undo");
    expect(await status()).toBe("unsubscribed");
    const queued = await t.db.selectFrom("sends").select(["status", "error"]).where("id", "=", "queued-one").executeTakeFirstOrThrow();
    expect(queued).toEqual({ status: "cancelled", error: "unsubscribed" });
  });

  it("refuses a forged token", async () => {
    const res = await t.app.request(`/unsubscribe/${await confirmToken(TEST_SECRET, subscriberId)}`, form({ "List-Unsubscribe": "One-Click" }));
    expect(res.status).toBe(400);
    expect(await status()).toBe("active");
  });
});

describe("outbox and health", () => {
  let dir: string;
  let t: TestApp;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "outbox-"));
    t = await makeTestApp();
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const appWith = async (outbox: ReturnType<typeof createOutbox> | undefined) =>
    createApp({ db: t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://x.test", secretKey: TEST_SECRET, outbox });

  it("exists only when there is no provider key", async () => {
    const withoutOutbox = await appWith(undefined);
    expect((await withoutOutbox.request("/outbox")).status).toBe(404);
  });

  it("lists and shows emails, escaping what they contain, and sends each idempotency key once", async () => {
    const outbox = createOutbox(dir);
    const email = { from: "a@x.test", to: "b@x.test", subject: "<b>Hello</b>", html: "<p>hi</p>", text: "hi", headers: { "List-Unsubscribe": "<http://x.test/u>" }, idempotencyKey: "key-1" };
    const first = await outbox.send(email);
    const again = await outbox.send({ ...email, subject: "changed" });
    expect(again.id).toBe(first.id);
    const app = await appWith(outbox);
    const list = await (await app.request("/outbox")).text();
    expect(list).toContain("&lt;b&gt;Hello&lt;/b&gt;");
    expect(list.match(/href="\/outbox\/key-1"/g)).toHaveLength(1);
    expect((await app.request("/outbox/key-1")).status).toBe(200);
    expect((await app.request("/outbox/..%2F..%2Fetc%2Fpasswd")).status).toBe(404);
  });

  it("healthz reports the database and each probe, and 503 when one fails", async () => {
    const app = createApp({
      db: t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://x.test", secretKey: TEST_SECRET,
      probes: { redis: async () => { throw new Error("connection refused"); } },
    });
    const res = await app.request("/healthz");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, checks: { database: "ok", redis: "connection refused" } });
  });
});
