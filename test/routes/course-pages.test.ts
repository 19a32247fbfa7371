import { parseHTML } from "linkedom";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { confirmToken } from "../../src/tokens.ts";
import { appFor, form, json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * Several courses in one install, through the public pages: the catalogue, each course's page, a
 * signup that must say which course, and a confirmation that starts every course asked for.
 * The fixture: morning-pages (Dawn Letters) and evening-review (Dusk Notes), two lessons each.
 */

let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = await loadCatalogue("test/fixtures/content/two-courses");
});

const page = async (res: Response) => parseHTML(await res.text()).document;

describe.each(ENGINES)("public pages of an install with two courses (%s)", (engine) => {
  let t: TestApp;
  let app: ReturnType<typeof appFor>;
  beforeEach(async () => {
    t = await makeTestApp({ engine });
    t.clock.now = Date.UTC(2026, 10, 2, 9, 0);
    app = appFor(t, { catalogue });
  });
  afterEach(async () => {
    await t.close();
  });

  const readerId = async (email: string) => (await t.db.selectFrom("subscribers").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
  const enrollments = async (subscriberId: string) =>
    t.db.selectFrom("enrollments").select(["course_slug", "status", "next_due_at", "started_at"]).where("subscriber_id", "=", subscriberId).orderBy("course_slug").execute();
  const lessons = async (subscriberId: string) =>
    t.db
      .selectFrom("sends")
      .innerJoin("enrollments", "enrollments.id", "sends.enrollment_id")
      .select(["sends.id", "enrollments.course_slug", "sends.lesson_slug"])
      .where("sends.subscriber_id", "=", subscriberId)
      .where("sends.kind", "=", "lesson")
      .orderBy("enrollments.course_slug")
      .execute();
  const optIns = async (subscriberId: string) =>
    (await t.db.selectFrom("consent_events").select(["kind", "course_slug"]).where("subscriber_id", "=", subscriberId).orderBy("at").execute()).filter((e) => e.kind === "opt_in");

  it("GET / lists every course with its description, publisher, lesson count and a link to its page", async () => {
    const res = await app.request("/");
    expect(res.status).toBe(200);
    const doc = await page(res);
    const items = [...doc.querySelectorAll("[data-course]")];
    expect(items.map((li) => li.getAttribute("data-course"))).toEqual(["evening-review", "morning-pages"]);
    const morning = items[1]!;
    expect(morning.querySelector("a")?.getAttribute("href")).toBe("/courses/morning-pages");
    expect(morning.querySelector("a")?.textContent).toBe("Morning Pages");
    expect(morning.textContent).toContain("Two short lessons on writing first thing in the morning.");
    expect(morning.querySelector("[data-publisher]")?.textContent).toBe("Dawn Letters");
    expect(morning.querySelector("[data-lessons]")?.textContent).toBe("2 lessons");
    expect(items[0]!.querySelector("[data-publisher]")?.textContent).toBe("Dusk Notes");
    // A list, not a form: each course's page has its own.
    expect(doc.querySelectorAll("form")).toHaveLength(0);
    expect(doc.body.textContent).not.toContain("Lessonpost");
  });

  it("GET /courses/<slug> is the course's own page: its form carries the course, its footer the publisher", async () => {
    const res = await app.request("/courses/evening-review");
    expect(res.status).toBe(200);
    const doc = await page(res);
    expect(doc.querySelector("h1")?.textContent).toBe("Evening Review");
    const course = doc.querySelector('form[action="/subscribe"] input[name="course"]');
    expect(course?.getAttribute("type")).toBe("hidden");
    expect(course?.getAttribute("value")).toBe("evening-review");
    const footer = doc.querySelector("footer")!;
    expect(footer.textContent).toContain("Dusk Notes");
    expect(footer.querySelector("[data-postal-address]")?.textContent).toBe("Dusk Notes GmbH, 2 Abendweg, Berlin, Germany");
    expect(footer.querySelector("[data-privacy]")?.textContent).toMatch(/email address.*time zone.*consent.*what was sent/s);
    expect(doc.body.textContent).not.toContain("Dawn Letters");
    expect(doc.body.textContent).not.toContain("Lessonpost");
  });

  it("GET /courses/<unknown> is a 404 page, in HTML or JSON as asked", async () => {
    const res = await app.request("/courses/no-such-course");
    expect(res.status).toBe(404);
    expect((await page(res)).querySelector("h1")?.textContent).toBe("Course not found");
    const api = await app.request("/courses/no-such-course", { headers: { accept: "application/json" } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: "course_not_found" } });
  });

  it("POST /subscribe without a course is refused with 422 naming the field, and stores nothing", async () => {
    const api = await app.request("/subscribe", json({ email: "which@example.com" }));
    expect(api.status).toBe(422);
    const body = (await api.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: "course_required", field: "course" });
    expect(body.error.message).toContain('"course"');
    expect(body.error.message).toContain("morning-pages");

    const html = await app.request("/subscribe", form({ email: "which@example.com", name: "Ann" }));
    expect(html.status).toBe(422);
    const doc = await page(html);
    // The form comes back with a course picker and what was typed.
    expect([...doc.querySelectorAll('select[name="course"] option')].map((o) => o.getAttribute("value"))).toEqual(["", "evening-review", "morning-pages"]);
    expect(doc.querySelector('[role="alert"]')?.textContent).toContain("course");
    expect(doc.getElementById("email")?.getAttribute("value")).toBe("which@example.com");
    expect(doc.getElementById("name")?.getAttribute("value")).toBe("Ann");
    expect(await t.db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
  });

  it("POST /subscribe with an unknown course is refused as course_unknown, never sent to another course", async () => {
    for (const course of ["no-such-course", "x".repeat(500)]) {
      const api = await app.request("/subscribe", json({ email: "lost@example.com", course }));
      expect(api.status).toBe(422);
      expect(await api.json()).toMatchObject({ error: { code: "course_unknown", field: "course" } });
    }
    const wrongType = await app.request("/subscribe", json({ email: "lost@example.com", course: 7 }));
    expect(wrongType.status).toBe(422);
    expect(await wrongType.json()).toMatchObject({ error: { code: "course_unknown", field: "course" } });
    const html = await app.request("/subscribe", form({ email: "lost@example.com", course: "no-such-course" }));
    expect(html.status).toBe(422);
    expect((await page(html)).querySelector('[role="alert"]')?.textContent).toContain('no course "no-such-course"');
    expect(await t.db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
    expect(await t.db.selectFrom("sends").selectAll().execute()).toEqual([]);
  });

  it("a bad address on a course's form shows that course's form again", async () => {
    const res = await app.request("/subscribe", form({ email: "not-an-email", course: "evening-review" }));
    expect(res.status).toBe(422);
    const doc = await page(res);
    expect(doc.querySelector("h1")?.textContent).toBe("Evening Review");
    expect(doc.querySelector('input[name="course"]')?.getAttribute("value")).toBe("evening-review");
  });

  it("POST /subscribe with a course records a pending enrollment in it, the opt-in naming it, and one confirmation", async () => {
    const res = await app.request("/subscribe", form({ email: "ann@example.com", course: "morning-pages" }));
    expect(res.status).toBe(200);
    const doc = await page(res);
    expect(doc.querySelector("h1")?.textContent).toBe("Check your inbox");
    expect(doc.querySelector(".lead")?.textContent).toContain("Morning Pages");
    expect(doc.querySelector("footer")?.textContent).toContain("Dawn Letters");
    const id = await readerId("ann@example.com");
    expect(await enrollments(id)).toEqual([{ course_slug: "morning-pages", status: "pending", next_due_at: null, started_at: expect.anything() }]);
    expect(await optIns(id)).toEqual([{ kind: "opt_in", course_slug: "morning-pages" }]);
    const confirmations = await t.db.selectFrom("sends").select(["id", "kind"]).where("subscriber_id", "=", id).execute();
    expect(confirmations.map((s) => s.kind)).toEqual(["confirm"]);
    expect(t.dispatcher.sends).toEqual([confirmations[0]!.id]);
    // Nothing is due before the reader confirms: the tick has nothing to send them.
    expect(await lessons(id)).toEqual([]);
  });

  it("confirming starts every course asked for before confirming, each with its lesson 1 queued at once", async () => {
    await app.request("/subscribe", form({ email: "both@example.com", course: "morning-pages" }));
    t.clock.now += 60_000;
    // Within the confirmation window: no second email, the first link confirms both.
    await app.request("/subscribe", json({ email: "both@example.com", course: "evening-review" }));
    const id = await readerId("both@example.com");
    expect(await t.db.selectFrom("sends").select("kind").where("subscriber_id", "=", id).execute()).toEqual([{ kind: "confirm" }]);
    const token = await confirmToken(TEST_SECRET, id, t.clock.now);

    const shown = await page(await app.request(`/confirm/${token}`));
    expect(shown.querySelector(".lead")?.textContent).toContain("Evening Review and Morning Pages");

    t.clock.now += 60_000;
    const res = await app.request(`/confirm/${token}`, form());
    expect(res.status).toBe(200);
    const doc = await page(res);
    expect(doc.querySelector("h1")?.textContent).toBe("You're in");
    const lines = [...doc.querySelectorAll("li[data-course]")];
    expect(lines.map((li) => li.getAttribute("data-course"))).toEqual(["evening-review", "morning-pages"]);
    expect(lines[1]!.textContent).toContain("Lesson 1, “First Light”, is on its way");
    // When the next one comes, in the reader's zone (UTC here; the course sends at 07:00).
    expect(lines[1]!.textContent).toMatch(/Keep Going.*comes on \w+day \d+ November at 07:00 \(UTC\)/);

    const rows = await enrollments(id);
    expect(rows.map((e) => [e.course_slug, e.status, Number(e.started_at)])).toEqual([
      ["evening-review", "active", t.clock.now],
      ["morning-pages", "active", t.clock.now],
    ]);
    const queued = await lessons(id);
    expect(queued.map((s) => [s.course_slug, s.lesson_slug])).toEqual([
      ["evening-review", "look-back"],
      ["morning-pages", "first-light"],
    ]);
    for (const lesson of queued) expect(t.dispatcher.sends).toContain(lesson.id);
    expect((await optIns(id)).map((e) => e.course_slug)).toEqual(["morning-pages", "evening-review"]);
  });

  it("a confirmed reader who signs up for a second course gets its lesson 1 at once, with no second confirmation", async () => {
    await app.request("/subscribe", form({ email: "again@example.com", course: "morning-pages" }));
    const id = await readerId("again@example.com");
    await app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form());
    const before = await lessons(id);
    expect(before.map((s) => s.course_slug)).toEqual(["morning-pages"]);

    t.clock.now += 3 * 3600_000;
    const second = await app.request("/subscribe", form({ email: "again@example.com", course: "evening-review" }));
    expect(second.status).toBe(200);
    const stranger = await app.request("/subscribe", form({ email: "someone-new@example.com", course: "evening-review" }));
    // The same page for a confirmed reader as for a new address: nothing tells them apart.
    expect(await second.text()).toBe(await stranger.text());

    expect(await t.db.selectFrom("sends").select("kind").where("subscriber_id", "=", id).where("kind", "=", "confirm").execute()).toHaveLength(1);
    expect((await enrollments(id)).map((e) => [e.course_slug, e.status])).toEqual([
      ["evening-review", "active"],
      ["morning-pages", "active"],
    ]);
    const after = await lessons(id);
    const joined = after.find((s) => s.course_slug === "evening-review");
    expect(joined?.lesson_slug).toBe("look-back");
    expect(t.dispatcher.sends).toContain(joined!.id);
    expect(await optIns(id)).toEqual([
      { kind: "opt_in", course_slug: "morning-pages" },
      { kind: "opt_in", course_slug: "evening-review" },
    ]);

    // Asking again for a course they are already in changes nothing.
    t.clock.now += 3600_000;
    await app.request("/subscribe", json({ email: "again@example.com", course: "evening-review" }));
    expect(await lessons(id)).toHaveLength(after.length);
    expect(await optIns(id)).toHaveLength(2);
  });

  it("a confirmed reader's details are not changed by someone else's signup with their address", async () => {
    await app.request("/subscribe", form({ email: "kept@example.com", name: "Kim", timezone: "Europe/Paris", course: "morning-pages" }));
    const id = await readerId("kept@example.com");
    await app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form());
    await app.request("/subscribe", form({ email: "kept@example.com", name: "Mallory", timezone: "Asia/Tokyo", course: "evening-review" }));
    expect(await t.db.selectFrom("subscribers").select(["name", "timezone"]).where("id", "=", id).executeTakeFirstOrThrow()).toEqual({ name: "Kim", timezone: "Europe/Paris" });
  });
});

describe("a one-course install", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it("shows the course page itself at /, and takes a signup that names no course", async () => {
    const doc = await page(await t.app.request("/"));
    expect(doc.querySelector("h1")?.textContent).toBe(t.course.name);
    expect(doc.querySelector('input[name="course"]')?.getAttribute("value")).toBe(t.course.slug);
    expect(doc.querySelector("footer")?.textContent).toContain(t.course.publisher);
    expect(doc.querySelector("footer [data-postal-address]")?.textContent).toBe(t.course.postalAddress);

    const res = await t.app.request("/subscribe", json({ email: "solo@example.com" }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "accepted", course: t.course.slug, message: expect.stringContaining(t.course.name) });
    expect(await t.db.selectFrom("enrollments").select(["course_slug", "status"]).execute()).toEqual([{ course_slug: t.course.slug, status: "pending" }]);
  });

  it("sends a course's former address to its page, and takes its former slug on the form", async () => {
    const former = t.course.formerSlugs[0]!;
    const res = await t.app.request(`/courses/${former}`);
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe(`/courses/${t.course.slug}`);
    expect((await t.app.request("/subscribe", json({ email: "old-form@example.com", course: former }))).status).toBe(202);
    expect(await t.db.selectFrom("enrollments").select("course_slug").execute()).toEqual([{ course_slug: t.course.slug }]);
  });
});
