import { expect } from "vitest";
import type { Course, Lesson } from "../../../src/content/schema.ts";

/** In-memory course with distinctive strings so assertions can't pass by accident. */

export const DISTINCTIVE_SENTENCE = "The tortoise counted seventeen lanterns before the harbour woke.";
export const SECOND_LESSON_SENTENCE = "A heron waited at the edge of the reeds for the tide to turn.";
export const POSTAL_ADDRESS = "Fixture Press Ltd, PO Box 4242, Quillby QB1 2ZZ";
export const UNSUBSCRIBE_URL = "https://lp.test/u/tok-unsub-8f3a?l=2&c=couples";
export const PREFERENCES_URL = "https://lp.test/p/tok-prefs-8f3a";
export const CONFIRM_URL = "https://lp.test/confirm/tok-confirm-77e1?next=%2Fwelcome";

export function lesson(overrides: Partial<Lesson> = {}): Lesson {
  return {
    slug: "lanterns",
    title: "Lanterns & Harbours",
    subject: "Lesson 2: Lanterns & harbours",
    preview: "Why we count what we fear.",
    author: "Dr. Keren Sofer",
    source: { name: "GoodTherapy.org", url: "https://www.goodtherapy.org/blog/lanterns" },
    credit: "© Copyright 2007 - 2025 GoodTherapy.org. All rights reserved.",
    day: 7,
    number: 2,
    markdown: `${DISTINCTIVE_SENTENCE}\n\nIt is *hard* work, and **worth it**.`,
    readingMinutes: 4,
    file: "lessons/02-lanterns.md",
    ...overrides,
  };
}

export function course(overrides: Partial<Course> = {}): Course {
  const lessons = [
    lesson({
      slug: "first",
      number: 1,
      day: 0,
      title: "First Light",
      subject: "Lesson 1: First light",
      markdown: SECOND_LESSON_SENTENCE,
    }),
    lesson(),
    lesson({
      slug: "last",
      number: 3,
      day: 14,
      title: "Open Water",
      subject: "Lesson 3: Open water",
      credit: undefined,
    }),
  ];
  return {
    slug: "harbour-course",
    formerSlugs: [],
    name: "The Harbour Course",
    description: "Three lessons on steady attention.",
    publisher: "Harbour Letters",
    sender: { name: "Harbour Letters", replyTo: "hello@lp.test" },
    postalAddress: POSTAL_ADDRESS,
    schedule: { sendHour: 9, weekdays: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], timezone: "UTC" },
    graduation: { subject: "You finished The Harbour Course", daysAfterLastLesson: 7 },
    lessons,
    graduationDay: 21,
    ...overrides,
  };
}

/** Names a signup form could deliver: markup and a header-injection attempt. */
export const HOSTILE_NAMES = [
  "<script>alert('x')</script>Mallory",
  "Eve\r\nBcc: x@y",
  "Trudy\nSubject: hi\u0000\u202e",
] as const;

/** What HTML looks like once tags are removed, entities decoded and whitespace collapsed. */
export function visibleText(html: string): string {
  return (
    html
      .replace(/<(style|title)[\s\S]*?<\/\1>/gi, " ")
      // Inline elements join their text; everything else (blocks, cells, <br>) separates words.
      .replace(/<\/?(a|em|strong|b|i|span|code|del|wbr)\b[^>]*>/gi, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/&nbsp;/g, " ")
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&")
      .replace(/\s+/g, " ")
  );
}

/** All href values in the HTML, entity-decoded. */
export function hrefs(html: string): string[] {
  return [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => (m[1] ?? "").replace(/&amp;/g, "&"));
}

/**
 * Shared checks for untrusted recipient names in any rendered email: markup escaped, no CR/LF
 * reaching a place where a line could start a header, NUL and bidi overrides stripped.
 */
export function expectNameNeutralised(rendered: { subject: string; html: string; text: string }): void {
  expect(rendered.html).not.toContain("<script");
  expect(rendered.subject).not.toMatch(/[\r\n]/);
  expect(rendered.text).not.toMatch(/\r/);
  expect(rendered.text).not.toMatch(/^(Bcc|Subject):/m);
  expect(rendered.html).not.toMatch(/\r/);
  expect(`${rendered.html}${rendered.text}`).not.toContain("\u0000");
  expect(`${rendered.html}${rendered.text}`).not.toContain("\u202e");
}
