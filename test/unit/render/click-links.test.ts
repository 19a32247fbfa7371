import { beforeEach, describe, expect, it } from "vitest";
import type { Course } from "../../../src/content/schema.ts";
import { composeEmail } from "../../../src/render/compose.ts";
import type { ComposableSend, ComposeContext } from "../../../src/render/compose.ts";
import { renderLessonEmail, renderNewsletterEmail } from "../../../src/render/emails.ts";
import { trackedLinks } from "../../../src/render/markdown.ts";
import { clearTemplateCache, renderLessonEmailFast, renderNewsletterEmailFast, templateCacheStats } from "../../../src/render/personalize.ts";
import { sampleReader } from "../../../src/render/sample-reader.ts";
import { clickToken, linkHash, readClickSubject, verifyToken } from "../../../src/tokens.ts";
import { course as fixtureCourse, hrefs as ampDecodedHrefs, lesson as fixtureLesson } from "./fixtures.ts";

/** Every href, with the apostrophe the Markdown walk escapes decoded too. */
const hrefs = (html: string) => ampDecodedHrefs(html).map((h) => h.replace(/&#39;/g, "'"));

/**
 * Click tracking (course.yaml `tracking: { clicks: true }`): the body's http(s) links become
 * APP_URL/r/<token>; the footer's links, mailto: links, images and the credit's source link stay
 * as written; the per-reader fast path stays byte-identical to the per-recipient render.
 */

const APP_URL = "https://lessons.example.test";
const SECRET = "click-links-unit-test-secret-0123456789";

const BODY = [
  "Read [the study](https://research.example/study?a=1&b='2') first, then <https://blog.example/post>.",
  "",
  "Write to [us](mailto:hello@example.com) or see ![a chart](https://img.example/chart.png).",
  "",
  "- an item with [a link](http://plain.example/item)",
  "- and [the study again](https://research.example/study?a=1&b='2')",
].join("\n");

function trackedCourse(tracking: Course["tracking"]): Course {
  const base = fixtureCourse();
  const lessons = base.lessons.map((l, i) => (i === 0 ? fixtureLesson({ ...l, markdown: BODY }) : l));
  return { ...base, lessons, ...(tracking ? { tracking } : {}) };
}

const ctxFor = (course: Course): ComposeContext => ({ course, appUrl: APP_URL, secretKey: SECRET, from: "Lessons <lessons@example.test>", now: 1_700_000_000_000 });
const lessonSend = (course: Course, id = "11111111-2222-4333-8444-555555555555"): ComposableSend => ({ id, kind: "lesson", lesson_slug: course.lessons[0]!.slug, created_at: 1_700_000_000_000 });

beforeEach(() => {
  clearTemplateCache();
});

describe("the body's links, numbered", () => {
  it("lists each http(s) link of the body in order, repeats included, and neither mailto: links nor images", () => {
    expect(trackedLinks(BODY)).toEqual([
      "https://research.example/study?a=1&b='2'",
      "https://blog.example/post",
      "http://plain.example/item",
      "https://research.example/study?a=1&b='2'",
    ]);
  });
});

describe("a course that records clicks", () => {
  it("rewrites every link of the lesson body, in the HTML and the text part, to a signed /r/ address", async () => {
    const course = trackedCourse({ clicks: true });
    const email = await composeEmail(lessonSend(course), sampleReader(0), ctxFor(course));
    const tracked = hrefs(email.html).filter((h) => h.startsWith(`${APP_URL}/r/`));
    expect(tracked).toHaveLength(4);
    // No body link survives as written, in either part; the reader still sees where a link goes.
    for (const original of ["https://research.example/study", "https://blog.example/post", "http://plain.example/item"]) {
      expect(hrefs(email.html).filter((h) => h.includes(original))).toEqual([]);
    }
    expect(email.text).toContain(`the study (${tracked[0]})`);
    expect(email.text).toContain(`https://blog.example/post (${tracked[1]})`);
    // Each names the send and the link's position, never the address.
    for (const [i, href] of tracked.entries()) {
      expect(href).not.toContain("research.example");
      const check = await verifyToken(SECRET, href.slice(`${APP_URL}/r/`.length), "click");
      expect(check.ok).toBe(true);
      const named = readClickSubject(check.ok ? check.claims.subject : "");
      expect(named).toEqual({ sendId: lessonSend(course).id, index: i, hash: await linkHash(trackedLinks(BODY)[i]!) });
    }
  });

  it("leaves the footer's links, the credit's source link, mailto: links and images as they are", async () => {
    const course = trackedCourse({ clicks: true });
    const email = await composeEmail(lessonSend(course), sampleReader(0), ctxFor(course));
    const links = hrefs(email.html);
    expect(links.some((h) => h.startsWith(`${APP_URL}/unsubscribe/`))).toBe(true);
    expect(links.some((h) => h.startsWith(`${APP_URL}/preferences/`))).toBe(true);
    expect(links.some((h) => h.startsWith(`${APP_URL}/email/`))).toBe(true);
    expect(links).toContain(course.lessons[0]!.source.url);
    expect(links).toContain("mailto:hello@example.com");
    expect(email.html).toContain('src="https://img.example/chart.png"');
    expect(email.text).toMatch(new RegExp(`^Unsubscribe: ${APP_URL}/unsubscribe/`, "m"));
    // Lessonpost adds no pixel: the only image is the author's own.
    expect(email.html.match(/<img /g)).toHaveLength(1);
  });

  it("gives each send its own tracked links", async () => {
    const course = trackedCourse({ clicks: true });
    const one = await composeEmail(lessonSend(course, "aaaaaaaa-0000-4000-8000-000000000001"), sampleReader(0), ctxFor(course));
    const two = await composeEmail(lessonSend(course, "aaaaaaaa-0000-4000-8000-000000000002"), sampleReader(0), ctxFor(course));
    const tracked = (html: string) => hrefs(html).filter((h) => h.startsWith(`${APP_URL}/r/`));
    expect(tracked(one.html)).toHaveLength(4);
    expect(tracked(one.html).filter((h) => tracked(two.html).includes(h))).toEqual([]);
  });

  it("serves tracked readers from the template cache, byte for byte the per-recipient render", () => {
    const course = trackedCourse({ clicks: true });
    const lesson = course.lessons[0]!;
    const readers = Array.from({ length: 5 }, (_, r) => ({
      name: ["Ann", "O'Brien & <Co>", null, "$&", "Zoë"][r],
      clickUrls: trackedLinks(BODY).map((_, i) => `${APP_URL}/r/reader${r}-link${i}?x='${r}'&y="<${i}>"`),
    }));
    for (const reader of readers) {
      const input = { course, lesson, recipient: { email: "r@example.com", name: reader.name }, unsubscribeUrl: `${APP_URL}/unsubscribe/u`, preferencesUrl: `${APP_URL}/preferences/p`, webVersionUrl: `${APP_URL}/email/w`, clickUrls: reader.clickUrls };
      expect(renderLessonEmailFast(input)).toEqual(renderLessonEmail(input));
      const news = { course, recipient: { email: "r@example.com", name: reader.name }, subject: "News", markdown: BODY, unsubscribeUrl: `${APP_URL}/unsubscribe/u`, clickUrls: reader.clickUrls };
      expect(renderNewsletterEmailFast(news)).toEqual(renderNewsletterEmail(news));
    }
    const stats = templateCacheStats();
    expect(stats.rejected).toBe(0);
    expect(stats.fallbacks).toBe(0);
    expect(stats.hits).toBeGreaterThan(0);
  });
});

describe("a course that does not record clicks", () => {
  it.each([
    ["no tracking field", undefined],
    ["clicks: false", { clicks: false }],
  ] as const)("keeps every link as written (%s)", async (_, tracking) => {
    const course = trackedCourse(tracking);
    const email = await composeEmail(lessonSend(course), sampleReader(0), ctxFor(course));
    expect(email.html).not.toContain(`${APP_URL}/r/`);
    expect(email.text).not.toContain(`${APP_URL}/r/`);
    expect(hrefs(email.html)).toContain("https://research.example/study?a=1&b='2'");
    expect(email.text).toContain("https://blog.example/post");
  });
});

describe("click tokens", () => {
  it("refuses a tampered token, and one of another purpose", async () => {
    const token = await clickToken(SECRET, "send-1", 0, "https://research.example/");
    expect((await verifyToken(SECRET, token, "click")).ok).toBe(true);
    const [payload, signature] = token.split(".");
    const forged = `${Buffer.from("click.send-2~0~AAAAAAAAAAAA.0").toString("base64url")}.${signature}`;
    expect(await verifyToken(SECRET, forged, "click")).toEqual({ ok: false, reason: "bad-signature" });
    expect(await verifyToken(SECRET, `${payload}.${signature!.slice(0, -2)}xx`, "click")).toMatchObject({ ok: false });
    expect(await verifyToken("another-secret-0123456789abcdefghij", token, "click")).toEqual({ ok: false, reason: "bad-signature" });
    expect(await verifyToken(SECRET, token, "web-version")).toEqual({ ok: false, reason: "wrong-purpose" });
  });

  it("reads only subjects of its own shape", () => {
    expect(readClickSubject("send-1~3~abcdefghijkl")).toEqual({ sendId: "send-1", index: 3, hash: "abcdefghijkl" });
    expect(readClickSubject("send-1")).toBeNull();
    expect(readClickSubject("send-1~x~abcdefghijkl")).toBeNull();
    expect(readClickSubject("send-1~1~short")).toBeNull();
  });
});
