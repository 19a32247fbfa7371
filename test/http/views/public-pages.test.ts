import { beforeAll, describe, expect, it } from "vitest";
import { loadCourse } from "../../../src/content/load.ts";
import type { Course } from "../../../src/content/schema.ts";
import { defaultPrivacyNote, layout } from "../../../src/http/views/layout.tsx";
import { cataloguePage, checkInboxPage, confirmedPage, confirmPage, courseChoicePage, errorPage, signupPage } from "../../../src/http/views/pages.tsx";
import {
  deletedPage,
  freshLinkPage,
  freshLinkSentPage,
  preferencesPage,
  resubscribedPage,
  tooManyPage,
  unsubscribeChoicesPage,
  unsubscribedPage,
} from "../../../src/http/views/reader-pages.tsx";
import type { CourseStanding } from "../../../src/commands/preferences.ts";
import type { Subscriber } from "../../../src/store/subscribers.ts";
import { expectSoundPage, labelOf, render } from "./page-checks.ts";
import { loadCatalogue } from "../../../src/content/load.ts";

const NOW = Date.UTC(2026, 10, 2, 9, 0);
const DAY = 24 * 3600 * 1000;
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

let course: Course;
beforeAll(async () => {
  course = await loadCourse("content/couples-therapy-up-close");
});

function reader(overrides: Partial<Subscriber> = {}): Subscriber {
  return {
    id: "r1",
    email: "ada@example.com",
    email_key: "ada@example.com",
    name: "Ada",
    timezone: "Europe/Paris",
    status: "active",
    created_at: 0,
    updated_at: 0,
    confirmed_at: 0,
    unsubscribed_at: null,
    confirmation_sent_at: null,
    link_sent_at: null,
    consent_at: 0,
    consent_ip: null,
    consent_user_agent: null,
    consent_form: "signup",
    consent_text_version: "v1",
    ...overrides,
  } as Subscriber;
}

/** One of the reader's courses, running, as the preferences page gets it. */
function standing(overrides: Partial<CourseStanding> = {}): CourseStanding {
  return {
    slug: course.slug, name: course.name, course, status: "active", pausedUntil: null, next: { kind: "lesson", number: 2, title: course.lessons[1]!.title },
    canPause: true, canResume: false, canLeave: true, sentLessons: [], ...overrides,
  };
}

describe("public pages as components", () => {
  it("are each a sound page: a language, one heading, the hashed stylesheet, every field labelled", async () => {
    const pages = [
      signupPage(course),
      signupPage(course, { error: "That address is not valid.", email: "x@", name: "X" }),
      checkInboxPage(course),
      confirmPage([course], "/confirm/abc"),
      confirmPage([], "/confirm/abc"),
      confirmedPage({ alreadyConfirmed: false, courses: [{ course, arriving: course.lessons[0]!.slug, next: { slug: course.lessons[1]!.slug, at: NOW + DAY } }], timezone: "Europe/Paris", now: NOW }),
      confirmedPage({ alreadyConfirmed: true, courses: [], timezone: "UTC", now: NOW }),
      cataloguePage([course]),
      courseChoicePage([course], "Choose a course."),
      errorPage("Link not valid", "This link has expired."),
      unsubscribeChoicesPage(course, "tok"),
      unsubscribedPage("undo-tok", "all", course),
      unsubscribedPage(null, "course", course),
      resubscribedPage(course),
      preferencesPage("tok", "unsub", reader(), { courses: [standing()] }, ["UTC", "Europe/Paris"]),
      preferencesPage("tok", "unsub", reader(), { courses: [] }, ["UTC"]),
      deletedPage(),
      tooManyPage(61),
      tooManyPage(30, "link-requests"),
      freshLinkPage({ heading: "This link has expired", message: "Ask for a fresh one." }),
      freshLinkSentPage(),
    ];
    for (const page of pages) expectSoundPage(await render(page), ["app.css"]);
  });

  it("shows reader-supplied text as text, never as markup", async () => {
    const signup = await render(signupPage(course, { error: HOSTILE, email: HOSTILE, name: HOSTILE }));
    expect(signup.querySelectorAll("script:not([src])")).toHaveLength(0);
    expect(signup.querySelectorAll("img")).toHaveLength(0);
    expect(signup.getElementById("signup-error")?.textContent).toBe(HOSTILE);
    expect(signup.getElementById("email")?.getAttribute("value")).toBe(HOSTILE);
    expect(signup.getElementById("name")?.getAttribute("value")).toBe(HOSTILE);

    const preferences = await render(
      preferencesPage("tok", "unsub", reader({ email: HOSTILE }), { courses: [standing()], message: HOSTILE }, ["UTC"]),
    );
    expect(preferences.querySelectorAll("script:not([src]), img")).toHaveLength(0);
    expect(preferences.querySelector('[role="status"]')?.textContent).toBe(HOSTILE);
    expect(preferences.querySelector("p.lead")?.textContent).toContain(HOSTILE);

    const outbox = await render(layout(HOSTILE, HOSTILE));
    expect(outbox.title).toBe(HOSTILE);
    expect(outbox.querySelector("main")?.textContent).toBe(HOSTILE);
    expect(outbox.querySelectorAll("script, img")).toHaveLength(0);
  });

  it("marks the signup email field invalid and points it at the error only when there is one", async () => {
    const clean = await render(signupPage(course));
    expect(clean.getElementById("email")?.hasAttribute("aria-invalid")).toBe(false);
    expect(clean.querySelector('[role="alert"]')).toBeNull();

    const failed = await render(signupPage(course, { error: "That address is not valid." }));
    const email = failed.getElementById("email");
    expect(email?.getAttribute("aria-invalid")).toBe("true");
    expect(email?.getAttribute("aria-describedby")).toBe("signup-error");
    expect(failed.getElementById("signup-error")?.getAttribute("role")).toBe("alert");
    expect(labelOf(failed, email!)).toBe("Email address");
  });

  it("loads the time-zone script on the signup page only, at its hashed URL", async () => {
    const signup = await render(signupPage(course));
    const scripts = [...signup.querySelectorAll("script")];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]!.getAttribute("src")).toMatch(/^\/assets\/signup\.[0-9a-z]+\.js$/);
    expect(scripts[0]!.hasAttribute("defer")).toBe(true);
    expect((await render(checkInboxPage(course))).querySelectorAll("script")).toHaveLength(0);
  });

  it("lists every lesson on the signup page, with its author and source", async () => {
    const items = [...(await render(signupPage(course))).querySelectorAll("ol.lessons li")];
    expect(items.map((li) => li.querySelector("strong")?.textContent)).toEqual(course.lessons.map((l) => l.title));
    expect(items[0]!.textContent).toContain(`by ${course.lessons[0]!.author}, ${course.lessons[0]!.source.name}`);
  });

  it("selects the reader's own time zone and offers pausing only for a course that is running", async () => {
    const finished = standing({ slug: "finished", name: "Finished", status: "completed", canPause: false, canLeave: false });
    const page = await render(preferencesPage("tok", "unsub", reader(), { courses: [standing(), finished] }, ["UTC", "Europe/Paris", "Asia/Tokyo"]));
    const selected = [...page.querySelectorAll("#timezone option")].filter((o) => o.hasAttribute("selected"));
    expect(selected.map((o) => o.getAttribute("value"))).toEqual(["Europe/Paris"]);
    const pauses = [...page.querySelectorAll("button")].filter((b) => b.textContent === "Pause for a week");
    expect(pauses.map((b) => b.closest("form")?.querySelector<HTMLInputElement>('input[name="course"]')?.value)).toEqual([course.slug]);
    expect(page.querySelector(`a[href="/preferences/tok/data.json"]`)?.hasAttribute("download")).toBe(true);
  });

  it("offers the undo form only when the unsubscribe changed something", async () => {
    const changed = await render(unsubscribedPage("undo-tok", "all", course));
    expect(changed.querySelector('form[action="/unsubscribe/undo-tok/undo"]')).not.toBeNull();
    const unchanged = await render(unsubscribedPage(null, "all", course));
    expect(unchanged.querySelectorAll("form")).toHaveLength(0);
  });

  it("ends a course's pages with its publisher, postal address and privacy note, and never names the software", async () => {
    const catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    const dusk = catalogue.get("evening-review")!;
    const dawn = { ...catalogue.get("morning-pages")!, privacy: "Dawn Letters keeps your address and nothing else, to send the lessons." };
    const confirmed = { alreadyConfirmed: false, courses: [{ course: dawn, arriving: "first-light", next: null }], timezone: "UTC", now: NOW };
    for (const [course, doc] of [
      [dusk, await render(signupPage(dusk))],
      [dusk, await render(checkInboxPage(dusk))],
      [dawn, await render(confirmPage([dawn, dusk], "/confirm/abc"))],
      [dawn, await render(confirmedPage(confirmed))],
      [dawn, await render(layout("Any page", "body", { course: dawn }))],
    ] as const) {
      const footer = doc.querySelector("footer");
      expect(footer?.querySelector("[data-footer-publisher]")?.textContent).toBe(course.publisher);
      expect(footer?.querySelector("[data-postal-address]")?.textContent).toBe(course.postalAddress);
      expect(footer?.querySelector("[data-privacy]")?.textContent).toContain(course.privacy ?? defaultPrivacyNote(course));
      expect(doc.documentElement.textContent).not.toMatch(/lessonpost/i);
    }
    // A page for courses of two publishers names both, each once.
    const both = await render(confirmPage([dawn, dusk, dawn], "/confirm/abc"));
    expect([...both.querySelectorAll("footer [data-footer-publisher]")].map((el) => el.textContent)).toEqual(["Dawn Letters", "Dusk Notes"]);
    expect(both.querySelectorAll("footer")).toHaveLength(1);
    // The default note says what is kept and why, naming the publisher.
    const note = defaultPrivacyNote(dusk);
    expect(note).toMatch(/^Dusk Notes keeps your email address, your first name.*time zone/);
    expect(note).toMatch(/consent.*as proof/);
    expect(note).toMatch(/what was sent to you and when, so that no email goes out twice/);
    // A page of no course (an error, the outbox) has no footer rather than a guessed one.
    expect((await render(errorPage("Link not valid", "Expired."))).querySelector("footer")).toBeNull();
  });

  it("gives every page a favicon that costs no request", async () => {
    for (const page of [signupPage(course), errorPage("Gone", "Gone."), deletedPage()]) {
      const icon = (await render(page)).querySelector('link[rel="icon"]');
      expect(icon?.getAttribute("href")).toMatch(/^data:image\/svg\+xml,/);
    }
  });

  it("lists the courses on the catalogue page, and puts a publisher's footer on it only when every course shares one", async () => {
    const catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    const mixed = await render(cataloguePage(catalogue.courses));
    expect(mixed.querySelector("h1")?.textContent).toBe("Courses by email");
    expect([...mixed.querySelectorAll("[data-course] a")].map((a) => a.getAttribute("href"))).toEqual(["/courses/evening-review", "/courses/morning-pages"]);
    expect(mixed.querySelector("footer")).toBeNull();
    const sameHouse = catalogue.courses.map((c) => ({ ...c, publisher: "One House" }));
    const single = await render(cataloguePage(sameHouse));
    expect(single.querySelector("h1")?.textContent).toBe("Courses from One House");
    expect(single.querySelector("footer [data-footer-publisher]")?.textContent).toBe("One House");
  });

  it("says on the You're in page when each course's next email comes, in the reader's time zone", async () => {
    const at = Date.UTC(2026, 10, 4, 8, 0);
    const doc = await render(
      confirmedPage({ alreadyConfirmed: false, courses: [{ course, arriving: course.lessons[0]!.slug, next: { slug: course.lessons[1]!.slug, at } }], timezone: "Europe/Paris", now: NOW }),
    );
    const line = doc.querySelector("li[data-course]")!;
    expect(line.textContent).toContain(`Lesson 1, “${course.lessons[0]!.title}”, is on its way to your inbox.`);
    expect(line.textContent).toContain(`The next one, lesson 2, “${course.lessons[1]!.title}”, comes on Wednesday 4 November at 09:00 (Europe/Paris).`);
    expect(line.querySelector("time")?.getAttribute("datetime")).toBe(new Date(at).toISOString());
    expect(doc.querySelector(".lead")?.textContent).toContain(course.name);
  });

  it("offers a course picker, labelled and tied to its error, when a signup named no known course", async () => {
    const catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    const doc = await render(courseChoicePage(catalogue.courses, "Choose a course.", { email: "a@example.com" }));
    const select = doc.getElementById("course")!;
    expect(labelOf(doc, select)).toBe("Course");
    expect(select.hasAttribute("required")).toBe(true);
    expect(select.getAttribute("aria-describedby")).toBe("course-error");
    expect(doc.getElementById("course-error")?.getAttribute("role")).toBe("alert");
    expect(doc.querySelector('input[name="course"]')).toBeNull();
  });
});
