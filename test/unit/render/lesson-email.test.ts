import { describe, expect, it } from "vitest";
import { renderLessonEmail } from "../../../src/render/emails.ts";
import {
  DISTINCTIVE_SENTENCE,
  HOSTILE_NAMES,
  POSTAL_ADDRESS,
  PREFERENCES_URL,
  UNSUBSCRIBE_URL,
  course,
  expectNameNeutralised,
  hrefs,
  lesson,
  visibleText,
} from "./fixtures.ts";

function render(overrides: { name?: string | null; preferencesUrl?: string; webVersionUrl?: string; lesson?: ReturnType<typeof lesson> } = {}) {
  const c = course();
  return renderLessonEmail({
    course: c,
    lesson: overrides.lesson ?? lesson(),
    recipient: { email: "dana@example.com", name: overrides.name === undefined ? "Dana" : overrides.name },
    unsubscribeUrl: UNSUBSCRIBE_URL,
    ...(overrides.preferencesUrl ? { preferencesUrl: overrides.preferencesUrl } : {}),
    ...(overrides.webVersionUrl ? { webVersionUrl: overrides.webVersionUrl } : {}),
  });
}

describe("renderLessonEmail", () => {
  it("links to its web version in the footer of both parts, only when it has one", () => {
    const web = "https://lp.test/email/tok-web?a=1&b=2";
    const { html, text } = render({ webVersionUrl: web });
    expect(hrefs(html)).toContain(web);
    expect(visibleText(html)).toContain("View in your browser");
    expect(text).toContain(`View in your browser: ${web}\nUnsubscribe: ${UNSUBSCRIBE_URL}`);
    const without = render();
    expect(without.text).not.toContain("View in your browser");
    expect(visibleText(without.html)).not.toContain("View in your browser");
  });

  it("uses the lesson's subject line", () => {
    expect(render().subject).toBe("Lesson 2: Lanterns & harbours");
  });

  it("puts the lesson body, position, reading time and title in both parts", () => {
    const { html, text } = render();
    const visible = visibleText(html);
    for (const part of [visible, text]) {
      expect(part).toContain(DISTINCTIVE_SENTENCE);
      expect(part).toContain("Lesson 2 of 3");
      expect(part).toContain("4 min read");
      expect(part).toContain("Lanterns & Harbours");
      expect(part).toContain("Hi Dana,");
    }
    expect(html).toMatch(/<h1[^>]*>Lanterns &amp; Harbours<\/h1>/);
    expect(html).toMatch(/<em>hard<\/em>/);
    expect(html).toMatch(/<strong>worth it<\/strong>/);
  });

  it("is a complete HTML document with a single doctype and color-scheme metadata", () => {
    const { html } = render();
    expect(html.startsWith("<!DOCTYPE html PUBLIC")).toBe(true);
    expect(html.match(/<!DOCTYPE/gi)).toHaveLength(1);
    expect(html).toContain('<meta name="color-scheme" content="light dark"/>');
    expect(html).toContain('<meta name="supported-color-schemes" content="light dark"/>');
    expect(html).toContain("Why we count what we fear.");
  });

  it("credits the author, links the source and keeps the copyright line", () => {
    const { html, text } = render();
    expect(visibleText(html)).toContain("Written by Dr. Keren Sofer. Originally published on GoodTherapy.org.");
    expect(hrefs(html)).toContain("https://www.goodtherapy.org/blog/lanterns");
    expect(html).toContain("© Copyright 2007 - 2025 GoodTherapy.org. All rights reserved.");
    expect(text).toContain(
      "Written by Dr. Keren Sofer. Originally published on GoodTherapy.org (https://www.goodtherapy.org/blog/lanterns).",
    );
    expect(text).toContain("© Copyright 2007 - 2025 GoodTherapy.org. All rights reserved.");
  });

  it("names an unlinked source as plain text and omits a missing credit", () => {
    const { html, text } = render({
      lesson: lesson({ source: { name: "Dr. Keren Sofer's blog" }, credit: undefined }),
    });
    expect(visibleText(html)).toContain("Originally published on Dr. Keren Sofer's blog.");
    expect(hrefs(html).some((href) => href.includes("goodtherapy"))).toBe(false);
    expect(html).not.toContain("©");
    expect(text).toContain("Originally published on Dr. Keren Sofer's blog.");
    expect(text).not.toContain("©");
  });

  it("says why the reader gets it and carries unsubscribe link and postal address in both parts", () => {
    const { html, text } = render();
    const reason = "You’re receiving this because you signed up for The Harbour Course";
    expect(visibleText(html)).toContain(reason);
    expect(text).toContain(reason);
    expect(hrefs(html)).toContain(UNSUBSCRIBE_URL);
    expect(text).toContain(`Unsubscribe: ${UNSUBSCRIBE_URL}`);
    expect(visibleText(html)).toContain(POSTAL_ADDRESS);
    expect(text).toContain(POSTAL_ADDRESS);
  });

  it("adds the preferences link only when given", () => {
    expect(hrefs(render().html)).not.toContain(PREFERENCES_URL);
    expect(render().text).not.toContain("preferences");
    const withPrefs = render({ preferencesUrl: PREFERENCES_URL });
    expect(hrefs(withPrefs.html)).toContain(PREFERENCES_URL);
    expect(withPrefs.text).toContain(`Email preferences: ${PREFERENCES_URL}`);
  });

  it("greets anonymously when there is no usable name", () => {
    for (const name of [null, "", " \r\n\t "]) {
      const { html, text } = render({ name });
      expect(text).toContain("Hi there,");
      expect(visibleText(html)).toContain("Hi there,");
    }
  });

  it("escapes and neutralises hostile recipient names", () => {
    for (const name of HOSTILE_NAMES) expectNameNeutralised(render({ name }));
    const scripted = render({ name: HOSTILE_NAMES[0] });
    expect(scripted.html).toContain("Hi &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;Mallory,");
    const injected = render({ name: HOSTILE_NAMES[1] });
    expect(injected.text).toContain("Hi Eve Bcc: x@y,");
  });

  it("shortens absurdly long names and treats Unicode line separators as spaces", () => {
    const long = render({ name: `${"Ø".repeat(100)}👋` });
    expect(long.text).toContain(`Hi ${"Ø".repeat(63)}…,`);
    const separated = render({ name: "Ann\u2028To: x@y\u2029Lee" });
    expect(separated.text).toContain("Hi Ann To: x@y Lee,");
    expect(separated.text).not.toMatch(/[\u2028\u2029]/);
  });

  it("renders a plain-text part that reads like text, not stripped HTML", () => {
    const { text } = render();
    expect(text).not.toMatch(/<[a-z][^>]*>/i);
    expect(text).not.toMatch(/&(amp|lt|gt|quot|#\d+);/);
    expect(text).toContain("Lanterns & Harbours\n===================");
    expect(text).toContain(`${DISTINCTIVE_SENTENCE}\n\nIt is hard work, and worth it.`);
    expect(text.endsWith("\n")).toBe(true);
    expect(text).not.toMatch(/\n{3,}/);
  });

  it("reuses the Markdown work across recipients but still personalises each one", () => {
    const a = render({ name: "Ana" });
    const b = render({ name: "Bo" });
    expect(a.text).toContain("Hi Ana,");
    expect(b.text).toContain("Hi Bo,");
    expect(a.html.replace("Ana", "Bo")).toBe(b.html);
  });
});
