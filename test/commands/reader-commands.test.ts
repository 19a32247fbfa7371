import { catalogueOf } from "../../src/content/catalogue.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { afterEach, describe, expect, it } from "vitest";
import { checkHealth } from "../../src/commands/check-health.ts";
import { checkConfirmLink, confirm } from "../../src/commands/confirm.ts";
import { changeTimezone, deleteMyData, emailPreferencesLink, exportMyData, pauseForAWeek, preferencesReader, readPreferences, resumeLessons } from "../../src/commands/preferences.ts";
import { recordResendDelivery } from "../../src/commands/provider-event.ts";
import type { Services } from "../../src/commands/services.ts";
import { signup } from "../../src/commands/signup.ts";
import { undoUnsubscribe, unsubscribe } from "../../src/commands/unsubscribe.ts";
import { loadCatalogue, loadCourse } from "../../src/content/load.ts";
import { DomainError } from "../../src/errors.ts";
import type { DomainErrorKind } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { openDatabase } from "../../src/store/connect.ts";
import { recordSignup } from "../../src/store/subscribers.ts";
import type { Database } from "../../src/store/database.ts";
import { CONFIRM_TOKEN_TTL_SECONDS, confirmToken, preferencesToken, unsubscribeToken } from "../../src/tokens.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { TEST_SECRET } from "../support/stack.ts";

const META = { ip: "203.0.113.7", userAgent: "vitest" };

/** The refusal a command threw, or a failure if it threw something else or nothing. */
async function refusal(action: Promise<unknown>): Promise<{ kind: DomainErrorKind; code: string }> {
  const error: unknown = await action.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return { kind: error.kind, code: error.code };
}

describe.each(ENGINES)("reader commands (%s)", (engine) => {
  let testDb: TestDatabase | undefined;
  let db: Database | undefined;
  afterEach(async () => {
    await db?.destroy();
    await testDb?.drop();
    db = undefined;
    testDb = undefined;
  });

  /** Services over a fresh database, a pinned clock and a dispatcher that records what it is handed. */
  async function setup(options: { catalogue?: Catalogue } = {}) {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    const handed: string[] = [];
    const clock = { now: Date.UTC(2026, 10, 2, 9, 0) };
    const services: Services = {
      db,
      catalogue: options.catalogue ?? catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
      log: silentLogger,
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      dispatcher: {
        async enqueueSends(ids) {
          handed.push(...ids);
        },
      },
      now: () => clock.now,
    };
    return { services, db, handed, clock };
  }

  /** Signs a reader up through the command and returns their id and a fresh confirmation link. */
  async function signedUp(services: Services, email = "reader@example.com") {
    await signup(services, { course: services.catalogue.only!, email, name: "Robin", timezone: "Europe/Paris", ip: META.ip, userAgent: META.userAgent, form: "api" });
    const row = await services.db.selectFrom("subscribers").select("id").where("email", "=", email).executeTakeFirstOrThrow();
    return { id: row.id, confirmLink: await confirmToken(services.secretKey, row.id, services.now()) };
  }

  it("signup records the opt-in and hands its confirmation to the queue, once per window", async () => {
    const { services, db, handed } = await setup();
    await signedUp(services);
    await signup(services, { course: services.catalogue.only!, email: "reader@example.com", name: null, ip: null, userAgent: null, form: "signup-page" });
    const kinds = await db.selectFrom("sends").select("kind").execute();
    expect(kinds.map((s) => s.kind)).toEqual(["confirm"]);
    expect(handed).toHaveLength(1);
    const consent = await db.selectFrom("consent_events").select("kind").execute();
    expect(consent.map((e) => e.kind)).toEqual(["opt_in", "opt_in"]);
  });

  it("confirm enrolls the reader and queues lesson 1 at once; a second confirm changes nothing", async () => {
    const { services, db, handed } = await setup();
    const { id, confirmLink } = await signedUp(services);
    await checkConfirmLink(services, confirmLink);
    expect(await confirm(services, { token: confirmLink, meta: META })).toMatchObject({ alreadyConfirmed: false, courses: [{ course: { slug: "couples-therapy-up-close" } }] });
    const lessons = await db.selectFrom("sends").select(["id", "kind"]).where("subscriber_id", "=", id).where("kind", "=", "lesson").execute();
    expect(lessons).toHaveLength(1);
    expect(handed).toContain(lessons[0]!.id);
    expect(await confirm(services, { token: confirmLink, meta: META })).toMatchObject({ alreadyConfirmed: true });
    expect(await db.selectFrom("sends").select("id").where("kind", "=", "lesson").execute()).toHaveLength(1);
  });

  it("confirm of an opt-in made before courses had folders enrolls the reader in the install's course", async () => {
    const { services, db } = await setup();
    // As signed up by an earlier release: an opt-in naming no course, no pending enrollment.
    const { subscriberId } = await recordSignup(db, { email: "early@example.com", name: null, timezone: "UTC", ip: null, userAgent: null, form: "signup-page", consentTextVersion: "v0" }, services.now());
    const link = await confirmToken(services.secretKey, subscriberId!, services.now());
    expect((await checkConfirmLink(services, link)).courses.map((c) => c.slug)).toEqual(["couples-therapy-up-close"]);
    await confirm(services, { token: link, meta: META });
    expect(await db.selectFrom("enrollments").select(["course_slug", "status"]).execute()).toEqual([{ course_slug: "couples-therapy-up-close", status: "active" }]);
    expect(await db.selectFrom("sends").select("lesson_slug").where("kind", "=", "lesson").execute()).toHaveLength(1);
  });

  it("a reader who left and signs up for a finished course again is enrolled in nothing else on confirming", async () => {
    const { services, db, clock } = await setup({ catalogue: await loadCatalogue("test/fixtures/content/two-courses") });
    const morning = services.catalogue.get("morning-pages")!;
    await signup(services, { course: morning, email: "done@example.com", name: null, ip: null, userAgent: null, form: "api" });
    const id = (await db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
    await confirm(services, { token: await confirmToken(services.secretKey, id, clock.now), meta: META });
    await db.updateTable("enrollments").set({ status: "completed", completed_at: clock.now, next_slug: null, next_due_at: null }).execute();
    clock.now += 3600_000;
    await unsubscribe(services, { token: await unsubscribeToken(services.secretKey, id), oneClick: true, scope: "all", meta: META });

    clock.now += 3600_000;
    await signup(services, { course: morning, email: "done@example.com", name: null, ip: null, userAgent: null, form: "api" });
    const result = await confirm(services, { token: await confirmToken(services.secretKey, id, clock.now), meta: META });
    expect(result.alreadyConfirmed).toBe(false);
    expect(await db.selectFrom("enrollments").select(["course_slug", "status"]).execute()).toEqual([{ course_slug: "morning-pages", status: "completed" }]);
  });

  it("a reader who left a course mid-way and signs up for it again resumes where they stopped once they confirm", async () => {
    const { services, db, clock } = await setup();
    const course = services.catalogue.only!;
    const { id, confirmLink } = await signedUp(services);
    await confirm(services, { token: confirmLink, meta: META });
    const started = await db.selectFrom("enrollments").select(["started_at", "last_day", "next_slug"]).executeTakeFirstOrThrow();
    clock.now += 3600_000;
    await unsubscribe(services, { token: await unsubscribeToken(services.secretKey, id), oneClick: true, scope: "all", meta: META });

    clock.now += 3600_000;
    await signup(services, { course, email: "reader@example.com", name: null, ip: null, userAgent: null, form: "api" });
    expect(await db.selectFrom("enrollments").select("status").execute()).toEqual([{ status: "pending" }]);
    await confirm(services, { token: await confirmToken(services.secretKey, id, clock.now), meta: META });
    const resumed = await db.selectFrom("enrollments").select(["status", "started_at", "last_day", "next_slug"]).executeTakeFirstOrThrow();
    expect(resumed).toMatchObject({ status: "active", last_day: started.last_day });
    expect(Number(resumed.started_at)).toBe(Number(started.started_at));
  });

  it("confirm refuses a link of another purpose, an expired link and one older than the reader's unsubscribe", async () => {
    const { services, clock } = await setup();
    const { id, confirmLink } = await signedUp(services);
    expect(await refusal(confirm(services, { token: await unsubscribeToken(services.secretKey, id), meta: META }))).toEqual({ kind: "malformed", code: "token_invalid" });
    expect(await refusal(checkConfirmLink(services, "not-a-token"))).toEqual({ kind: "malformed", code: "token_invalid" });

    await confirm(services, { token: confirmLink, meta: META });
    clock.now += 60_000;
    await unsubscribe(services, { token: await unsubscribeToken(services.secretKey, id), oneClick: true, scope: "all", meta: META });
    expect(await refusal(confirm(services, { token: confirmLink, meta: META }))).toEqual({ kind: "gone", code: "token_superseded" });

    clock.now += (CONFIRM_TOKEN_TTL_SECONDS + 1) * 1000;
    expect(await refusal(confirm(services, { token: confirmLink, meta: META }))).toEqual({ kind: "gone", code: "token_expired" });
  });

  it("unsubscribe from the page mints an undo only when it stopped something, and the undo brings the reader back", async () => {
    const { services, db } = await setup();
    const { id, confirmLink } = await signedUp(services);
    await confirm(services, { token: confirmLink, meta: META });
    const link = await unsubscribeToken(services.secretKey, id);

    const first = await unsubscribe(services, { token: link, oneClick: false, scope: "all", meta: META });
    expect(first.scope).toBe("all");
    expect(first.undoToken).toEqual(expect.any(String));
    expect((await db.selectFrom("subscribers").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("unsubscribed");
    expect((await unsubscribe(services, { token: link, oneClick: false, scope: "all", meta: META })).undoToken).toBeNull();

    await undoUnsubscribe(services, { token: first.undoToken!, meta: META });
    expect((await db.selectFrom("subscribers").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("active");
    // The unsubscribe link itself can never re-subscribe anyone.
    expect(await refusal(undoUnsubscribe(services, { token: link, meta: META }))).toEqual({ kind: "malformed", code: "token_invalid" });
  });

  it("one-click unsubscribe always stops all email and offers no undo", async () => {
    const { services, db } = await setup();
    const { id, confirmLink } = await signedUp(services);
    await confirm(services, { token: confirmLink, meta: META });
    const done = await unsubscribe(services, { token: await unsubscribeToken(services.secretKey, id), oneClick: true, scope: "course", meta: META });
    expect(done).toEqual({ scope: "all", undoToken: null });
    expect((await db.selectFrom("subscribers").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("unsubscribed");
  });

  it("only a live preferences link opens the preferences", async () => {
    const { services, clock } = await setup();
    const { id } = await signedUp(services);
    const link = await preferencesToken(services.secretKey, id, clock.now);
    expect(await preferencesReader(services, link)).toBe(id);
    expect(await refusal(preferencesReader(services, await unsubscribeToken(services.secretKey, id)))).toEqual({ kind: "malformed", code: "token_invalid" });
    clock.now += 31 * 24 * 3600 * 1000;
    expect(await refusal(preferencesReader(services, link))).toEqual({ kind: "gone", code: "token_expired" });
  });

  it("pause, resume and time zone change the enrollment, and refuse what does not apply", async () => {
    const { services, db } = await setup();
    const { id, confirmLink } = await signedUp(services);
    expect(await refusal(pauseForAWeek(services, { subscriberId: id, meta: META }))).toEqual({ kind: "conflict", code: "not_active" });
    await confirm(services, { token: confirmLink, meta: META });

    expect(await refusal(resumeLessons(services, { subscriberId: id }))).toEqual({ kind: "conflict", code: "not_paused" });
    await pauseForAWeek(services, { subscriberId: id, meta: META });
    const paused = await readPreferences(services, id);
    expect(paused.courses).toMatchObject([{ status: "paused", canResume: true, pausedUntil: services.now() + 7 * 24 * 3600 * 1000 }]);
    await resumeLessons(services, { subscriberId: id });
    expect((await readPreferences(services, id)).courses).toMatchObject([{ status: "active", canPause: true }]);

    expect(await refusal(changeTimezone(services, { subscriberId: id, timezone: "Mars/Olympus", meta: META }))).toEqual({ kind: "invalid", code: "invalid_timezone" });
    await changeTimezone(services, { subscriberId: id, timezone: "Asia/Tokyo", meta: META });
    expect((await db.selectFrom("subscribers").select("timezone").where("id", "=", id).executeTakeFirstOrThrow()).timezone).toBe("Asia/Tokyo");
  });

  it("delete needs the box ticked, then leaves nothing to export", async () => {
    const { services } = await setup();
    const { id } = await signedUp(services);
    expect((await exportMyData(services, id)).subscriber.email).toBe("reader@example.com");
    expect(await refusal(deleteMyData(services, { subscriberId: id, confirmed: false }))).toEqual({ kind: "invalid", code: "not_confirmed" });
    await deleteMyData(services, { subscriberId: id, confirmed: true });
    expect(await refusal(exportMyData(services, id))).toEqual({ kind: "not_found", code: "not_found" });
    expect(await refusal(readPreferences(services, id))).toEqual({ kind: "not_found", code: "not_found" });
  });

  it("a fresh preferences link is queued for a reader and silently not for a stranger", async () => {
    const { services, db, handed } = await setup();
    await signedUp(services);
    handed.length = 0;
    await emailPreferencesLink(services, { email: "stranger@example.com" });
    expect(handed).toEqual([]);
    await emailPreferencesLink(services, { email: "reader@example.com" });
    const links = await db.selectFrom("sends").select("id").where("kind", "=", "preferences-link").execute();
    expect(handed).toEqual(links.map((l) => l.id));
  });

  it("a provider delivery that is not a JSON object is refused; a replay is recorded once", async () => {
    const { services } = await setup();
    expect(await refusal(recordResendDelivery(services, { deliveryId: "msg_1", rawBody: "[]", body: [] }))).toEqual({ kind: "malformed", code: "invalid_json" });
    const body = { type: "email.delivered", created_at: new Date(services.now()).toISOString(), data: { email_id: "unknown", to: ["someone@example.com"] } };
    const delivery = { deliveryId: "msg_2", rawBody: JSON.stringify(body), body };
    expect((await recordResendDelivery(services, delivery)).recorded).toBe(true);
    expect((await recordResendDelivery(services, delivery)).recorded).toBe(false);
  });

  it("health names the dependency that does not answer", async () => {
    const { services } = await setup();
    expect(await checkHealth(services)).toEqual({ ok: true, checks: { database: "ok" } });
    const failing = await checkHealth(services, { redis: () => Promise.reject(new Error("connection refused")) });
    expect(failing).toEqual({ ok: false, checks: { database: "ok", redis: "connection refused" } });
  });
});
