import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIRMATION_WINDOW_MS } from "../../src/store/subscribers.ts";
import { form, json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => {
  await t.close();
});

const confirmations = () => t.db.selectFrom("sends").selectAll().where("kind", "=", "confirm").execute();

describe("GET /", () => {
  it("is an accessible signup form that presents the course", async () => {
    const res = await t.app.request("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form class="card" method="post" action="/subscribe"');
    expect(html).toMatch(/<label for="email">[^<]+<\/label>\s*<input id="email" name="email" type="email" required/);
    expect(html).toContain('<label for="name">');
    expect(html).toContain('<input type="hidden" name="timezone"');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain("Couples Therapy");
    expect(html).toContain("Dr. Keren Sofer");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });
});

describe("POST /subscribe", () => {
  it("stores the signup with its consent record and queues one confirmation", async () => {
    const res = await t.app.request("/subscribe", form({ email: "New@Example.com", name: "Ann", timezone: "Asia/Tokyo" }, { "user-agent": "TestBrowser/1" }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your inbox");
    const subscriber = await t.db.selectFrom("subscribers").selectAll().executeTakeFirstOrThrow();
    expect(subscriber).toMatchObject({ email: "New@example.com", name: "Ann", timezone: "Asia/Tokyo", status: "pending", consent_ip: "203.0.113.7", consent_user_agent: "TestBrowser/1", consent_form: "signup-page" });
    expect(subscriber.consent_text_version).toMatch(/\S/);
    const sends = await confirmations();
    expect(sends).toHaveLength(1);
    expect(sends[0]!.enqueued_at).not.toBeNull();
    expect(t.dispatcher.sends).toEqual([sends[0]!.id]);
  });

  it("with the queue down, still thanks the reader and leaves the confirmation in the ledger for the tick", async () => {
    t.dispatcher.fail();
    const res = await t.app.request("/subscribe", form({ email: "patient@example.com" }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your inbox");
    const sends = await confirmations();
    expect(sends).toHaveLength(1);
    // The row was born marked as handed over; the refused hand-over clears the mark so the next tick offers it.
    expect(sends[0]!.enqueued_at).toBeNull();
    expect(t.dispatcher.sends).toEqual([]);
  });

  it("answers JSON with 202 and never reveals whether the address was known", async () => {
    const first = await t.app.request("/subscribe", json({ email: "known@example.com" }));
    const again = await t.app.request("/subscribe", json({ email: "known@example.com" }));
    const stranger = await t.app.request("/subscribe", json({ email: "stranger@example.com" }));
    expect([first.status, again.status, stranger.status]).toEqual([202, 202, 202]);
    const bodies = await Promise.all([first.text(), again.text(), stranger.text()]);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
  });

  it("gives a repeated signup the identical page and sends no second email within the window", async () => {
    const a = await t.app.request("/subscribe", form({ email: "twice@example.com" }));
    t.clock.now += CONFIRMATION_WINDOW_MS - 1000;
    const b = await t.app.request("/subscribe", form({ email: "twice@example.com" }));
    expect(await b.text()).toBe(await a.text());
    expect(await confirmations()).toHaveLength(1);
    t.clock.now += 2000;
    await t.app.request("/subscribe", form({ email: "twice@example.com" }));
    expect(await confirmations()).toHaveLength(2);
  });

  it("sends nothing to an address that already confirmed", async () => {
    await t.app.request("/subscribe", form({ email: "active@example.com" }));
    await t.db.updateTable("subscribers").set({ status: "active" }).execute();
    t.clock.now += CONFIRMATION_WINDOW_MS * 2;
    const res = await t.app.request("/subscribe", form({ email: "active@example.com" }));
    expect(res.status).toBe(200);
    expect(await confirmations()).toHaveLength(1);
  });

  it("refuses an invalid address with a 422 page that says why and keeps what was typed", async () => {
    const res = await t.app.request("/subscribe", form({ email: "not-an-email", name: "Ann" }));
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("doesn&#39;t look like an email address");
    expect(html).toContain('role="alert"');
    expect(html).toContain('value="not-an-email"');
    expect(await t.db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
  });

  it("refuses an invalid address with a 422 JSON error naming the field", async () => {
    const res = await t.app.request("/subscribe", json({ email: "nope" }));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: { code: "invalid_input", field: "email", message: expect.stringContaining("email address") } });
  });

  it("answers malformed JSON with a 400, not a crash", async () => {
    const res = await t.app.request("/subscribe", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "bad_body", message: expect.any(String) } });
  });

  it("falls back to the course time zone when the browser sent nonsense", async () => {
    await t.app.request("/subscribe", form({ email: "tz@example.com", timezone: "Not/AZone" }));
    const row = await t.db.selectFrom("subscribers").select("timezone").executeTakeFirstOrThrow();
    expect(row.timezone).toBe("UTC");
  });

  it("pretends to accept a bot that filled the honeypot, and stores nothing", async () => {
    const res = await t.app.request("/subscribe", form({ email: "bot@example.com", website: "http://spam.example" }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your inbox");
    expect(await t.db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
  });

  it("refuses a form posted from another site, and stores nothing", async () => {
    const attempts: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site", origin: "https://evil.example" }];
    for (const headers of attempts) {
      const res = await t.app.request("/subscribe", form({ email: "csrf@example.com" }, headers));
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("sent from another site");
    }
    const bare = await t.app.request("/subscribe", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "email=csrf%40example.com" });
    expect(bare.status).toBe(403);
    expect(await t.db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
    const sameSite = await t.app.request("/subscribe", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" }, body: "email=csrf%40example.com" });
    expect(sameSite.status).toBe(200);
  });

  it("refuses an oversized body with 413", async () => {
    const res = await t.app.request("/subscribe", form({ email: "big@example.com", name: "x".repeat(100_000) }));
    expect(res.status).toBe(413);
  });
});
