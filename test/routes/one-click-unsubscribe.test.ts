import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { createLogger } from "../../src/log.ts";
import { confirmToken, undoToken, unsubscribeToken } from "../../src/tokens.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * RFC 8058 one-click unsubscribe as receivers really send it: §3.1 prefers multipart/form-data,
 * urlencoded is allowed, media types are case-insensitive, and there is never a cookie or an Origin.
 */
describe.each(ENGINES)("one-click unsubscribe (%s)", (engine) => {
  let t: TestApp;
  let app: ReturnType<typeof createApp>;
  let lines: string[];
  let subscriberId: string;
  let token: string;

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    lines = [];
    app = createApp({
      db: t.db,
      catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
      log: createLogger("debug", (line) => lines.push(line)),
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      dispatcher: t.dispatcher,
      clientIp: () => "203.0.113.7",
      now: () => t.clock.now,
    });
    await app.request("/subscribe", form({ email: "leaver@example.com", name: "Lee" }));
    subscriberId = (await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
    expect((await app.request(`/confirm/${await confirmToken(TEST_SECRET, subscriberId, t.clock.now)}`, form())).status).toBe(200);
    token = await unsubscribeToken(TEST_SECRET, subscriberId);
    const enrollment = await t.db.selectFrom("enrollments").select("id").executeTakeFirstOrThrow();
    await t.db.insertInto("sends").values({
      id: "queued-later", dedupe_key: `lesson:${enrollment.id}:later`, kind: "lesson", subscriber_id: subscriberId, enrollment_id: enrollment.id, lesson_slug: "later",
      status: "queued", provider_id: null, error: null, enqueued_at: null, sent_at: null, created_at: 1, updated_at: 1,
    }).execute();
  });
  afterEach(async () => {
    await t.close();
  });

  const status = async () => (await t.db.selectFrom("subscribers").select("status").where("id", "=", subscriberId).executeTakeFirstOrThrow()).status;
  const queued = async () => (await t.db.selectFrom("sends").select(["status", "error"]).where("id", "=", "queued-later").executeTakeFirstOrThrow());

  async function expectUnsubscribedAtOnce(response: Response) {
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("location")).toBeNull();
    expect(await status()).toBe("unsubscribed");
    expect(await queued()).toEqual({ status: "cancelled", error: "unsubscribed" });
    const how = await t.db.selectFrom("consent_events").select("detail").where("subscriber_id", "=", subscriberId).where("kind", "=", "unsubscribe").execute();
    expect(how.map((e) => JSON.parse(e.detail!))).toEqual([{ how: "one-click", scope: "all" }]);
  }

  it("accepts a real multipart/form-data body with no cookies and no Origin", async () => {
    const body = new FormData();
    body.append("List-Unsubscribe", "One-Click");
    const request = new Request(`https://lessons.example.test/unsubscribe/${token}`, { method: "POST", body });
    expect(request.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.headers.get("origin")).toBeNull();
    await expectUnsubscribedAtOnce(await app.request(request));
  });

  it("accepts a urlencoded body with no cookies and no Origin", async () => {
    await expectUnsubscribedAtOnce(await app.request(`/unsubscribe/${token}`, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) }));
  });

  it("reads the media type case-insensitively", async () => {
    const response = await app.request(`/unsubscribe/${token}`, { method: "POST", headers: { "content-type": "Application/X-WWW-Form-Urlencoded" }, body: "List-Unsubscribe=One-Click" });
    await expectUnsubscribedAtOnce(response);
  });

  it("accepts a multipart body with an upper-case media type too", async () => {
    const boundary = "----lessonpostBoundary42";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    await expectUnsubscribedAtOnce(await app.request(`/unsubscribe/${token}`, { method: "POST", headers: { "content-type": `Multipart/Form-Data; boundary=${boundary}` }, body }));
  });

  it("gives /undo no exemption: a foreign site cannot re-subscribe a reader", async () => {
    await expectUnsubscribedAtOnce(await app.request(`/unsubscribe/${token}`, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) }));
    // Even with a valid undo token (the kind our own unsubscribe page carries), a foreign POST is refused.
    const undo = await undoToken(TEST_SECRET, subscriberId, t.clock.now);
    const foreign = await app.request(`/unsubscribe/${undo}/undo`, { method: "POST", headers: { origin: "https://evil.example" }, body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) });
    expect(foreign.status).toBe(403);
    const multipart = new FormData();
    multipart.append("List-Unsubscribe", "One-Click");
    expect((await app.request(`/unsubscribe/${undo}/undo`, { method: "POST", body: multipart })).status).toBe(403);
    expect(await status()).toBe("unsubscribed");
    // From our own page, undo still works.
    expect((await app.request(`/unsubscribe/${undo}/undo`, form())).status).toBe(200);
    expect(await status()).toBe("active");
  });

  it("logs a refused unsubscribe POST without the token", async () => {
    const crossSite = await app.request(`/unsubscribe/${token}`, form({ scope: "all" }, { origin: "https://evil.example" }));
    expect(crossSite.status).toBe(403);
    const forged = await app.request(`/unsubscribe/${token.slice(0, -4)}AAAA`, { method: "POST", body: new URLSearchParams({ "List-Unsubscribe": "One-Click" }) });
    expect(forged.status).toBe(400);
    expect(await status()).toBe("active");
    const refusals = lines.filter((line) => line.includes("unsubscribe refused"));
    expect(refusals).toHaveLength(2);
    const tokenBody = token.split(".")[0]!;
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(tokenBody);
    }
  });
});
