import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { silentLogger } from "../../src/log.ts";
import { recordSendingPaused, storeGuardCheck } from "../../src/store/sending-guard.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const NOW = Date.UTC(2030, 0, 7, 12, 0, 0);
const DAY = 24 * 3600_000;
const WINDOW = { window_start: NOW - 7 * DAY, window_end: NOW - 60_000 };

let t: TestApp;
let app: ReturnType<typeof createApp>;
let session: Record<string, string>;
const bearer = { authorization: `Bearer ${ADMIN}` };

beforeEach(async () => {
  t = await makeTestApp();
  app = createApp({
    db: t.db,
    catalogue: catalogueOf([t.course]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    adminToken: ADMIN,
    dispatcher: t.dispatcher,
    now: () => NOW,
  });
  const login = await app.request("/admin/login", form({ secret: ADMIN }));
  expect(login.status).toBe(303);
  session = { cookie: login.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ") };
});
afterEach(async () => {
  await t.close();
});

const page = async (path: string) => {
  const response = await app.request(path, { headers: session });
  expect(response.status).toBe(200);
  return response.text();
};
const pause = () =>
  recordSendingPaused(t.db, { complaints: 3, delivered: 1000, windowStart: WINDOW.window_start, windowEnd: WINDOW.window_end, reason: "Complaints reached 0.30% (3 of 1000 delivered)." }, NOW - 60_000);

describe("the complaint-rate guard in the console and the API", () => {
  it("shows no banner while the rate is fine or the sample too small", async () => {
    expect(await page("/admin")).not.toContain("sending-banner");
    await storeGuardCheck(t.db, { level: "ok", complaints: 0, delivered: 5000, ...WINDOW, checked_at: NOW - 60_000 });
    expect(await page("/admin")).not.toContain("sending-banner");
    await storeGuardCheck(t.db, { level: "too-few", complaints: 9, delivered: 900, ...WINDOW, checked_at: NOW - 60_000 });
    expect(await page("/admin/readers")).not.toContain("sending-banner");
  });

  it("warns on every console page from 0.1%, with the figures", async () => {
    await storeGuardCheck(t.db, { level: "warn", complaints: 2, delivered: 1000, ...WINDOW, checked_at: NOW - 60_000 });
    for (const path of ["/admin", "/admin/readers", "/admin/course", "/admin/broadcasts", "/admin/failed", "/admin/import"]) {
      const html = await page(path);
      expect(html, path).toContain('class="sending-banner warn" role="status"');
      expect(html, path).toContain("Complaint rate: 0.20%");
      expect(html, path).toContain("2 of 1000 delivered in the last 7 days");
      expect(html, path).not.toContain("Resume sending");
    }
  });

  it("shows a pause with its reason and a resume button that records the console resumed it", async () => {
    await pause();
    const html = await page("/admin/readers");
    expect(html).toContain('class="sending-banner paused" role="alert"');
    expect(html).toContain("Lessons and newsletters are paused");
    expect(html).toContain("Complaints reached 0.30% (3 of 1000 delivered).");
    expect(html).toContain('action="/admin/sending/resume"');

    const resumed = await app.request("/admin/sending/resume", form({}, session));
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toBe("/admin");
    const row = await t.db.selectFrom("sending_pauses").selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ in_force: null, resumed_at: NOW, resumed_by: "console" });
    expect(await page("/admin")).not.toContain("Lessons and newsletters are paused");
  });

  it("refuses a console resume from another site", async () => {
    await pause();
    const response = await app.request("/admin/sending/resume", form({}, { ...session, origin: "https://evil.example" }));
    expect(response.status).toBe(403);
    expect(await t.db.selectFrom("sending_pauses").select("in_force").executeTakeFirstOrThrow()).toEqual({ in_force: 1 });
  });

  it("answers the state and resumes over the API, and says so when nothing is paused", async () => {
    const idle = await app.request("/admin/api/sending", { headers: bearer });
    expect(idle.status).toBe(200);
    expect(await idle.json()).toMatchObject({ paused: false, pause: null, check: null, rules: { windowDays: 7, minimumDelivered: 1000, warnRate: 0.001, pauseRate: 0.003 } });

    const nothing = await app.request("/admin/api/sending/resume", { method: "POST", headers: bearer });
    expect(nothing.status).toBe(409);
    expect(await nothing.json()).toMatchObject({ error: { code: "sending_not_paused" } });

    await pause();
    await storeGuardCheck(t.db, { level: "pause", complaints: 3, delivered: 1000, ...WINDOW, checked_at: NOW - 60_000 });
    const paused = await app.request("/admin/api/sending", { headers: bearer });
    expect(await paused.json()).toMatchObject({
      paused: true,
      pause: { complaints: 3, delivered: 1000, rate: 0.003, pausedAt: new Date(NOW - 60_000).toISOString(), resumedAt: null },
      check: { level: "pause", complaints: 3, delivered: 1000, rate: 0.003 },
    });

    const resume = await app.request("/admin/api/sending/resume", { method: "POST", headers: bearer });
    expect(resume.status).toBe(200);
    expect(await resume.json()).toMatchObject({ resumed: true, pause: { resumedAt: new Date(NOW).toISOString(), resumedBy: "api" } });
    expect(await (await app.request("/admin/api/sending", { headers: bearer })).json()).toMatchObject({ paused: false });
    // Resumed on the same figures: the banner says the limit is passed and what pauses it again.
    expect(await page("/admin")).toContain("Sending was resumed by an admin; the next complaint pauses it again.");
  });

  it("keeps the guard's state behind the admin login", async () => {
    expect((await app.request("/admin/api/sending")).status).toBe(401);
    expect((await app.request("/admin/api/sending/resume", { method: "POST" })).status).toBe(401);
  });
});
