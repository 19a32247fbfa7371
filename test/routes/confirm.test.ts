import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIRM_TOKEN_TTL_SECONDS, confirmToken, signToken, unsubscribeToken } from "../../src/tokens.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

let t: TestApp;
let subscriberId: string;
beforeEach(async () => {
  t = await makeTestApp();
  await t.app.request("/subscribe", form({ email: "reader@example.com" }));
  subscriberId = (await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
});
afterEach(async () => {
  await t.close();
});

const status = async () => (await t.db.selectFrom("subscribers").select("status").executeTakeFirstOrThrow()).status;
const snapshot = async () => ({
  subscribers: await t.db.selectFrom("subscribers").selectAll().execute(),
  enrollments: await t.db.selectFrom("enrollments").selectAll().execute(),
  sends: await t.db.selectFrom("sends").selectAll().execute(),
  consent: await t.db.selectFrom("consent_events").selectAll().execute(),
});

describe("confirmation link", () => {
  it("GET shows one Confirm button and changes nothing, however often it is fetched", async () => {
    const token = await confirmToken(TEST_SECRET, subscriberId, t.clock.now);
    const before = await snapshot();
    for (let i = 0; i < 3; i++) {
      const res = await t.app.request(`/confirm/${token}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html.match(/<button/g)).toHaveLength(1);
      expect(html).toContain(`<form class="card" method="post" action="/confirm/${token}">`);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("GET loads the self-submitting script as a same-origin asset, never inline, and a plain fetch still confirms no one", async () => {
    const token = await confirmToken(TEST_SECRET, subscriberId, t.clock.now);
    const before = await snapshot();
    const res = await t.app.request(`/confirm/${token}`);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    const src = /src="([^"]+)"/.exec(scripts[0]![1]!)?.[1];
    expect(src).toMatch(/^\/assets\/confirm\.[a-z0-9]+\.js$/);
    expect(scripts[0]![2]).toBe("");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self';");
    const script = await t.app.request(src!);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(await script.text()).toContain("form.submit()");
    expect(await snapshot()).toEqual(before);
    expect(await status()).toBe("pending");
  });

  it("POST confirms, enrolls, and queues lesson 1 at once", async () => {
    const token = await confirmToken(TEST_SECRET, subscriberId, t.clock.now);
    // The reader opens the link a minute after signing up, so the consent records have an order.
    t.clock.now += 60_000;
    const res = await t.app.request(`/confirm/${token}`, form());
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`<strong>${t.course.name}</strong>`);
    expect(page).toContain("is on its way to your inbox");
    // When lesson 2 comes, said in the reader's own zone (the course default here).
    expect(page).toMatch(new RegExp(`comes on <time datetime="[^"]+">\\w+day \\d+ \\w+ at \\d\\d:\\d\\d \\(${t.course.schedule.timezone}\\)</time>`));
    expect(await status()).toBe("active");
    const enrollment = await t.db.selectFrom("enrollments").selectAll().executeTakeFirstOrThrow();
    expect(enrollment).toMatchObject({ subscriber_id: subscriberId, status: "active", last_day: 0 });
    const lesson = await t.db.selectFrom("sends").selectAll().where("kind", "=", "lesson").executeTakeFirstOrThrow();
    expect(lesson.dedupe_key).toBe(`lesson:${enrollment.id}:${lesson.lesson_slug}`);
    expect(lesson.enqueued_at).not.toBeNull();
    expect(t.dispatcher.sends.filter((id) => id === lesson.id)).toHaveLength(1);
    const kinds = (await t.db.selectFrom("consent_events").select("kind").orderBy("at").execute()).map((e) => e.kind);
    expect(kinds).toEqual(["opt_in", "confirm"]);
  });

  it("a second POST is harmless: no second lesson", async () => {
    const token = await confirmToken(TEST_SECRET, subscriberId, t.clock.now);
    await t.app.request(`/confirm/${token}`, form());
    const again = await t.app.request(`/confirm/${token}`, form());
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("already confirmed");
    expect(await t.db.selectFrom("sends").selectAll().where("kind", "=", "lesson").execute()).toHaveLength(1);
  });

  it("refuses a forged token with a clear page and changes nothing", async () => {
    const forged = await signToken("some-other-secret-of-sufficient-length!!", { purpose: "confirm", subject: subscriberId, expiresAt: 0 });
    for (const init of [{}, form()]) {
      const res = await t.app.request(`/confirm/${forged}`, init);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain("<h1>Link not valid</h1>");
      expect(html).toContain("sign up again");
    }
    expect(await status()).toBe("pending");
  });

  it("refuses an unsubscribe token used as a confirm token", async () => {
    const res = await t.app.request(`/confirm/${await unsubscribeToken(TEST_SECRET, subscriberId)}`, form());
    expect(res.status).toBe(400);
    expect(await status()).toBe("pending");
  });

  it("refuses an expired token with a page that says it expired", async () => {
    const token = await confirmToken(TEST_SECRET, subscriberId, t.clock.now);
    t.clock.now += (CONFIRM_TOKEN_TTL_SECONDS + 60) * 1000;
    const res = await t.app.request(`/confirm/${token}`, form());
    expect(res.status).toBe(410);
    expect(await res.text()).toContain("expired");
    expect(await status()).toBe("pending");
  });

  it("answers garbage tokens with 400, never 500", async () => {
    for (const token of ["x", "....", "%F0%9F%92%A9", "a".repeat(600), "YQ.YQ"]) {
      const res = await t.app.request(`/confirm/${token}`, form());
      expect(res.status).toBe(400);
    }
  });
});
