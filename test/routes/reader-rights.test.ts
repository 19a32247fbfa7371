import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import { emailHash, suppress } from "../../src/store/suppressions.ts";
import { composeEmail } from "../../src/render/compose.ts";
import { confirmToken, preferencesToken, unsubscribeToken, verifyToken } from "../../src/tokens.ts";
import { form, json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

let t: TestApp;
let subscriberId: string;
let token: string;
/** The footer's preferences link token, as the latest email carried it. */
let prefs: string;

async function signUpAndConfirm(email: string): Promise<string> {
  await t.app.request("/subscribe", form({ email, name: "Robin" }));
  const id = (await t.db.selectFrom("subscribers").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
  const res = await t.app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form());
  expect(res.status).toBe(200);
  return id;
}

beforeEach(async () => {
  t = await makeTestApp();
  subscriberId = await signUpAndConfirm("reader@example.com");
  token = await unsubscribeToken(TEST_SECRET, subscriberId);
  prefs = await preferencesToken(TEST_SECRET, subscriberId, t.clock.now);
});
afterEach(async () => {
  await t.close();
});

const subscriber = () => t.db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirst();
const enrollment = () => t.db.selectFrom("enrollments").selectAll().where("subscriber_id", "=", subscriberId).executeTakeFirstOrThrow();
const consentKinds = async () => (await t.db.selectFrom("consent_events").select(["kind", "detail"]).where("subscriber_id", "=", subscriberId).orderBy("at").execute()).map((e) => e.kind);

async function queueLesson(): Promise<string> {
  const e = await enrollment();
  await t.db.insertInto("sends").values({
    id: "queued-lesson", dedupe_key: `lesson:${e.id}:later`, kind: "lesson", subscriber_id: subscriberId, enrollment_id: e.id, lesson_slug: "later",
    status: "queued", provider_id: null, error: null, enqueued_at: null, sent_at: null, created_at: 1, updated_at: 1,
  }).execute();
  return "queued-lesson";
}
const sendStatus = async (id: string) => (await t.db.selectFrom("sends").select(["status", "error"]).where("id", "=", id).executeTakeFirstOrThrow());

describe("unsubscribe choices", () => {
  it("the page offers 'stop this course' and 'stop all email', and showing it changes nothing", async () => {
    const before = await subscriber();
    const res = await t.app.request(`/unsubscribe/${token}`);
    const html = await res.text();
    expect(html).toContain('name="scope" value="course"');
    expect(html).toContain('name="scope" value="all"');
    // The unsubscribe link may show the choices, and nothing more: no way from here into the reader's data.
    expect(html).not.toContain(`/preferences/${token}`);
    expect(html).toContain('href="/preferences/new-link"');
    expect(await subscriber()).toEqual(before);
  });

  it("'stop this course' ends the lessons but keeps the reader subscribed", async () => {
    const lesson = await queueLesson();
    const res = await t.app.request(`/unsubscribe/${token}`, form({ scope: "course" }));
    expect(res.status).toBe(200);
    expect((await subscriber())!.status).toBe("active");
    expect((await enrollment()).status).toBe("cancelled");
    expect(await sendStatus(lesson)).toEqual({ status: "cancelled", error: "stopped course" });
    expect(await consentKinds()).toEqual(["opt_in", "confirm", "unsubscribe"]);
  });

  it("'stop all email' then undo: back where they were, with the cancelled lesson queued again", async () => {
    const lesson = await queueLesson();
    const page = await (await t.app.request(`/unsubscribe/${token}`, form({ scope: "all" }))).text();
    expect((await subscriber())!.status).toBe("unsubscribed");
    expect(await sendStatus(lesson)).toEqual({ status: "cancelled", error: "unsubscribed" });
    const undoAction = /action="(\/unsubscribe\/[^"]+\/undo)"/.exec(page)?.[1];
    expect(undoAction).toBeDefined();
    expect(undoAction).not.toBe(`/unsubscribe/${token}/undo`);
    const undo = await t.app.request(undoAction!, form());
    expect(undo.status).toBe(200);
    expect(await undo.text()).toContain("Welcome back");
    expect((await subscriber())!.status).toBe("active");
    expect((await enrollment()).status).toBe("active");
    expect(await sendStatus(lesson)).toEqual({ status: "queued", error: null });
    expect(await consentKinds()).toEqual(["opt_in", "confirm", "unsubscribe", "resubscribe"]);
  });

  it("one-click, exactly as Gmail sends it (form body, no cookies, no Origin), takes effect at once", async () => {
    const get = await t.app.request(`/unsubscribe/${token}`, { headers: { "user-agent": "Mozilla/5.0 link-scanner" } });
    expect(get.status).toBe(200);
    expect((await subscriber())!.status).toBe("active");
    const res = await t.app.request(`/unsubscribe/${token}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect((await subscriber())!.status).toBe("unsubscribed");
  });

  it("a cross-site form post to the unsubscribe page is refused (only the one-click body is exempt)", async () => {
    const res = await t.app.request(`/unsubscribe/${token}`, form({ scope: "all" }, { origin: "https://evil.example" }));
    expect(res.status).toBe(403);
    expect((await subscriber())!.status).toBe("active");
  });
});

describe("preferences", () => {
  it("shows the reader their settings from the footer link", async () => {
    const res = await t.app.request(`/preferences/${prefs}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("reader@example.com");
    expect(html).toContain("Pause for a week");
    expect(html).toContain('<option value="Europe/Paris"');
    expect(html).toContain(`/preferences/${prefs}/data.json`);
    expect((await t.app.request("/preferences/not-a-token")).status).toBe(400);
  });

  it("pauses lessons for a week and resumes them", async () => {
    const paused = await t.app.request(`/preferences/${prefs}/pause`, form());
    expect(paused.status).toBe(303);
    expect(paused.headers.get("location")).toBe(`/preferences/${prefs}?done=paused`);
    const e = await enrollment();
    expect(e.status).toBe("paused");
    expect(e.paused_until).toBe(t.clock.now + 7 * 24 * 3600 * 1000);
    expect(await (await t.app.request(`/preferences/${prefs}?done=paused`)).text()).toContain("paused for a week");
    await t.app.request(`/preferences/${prefs}/resume`, form());
    expect((await enrollment()).status).toBe("active");
  });

  it("changes the time zone, refusing names that are not IANA zones", async () => {
    expect((await t.app.request(`/preferences/${prefs}/timezone`, form({ timezone: "Asia/Kolkata" }))).status).toBe(303);
    expect((await subscriber())!.timezone).toBe("Asia/Kolkata");
    const bad = await t.app.request(`/preferences/${prefs}/timezone`, form({ timezone: "Mars/Base" }));
    expect(bad.status).toBe(422);
    expect((await subscriber())!.timezone).toBe("Asia/Kolkata");
  });

  it("exports the reader's data, consent ledger included", async () => {
    const res = await t.app.request(`/preferences/${prefs}/data.json`);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const data = (await res.json()) as { subscriber: { email: string }; consent: { kind: string; ip: string | null }[]; emails: { kind: string }[]; enrollments: unknown[] };
    expect(data.subscriber.email).toBe("reader@example.com");
    expect(data.consent.map((c) => c.kind)).toEqual(["opt_in", "confirm"]);
    expect(data.consent[0]!.ip).toBe("203.0.113.7");
    expect(data.emails.map((e) => e.kind)).toEqual(["confirm", "lesson"]);
    expect(data.enrollments).toHaveLength(1);
  });

  it("deletes the reader on confirmation, keeping only a hash; the address can sign up again", async () => {
    const unconfirmed = await t.app.request(`/preferences/${prefs}/delete`, form());
    expect(unconfirmed.status).toBe(422);
    expect(await subscriber()).toBeTruthy();
    const res = await t.app.request(`/preferences/${prefs}/delete`, form({ confirm: "yes" }));
    expect(res.status).toBe(200);
    expect(await subscriber()).toBeUndefined();
    for (const table of ["enrollments", "sends", "consent_events"] as const) {
      expect(await t.db.selectFrom(table).selectAll().where("subscriber_id", "=", subscriberId).execute()).toEqual([]);
    }
    const everything = JSON.stringify(await t.db.selectFrom("suppressions").selectAll().execute());
    expect(everything).not.toContain("reader@example.com");
    expect(everything).toContain(await emailHash("reader@example.com"));
    expect((await t.app.request(`/preferences/${prefs}`)).status).toBe(404);

    // A deliberate new signup is a new consent: allowed, and confirming it lifts the erasure.
    await t.app.request("/subscribe", form({ email: "reader@example.com" }));
    const again = await t.db.selectFrom("subscribers").selectAll().where("email", "=", "reader@example.com").executeTakeFirstOrThrow();
    expect(again.status).toBe("pending");
    expect(await t.db.selectFrom("sends").select("kind").where("subscriber_id", "=", again.id).execute()).toEqual([{ kind: "confirm" }]);
    await t.app.request(`/confirm/${await confirmToken(TEST_SECRET, again.id, t.clock.now)}`, form());
    expect(await t.db.selectFrom("suppressions").selectAll().execute()).toEqual([]);
  });
});

describe("suppressed addresses", () => {
  it("an address that bounced or complained is never mailed again, and the answer gives nothing away", async () => {
    await suppress(t.db, "bounced@example.com", "bounced", t.clock.now);
    const known = await t.app.request("/subscribe", json({ email: "other@example.com" }));
    const res = await t.app.request("/subscribe", json({ email: "Bounced@Example.com".replace("Bounced", "bounced") }));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe(await known.text());
    expect(await t.db.selectFrom("subscribers").selectAll().where("email", "=", "bounced@example.com").execute()).toEqual([]);
  });
});

describe("purpose-bound links", () => {
  const oneClick = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" };

  it("the unsubscribe link, forwarded with any email, opens neither preferences, nor export, delete, pause or time zone", async () => {
    const before = await enrollment();
    const attempts = [
      await t.app.request(`/preferences/${token}`),
      await t.app.request(`/preferences/${token}/data.json`),
      await t.app.request(`/preferences/${token}/delete`, form({ confirm: "yes" })),
      await t.app.request(`/preferences/${token}/pause`, form()),
      await t.app.request(`/preferences/${token}/timezone`, form({ timezone: "Asia/Tokyo" })),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).not.toContain("reader@example.com");
      expect(body).toContain('action="/preferences/new-link"');
    }
    expect((await subscriber())!.timezone).toBe("UTC");
    expect(await enrollment()).toEqual(before);
  });

  it("the unsubscribe link cannot undo a reader's own unsubscribe; only the page that unsubscribed offers the undo", async () => {
    await t.app.request(`/unsubscribe/${token}`, form({ scope: "all" }));
    expect((await t.app.request(`/unsubscribe/${token}/undo`, form())).status).toBe(400);
    // Whoever holds the forwarded link gets no undo either: this second unsubscribe changed nothing.
    const again = await (await t.app.request(`/unsubscribe/${token}`, form({ scope: "all" }))).text();
    expect(again).not.toContain("/undo");
    expect((await subscriber())!.status).toBe("unsubscribed");
  });

  it("an undo expires after an hour", async () => {
    const page = await (await t.app.request(`/unsubscribe/${token}`, form({ scope: "all" }))).text();
    const undoAction = /action="(\/unsubscribe\/[^"]+\/undo)"/.exec(page)![1]!;
    t.clock.now += 3601 * 1000;
    expect((await t.app.request(undoAction, form())).status).toBe(410);
    expect((await subscriber())!.status).toBe("unsubscribed");
  });

  it("an expired preferences link shows the page that emails a fresh link, and reveals nothing", async () => {
    t.clock.now += 31 * 24 * 3600 * 1000;
    for (const res of [await t.app.request(`/preferences/${prefs}`), await t.app.request(`/preferences/${prefs}/data.json`)]) {
      expect(res.status).toBe(410);
      const body = await res.text();
      expect(body).toContain("This link has expired");
      expect(body).toContain('action="/preferences/new-link"');
      expect(body).not.toContain("reader@example.com");
    }
    // The one-click unsubscribe never expires: it is in the headers of old emails.
    expect((await t.app.request(`/unsubscribe/${token}`, oneClick)).status).toBe(200);
  });

  it("the fresh-link form answers known and unknown addresses alike, and mails the reader a working link once per window", async () => {
    const known = await t.app.request("/preferences/new-link", form({ email: "Reader@Example.com" }));
    const unknown = await t.app.request("/preferences/new-link", form({ email: "stranger@example.com" }));
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(known.status);
    expect(await unknown.text()).toBe(await known.text());
    t.clock.now += 60_000;
    await t.app.request("/preferences/new-link", form({ email: "reader@example.com" }));
    const links = await t.db.selectFrom("sends").selectAll().where("kind", "=", "preferences-link").execute();
    expect(links.map((l) => l.subscriber_id)).toEqual([subscriberId]);
    expect(t.dispatcher.sends.filter((id) => id === links[0]!.id)).toHaveLength(1);

    const email = await composeEmail(links[0]!, (await subscriber())!, { course: await loadCourse("content/couples-therapy-up-close"), appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, from: "x@example.com", now: t.clock.now });
    expect(email.headers["List-Unsubscribe"]).toBeUndefined();
    const link = /https:\/\/lessons\.example\.test(\/preferences\/[\w.-]+)/.exec(email.text)![1]!;
    const page = await t.app.request(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("reader@example.com");
    expect((await t.app.request("/preferences/new-link", form({ email: "not an address" }))).status).toBe(422);
  });



  it("every course email carries its own fresh 30-day preferences link; the List-Unsubscribe header keeps the unsubscribe-only link", async () => {
    const lesson = (await t.db.selectFrom("sends").selectAll().where("kind", "=", "lesson").executeTakeFirstOrThrow());
    const ctx = { course: await loadCourse("content/couples-therapy-up-close"), appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, from: "x@example.com", now: t.clock.now };
    const email = await composeEmail(lesson, (await subscriber())!, ctx);
    expect(email.headers["List-Unsubscribe"]).toBe(`<https://lessons.example.test/unsubscribe/${token}>`);
    const link = /\/preferences\/([\w.-]+)/.exec(email.text)![1]!;
    expect(link).not.toBe(token);
    const check = await verifyToken(TEST_SECRET, link, "preferences", t.clock.now);
    expect(check).toEqual({ ok: true, claims: { purpose: "preferences", subject: subscriberId, expiresAt: Math.floor(lesson.created_at / 1000) + 30 * 24 * 3600 } });
    // Byte-identical on a retry, as the provider's idempotency key requires.
    expect(await composeEmail(lesson, (await subscriber())!, { ...ctx, now: ctx.now + 5000 })).toEqual(email);
  });
});
