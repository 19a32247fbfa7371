import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { upsertEnrollment } from "../../src/store/enrollments.ts";
import { confirmSubscriber, recordSignup } from "../../src/store/subscribers.ts";
import { preferencesToken, unsubscribeToken } from "../../src/tokens.ts";
import { appFor, form } from "../support/app.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * Leaving one course, or all email, on an install with two courses (test/fixtures/content/two-courses:
 * Morning Pages by Dawn Letters, Evening Review by Dusk Notes), and managing each course on the
 * preferences page. One reader is in both, with lesson 1 of each sent and lesson 2 of each queued.
 */
const MORNING = "morning-pages";
const EVENING = "evening-review";
const HOUR = 3600 * 1000;

describe.each(ENGINES)("one course or all email (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let catalogue: Catalogue;
  let clock: { now: number };
  let app: ReturnType<typeof appFor>;
  let subscriberId: string;
  /** Enrollment id by course slug. */
  let enrollment: Record<string, string>;
  let token: string;
  let prefs: string;

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    clock = { now: Date.UTC(2026, 0, 5, 10) };
    app = appFor({ db, course: catalogue.get(MORNING)!, clock, dispatcher: createFakeDispatcher(db) }, { catalogue });

    const { subscriberId: id } = await recordSignup(db, { email: "both@example.com", name: "Bo", timezone: "UTC", ip: null, userAgent: null, form: "test", consentTextVersion: "test" }, clock.now);
    subscriberId = id!;
    await confirmSubscriber(db, subscriberId, { ip: null, userAgent: null, how: "test" }, clock.now);
    enrollment = {};
    for (const slug of [MORNING, EVENING]) {
      const course = catalogue.get(slug)!;
      const id = await upsertEnrollment(db, subscriberId, slug, course.lessons[1]!.slug, clock.now);
      enrollment[slug] = id;
      for (const [i, status] of [[0, "sent"], [1, "queued"]] as const) {
        await db
          .insertInto("sends")
          .values({
            id: `${slug}-${i + 1}`, dedupe_key: `lesson:${id}:${course.lessons[i]!.slug}`, kind: "lesson", subscriber_id: subscriberId, enrollment_id: id,
            lesson_slug: course.lessons[i]!.slug, status, provider_id: null, error: null, enqueued_at: null, sent_at: status === "sent" ? clock.now : null, created_at: clock.now, updated_at: clock.now,
          })
          .execute();
      }
    }
    await db.updateTable("enrollments").set({ last_day: 0 }).execute();
    token = await unsubscribeToken(TEST_SECRET, subscriberId);
    prefs = await preferencesToken(TEST_SECRET, subscriberId, clock.now);
    // Each step below happens a little later than the one before, as it would for a person.
    clock.now += HOUR;
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  const statusOf = async (slug: string) => (await db.selectFrom("enrollments").select("status").where("id", "=", enrollment[slug]!).executeTakeFirstOrThrow()).status;
  const lesson2Of = async (slug: string) => db.selectFrom("sends").select(["status", "error"]).where("id", "=", `${slug}-2`).executeTakeFirstOrThrow();
  const reader = async () => db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();
  const consent = async () =>
    (await db.selectFrom("consent_events").select(["kind", "course_slug", "detail"]).where("subscriber_id", "=", subscriberId).where("kind", "in", ["unsubscribe", "resubscribe", "preferences"]).orderBy("at").execute()).map(
      (e) => ({ kind: e.kind, course: e.course_slug, ...(JSON.parse(e.detail!) as object) }),
    );
  const undoActionOf = (page: string) => /action="(\/unsubscribe\/[^"]+\/undo)"/.exec(page)?.[1];
  const later = () => (clock.now += 60_000);

  describe("the unsubscribe page", () => {
    it("offers to stop the course the email's link names, or all email, and showing it changes nothing", async () => {
      const before = { reader: await reader(), morning: await statusOf(MORNING), evening: await statusOf(EVENING) };
      const res = await app.request(`/unsubscribe/${token}?course=${EVENING}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain("<strong>Stop Evening Review.</strong>");
      expect(page).toContain(`<input type="hidden" name="course" value="${EVENING}"/>`);
      expect(page).toContain('name="scope" value="all"');
      expect(page).not.toContain("Morning Pages");
      expect({ reader: await reader(), morning: await statusOf(MORNING), evening: await statusOf(EVENING) }).toEqual(before);
    });

    it("without a course in the link (an older email), or with one we don't have, offers all email and points to the preferences", async () => {
      for (const path of [`/unsubscribe/${token}`, `/unsubscribe/${token}?course=no-such-course`]) {
        const page = await (await app.request(path)).text();
        expect(page).not.toContain('name="scope" value="course"');
        expect(page).toContain('name="scope" value="all"');
        // The link rides in every forward: it shows the choices, never the reader's courses.
        expect(page).not.toContain("Morning Pages");
        expect(page).not.toContain("Evening Review");
        expect(page).toContain('href="/preferences/new-link"');
      }
    });

    it("'stop this course' ends that course and its unsent lesson; the reader and the other course go on", async () => {
      const res = await app.request(`/unsubscribe/${token}`, form({ scope: "course", course: EVENING }));
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain("You won&#39;t get more lessons of Evening Review.");
      expect(undoActionOf(page)).toBeDefined();

      expect(await statusOf(EVENING)).toBe("cancelled");
      expect(await lesson2Of(EVENING)).toEqual({ status: "cancelled", error: "stopped course" });
      expect(await statusOf(MORNING)).toBe("active");
      expect(await lesson2Of(MORNING)).toEqual({ status: "queued", error: null });
      expect((await reader()).status).toBe("active");
      expect(await consent()).toEqual([{ kind: "unsubscribe", course: EVENING, how: "page", scope: "course" }]);
    });

    it("the undo of 'stop this course' gives back that course, with its cancelled lesson queued again", async () => {
      const page = await (await app.request(`/unsubscribe/${token}`, form({ scope: "course", course: EVENING }))).text();
      later();
      const undo = await app.request(undoActionOf(page)!, form());
      expect(undo.status).toBe(200);
      expect(await undo.text()).toContain("Evening Review picks up where you left off.");
      expect(await statusOf(EVENING)).toBe("active");
      expect(await lesson2Of(EVENING)).toEqual({ status: "queued", error: null });
      expect(await consent()).toEqual([
        { kind: "unsubscribe", course: EVENING, how: "page", scope: "course" },
        { kind: "resubscribe", course: EVENING, how: "undo" },
      ]);
    });

    it("'stop all email' stops both courses; its undo gives back only what it stopped", async () => {
      await app.request(`/unsubscribe/${token}`, form({ scope: "course", course: EVENING }));
      later();
      const page = await (await app.request(`/unsubscribe/${token}`, form({ scope: "all" }))).text();
      expect(page).toContain("You won&#39;t get any more email from us.");
      expect((await reader()).status).toBe("unsubscribed");
      expect([await statusOf(MORNING), await statusOf(EVENING)]).toEqual(["cancelled", "cancelled"]);
      expect(await lesson2Of(MORNING)).toEqual({ status: "cancelled", error: "unsubscribed" });

      later();
      expect((await app.request(undoActionOf(page)!, form())).status).toBe(200);
      expect((await reader()).status).toBe("active");
      expect(await statusOf(MORNING)).toBe("active");
      expect(await lesson2Of(MORNING)).toEqual({ status: "queued", error: null });
      // Evening Review was left on its own before: undoing "stop all email" does not bring it back.
      expect(await statusOf(EVENING)).toBe("cancelled");
      expect(await lesson2Of(EVENING)).toEqual({ status: "cancelled", error: "stopped course" });
    });

    it("one-click (RFC 8058) still stops all email, every course", async () => {
      const res = await app.request(`/unsubscribe/${token}?course=${EVENING}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
      expect(res.status).toBe(200);
      expect((await reader()).status).toBe("unsubscribed");
      expect([await statusOf(MORNING), await statusOf(EVENING)]).toEqual(["cancelled", "cancelled"]);
      expect([await lesson2Of(MORNING), await lesson2Of(EVENING)]).toEqual([
        { status: "cancelled", error: "unsubscribed" },
        { status: "cancelled", error: "unsubscribed" },
      ]);
      expect(await consent()).toEqual([{ kind: "unsubscribe", course: null, how: "one-click", scope: "all" }]);
    });

    it("'stop this course' without a course, or with one we don't have, is refused and changes nothing", async () => {
      const missing = await app.request(`/unsubscribe/${token}`, form({ scope: "course" }));
      expect(missing.status).toBe(422);
      expect(await missing.text()).toContain("Say which course to stop");
      const unknown = await app.request(`/unsubscribe/${token}`, form({ scope: "course", course: "no-such-course" }));
      expect(unknown.status).toBe(422);
      expect([await statusOf(MORNING), await statusOf(EVENING), (await reader()).status]).toEqual(["active", "active", "active"]);
      expect(await consent()).toEqual([]);
    });

    it("stopping a course already stopped changes nothing and offers no undo", async () => {
      await app.request(`/unsubscribe/${token}`, form({ scope: "course", course: EVENING }));
      later();
      const again = await (await app.request(`/unsubscribe/${token}`, form({ scope: "course", course: EVENING }))).text();
      expect(again).not.toContain("/undo");
      expect((await consent()).filter((e) => e.kind === "unsubscribe")).toHaveLength(1);
    });
  });

  describe("the preferences page", () => {
    it("lists every course of the reader with where they are in it", async () => {
      const res = await app.request(`/preferences/${prefs}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      for (const [slug, name, next] of [
        [MORNING, "Morning Pages", "Next: lesson 2, Keep Going."],
        [EVENING, "Evening Review", "Next: lesson 2, Let Go."],
      ] as const) {
        const section = new RegExp(`<section class="card" aria-labelledby="course-${slug}"><h3 id="course-${slug}">${name}</h3><p>${next}</p>.*?</section>`).exec(page)?.[0];
        expect(section, name).toBeDefined();
        expect(section).toContain(`<input type="hidden" name="course" value="${slug}"/>`);
        expect(section).toContain("Pause for a week");
        expect(section).toContain(`Leave ${name}`);
        // Lesson 1 of each was sent: each links to its own web version.
        expect(section).toMatch(/<li value="1"><a href="https:\/\/lessons\.example\.test\/email\/[\w.-]+">/);
      }
    });

    it("pausing one course leaves the other running; resuming brings it back", async () => {
      const paused = await app.request(`/preferences/${prefs}/pause`, form({ course: EVENING }));
      expect(paused.status).toBe(303);
      expect(await statusOf(EVENING)).toBe("paused");
      expect(await statusOf(MORNING)).toBe("active");
      expect(await consent()).toEqual([{ kind: "preferences", course: EVENING, how: "preferences", change: "pause-week" }]);
      const page = await (await app.request(`/preferences/${prefs}?done=paused`)).text();
      expect(page).toMatch(/<h3 id="course-evening-review">Evening Review<\/h3><p>Paused until [^<]+\.<\/p>/);
      expect(page).toMatch(/aria-labelledby="course-evening-review">.*?Resume lessons now.*?<\/section>/);

      expect((await app.request(`/preferences/${prefs}/resume`, form({ course: EVENING }))).status).toBe(303);
      expect([await statusOf(MORNING), await statusOf(EVENING)]).toEqual(["active", "active"]);
    });

    it("leaving one course from the preferences cancels it and its unsent lesson, and the page says so", async () => {
      const left = await app.request(`/preferences/${prefs}/leave`, form({ course: MORNING }));
      expect(left.status).toBe(303);
      expect(left.headers.get("location")).toBe(`/preferences/${prefs}?done=left`);
      expect(await statusOf(MORNING)).toBe("cancelled");
      expect(await lesson2Of(MORNING)).toEqual({ status: "cancelled", error: "stopped course" });
      expect(await statusOf(EVENING)).toBe("active");
      expect(await consent()).toEqual([{ kind: "unsubscribe", course: MORNING, how: "preferences", scope: "course" }]);
      const page = await (await app.request(`/preferences/${prefs}?done=left`)).text();
      expect(page).toContain("<h3 id=\"course-morning-pages\">Morning Pages</h3><p>You left this course.</p>");
      expect(page).not.toContain("Leave Morning Pages");
      // No pause button either, and the card says why instead of leaving it out silently.
      expect(page).toMatch(/aria-labelledby="course-morning-pages">(?:(?!<\/section>).)*Nothing to pause: you left this course\./s);
      // The reader's own export says which course they left.
      const data = (await (await app.request(`/preferences/${prefs}/data.json`)).json()) as { consent: { kind: string; course: string | null }[] };
      expect(data.consent.filter((e) => e.kind === "unsubscribe")).toMatchObject([{ kind: "unsubscribe", course: MORNING }]);
      // Leaving it again has nothing to leave.
      expect((await app.request(`/preferences/${prefs}/leave`, form({ course: MORNING }))).status).toBe(409);
    });

    it("refuses a course that is not one of the reader's, and a button that names no course when they have several", async () => {
      await db.deleteFrom("sends").where("enrollment_id", "=", enrollment[EVENING]!).execute();
      await db.deleteFrom("enrollments").where("id", "=", enrollment[EVENING]!).execute();
      for (const action of ["pause", "resume", "leave"]) {
        for (const course of [EVENING, "no-such-course"]) {
          const res = await app.request(`/preferences/${prefs}/${action}`, form({ course }));
          expect(res.status, `${action} ${course}`).toBe(422);
          expect(await res.text()).toContain("That is not one of your courses.");
        }
      }
      // With one course left, a form without `course` (a page from before) means that one.
      expect((await app.request(`/preferences/${prefs}/pause`, form())).status).toBe(303);
      expect(await statusOf(MORNING)).toBe("paused");
    });

    it("asks which course when a button names none and the reader has several", async () => {
      const res = await app.request(`/preferences/${prefs}/pause`, form());
      expect(res.status).toBe(422);
      expect([await statusOf(MORNING), await statusOf(EVENING)]).toEqual(["active", "active"]);
    });
  });
});
