import { resolve } from "node:path";
import fc from "fast-check";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../../src/content/load.ts";
import type { Course, Lesson } from "../../../src/content/schema.ts";
import { renderGraduationEmail, renderLessonEmail, renderNewsletterEmail } from "../../../src/render/emails.ts";
import {
  clearTemplateCache,
  placeholderTokens,
  preEncodedTextOf,
  renderGraduationEmailFast,
  renderLessonEmailFast,
  renderNewsletterEmailFast,
  templateCacheStats,
} from "../../../src/render/personalize.ts";
import type { RenderedEmail } from "../../../src/render/types.ts";
import { HOSTILE_NAMES, course as fixtureCourse, lesson as fixtureLesson } from "./fixtures.ts";

/**
 * The production path must be byte-identical to a per-recipient React render, for every reader.
 * The per-recipient renderers in emails.ts are the oracle; each property compares against them.
 */

const CONTENT_DIR = resolve(import.meta.dirname, "../../../content/couples-therapy-up-close");
const tokens = placeholderTokens();

let realCourse: Course;
beforeAll(async () => {
  realCourse = await loadCourse(CONTENT_DIR);
});
beforeEach(() => {
  clearTemplateCache();
});

// -- Readers ------------------------------------------------------------------------------------

/** Names that have broken naive substitution schemes somewhere. */
const NASTY_NAMES = [
  ...HOSTILE_NAMES,
  "<script>alert(1)</script>",
  "O'Brien & \"Sons\" <b>",
  "&amp; &lt;b&gt; &#x27;",
  "$&",
  "$'",
  "$`",
  "$1$2$<name>",
  "$$",
  "Ann\r\nBcc: x@y",
  "Ann\u2028To: x@y\u2029Lee",
  "  \t ",
  "",
  tokens.name,
  tokens.unsubscribeUrl,
  tokens.preferencesUrl,
  `${tokens.name} ${tokens.unsubscribeUrl}${tokens.preferencesUrl}`,
  tokens.webVersionUrl,
  tokens.joinNextUrl,
  tokens.lessonUrl,
  `${tokens.lessonUrl}2x ${tokens.webVersionUrl}`,
  `lp${"0".repeat(24)}n`,
  "{{name}} %NAME% ${name}",
  "👋".repeat(70),
  `${"Ø".repeat(100)}👋`,
  "\uD800 lone surrogate",
];

const nameArb: fc.Arbitrary<string | null | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_NAMES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...NASTY_NAMES), fc.string({ maxLength: 10 }))
      .map((parts) => parts.join("")),
  },
);

/** URLs like the ones compose.ts builds, plus every character HTML escaping cares about. */
const plainUrlArb: fc.Arbitrary<string> = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(
      fc.constantFrom("https://", "http://", "HTTPS://"),
      fc.stringMatching(/^[^\s]{0,60}$/),
      fc.constantFrom("", "?a=1&b=2", "?x='1'&y=\"<2>\"", `?t=${tokens.name}&u=${tokens.unsubscribeUrl}`, "&amp;$&"),
    )
    .map((parts) => parts.join("")),
);

/** URLs React or the text part would alter; these must take the per-recipient render. */
const oddUrlArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(2)",
    "https://lp.test/u/x ",
    " https://lp.test/u/x",
    "https://lp.test/u/x\n",
    "https://lp.test/u x",
    "mailto:x@lp.test",
    tokens.unsubscribeUrl,
  ),
  fc.string({ maxLength: 30 }),
);

const urlArb = fc.oneof({ weight: 5, arbitrary: plainUrlArb }, { weight: 1, arbitrary: oddUrlArb });

interface Reader {
  name: string | null | undefined;
  unsubscribeUrl: string;
  preferencesUrl: string | undefined;
  webVersionUrl?: string | undefined;
}

const readerArb: fc.Arbitrary<Reader> = fc.record({
  name: nameArb,
  unsubscribeUrl: urlArb,
  preferencesUrl: fc.option(urlArb, { nil: undefined }),
  // Mostly plain, as compose.ts makes it, so most readers still take substitution.
  webVersionUrl: fc.option(fc.oneof({ weight: 9, arbitrary: plainUrlArb }, { weight: 1, arbitrary: oddUrlArb }), { nil: undefined }),
});

function personal(reader: Reader) {
  return {
    recipient: reader.name === undefined ? { email: "r@lp.test" } : { email: "r@lp.test", name: reader.name },
    unsubscribeUrl: reader.unsubscribeUrl,
    ...(reader.preferencesUrl === undefined ? {} : { preferencesUrl: reader.preferencesUrl }),
    ...(reader.webVersionUrl === undefined ? {} : { webVersionUrl: reader.webVersionUrl }),
  };
}

/** Graduation's links to each lesson's web version: "" where the reader was never sent one. */
const lessonLinksArb: fc.Arbitrary<string[]> = fc.array(
  fc.oneof({ weight: 3, arbitrary: plainUrlArb }, { weight: 2, arbitrary: fc.constant("") }, { weight: 1, arbitrary: oddUrlArb }),
  { maxLength: 14 },
);

function expectIdentical(fast: RenderedEmail, naive: RenderedEmail): void {
  // Compared part by part so a failure names the part rather than dumping both emails.
  expect(fast.subject).toBe(naive.subject);
  expect(fast.text).toBe(naive.text);
  expect(fast.html).toBe(naive.html);
  // A substituted email also carries its html and text as encoded JSON pieces for batch bodies:
  // joined, they must be exactly what JSON.stringify and UTF-8 make of the whole.
  const encoded = preEncodedTextOf(fast);
  if (encoded) {
    expect(Buffer.concat(encoded.textPieces())).toEqual(Buffer.from(JSON.stringify(fast.text).slice(1, -1)));
    expect(Buffer.concat(encoded.htmlPieces())).toEqual(Buffer.from(JSON.stringify(fast.html).slice(1, -1)));
  }
}

const RUNS = 150;

// -- Byte identity --------------------------------------------------------------------------------

describe("renderLessonEmailFast", () => {
  it("is byte-identical to renderLessonEmail for every lesson of the real course and any reader", () => {
    expect(realCourse.lessons.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.nat({ max: realCourse.lessons.length - 1 }), readerArb, (index, reader) => {
        const input = { course: realCourse, lesson: realCourse.lessons[index] as Lesson, ...personal(reader) };
        expectIdentical(renderLessonEmailFast(input), renderLessonEmail(input));
      }),
      { numRuns: RUNS * 2 },
    );
    // Most readers went through substitution, not the fallback, or this proved nothing.
    const stats = templateCacheStats();
    expect(stats.hits).toBeGreaterThan(stats.fallbacks);
  });

  it("hands a substituted reader's email its encoded pieces, and none to an email rendered for one reader alone", () => {
    const input = { course: realCourse, lesson: realCourse.lessons[0] as Lesson, ...personal({ name: "Zoë \"Z\" 👋", unsubscribeUrl: "https://lp.test/u/1?a=1&b=2", preferencesUrl: undefined }) };
    const fast = renderLessonEmailFast(input);
    expectIdentical(fast, renderLessonEmail(input));
    expect(preEncodedTextOf(fast)).toBeDefined();
    expect(preEncodedTextOf(renderLessonEmail(input))).toBeUndefined();
  });

  it("is byte-identical for the fixture course, with and without a credit or linked source", () => {
    const c = fixtureCourse();
    fc.assert(
      fc.property(fc.constantFrom(...c.lessons), readerArb, (lesson, reader) => {
        const input = { course: c, lesson, ...personal(reader) };
        expectIdentical(renderLessonEmailFast(input), renderLessonEmail(input));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("renderGraduationEmailFast", () => {
  it("is byte-identical to renderGraduationEmail, including the name-length title underline", () => {
    const noReplyTo = fixtureCourse({ sender: { name: "Harbour Letters" } });
    fc.assert(
      fc.property(fc.constantFrom(realCourse, fixtureCourse(), noReplyTo), readerArb, (c, reader) => {
        const input = { course: c, ...personal(reader) };
        expectIdentical(renderGraduationEmailFast(input), renderGraduationEmail(input));
      }),
      { numRuns: RUNS * 2 },
    );
    const stats = templateCacheStats();
    expect(stats.hits).toBeGreaterThan(stats.fallbacks);
  });

  it("is byte-identical with the next course's join button, for any join link or none", () => {
    const next = { name: "Evening & <Review>", description: "Two \"short\" lessons $& more." };
    fc.assert(
      fc.property(fc.constantFrom(realCourse, fixtureCourse()), readerArb, fc.option(urlArb, { nil: undefined }), (c, reader, joinNextUrl) => {
        const input = { course: c, ...personal(reader), next, ...(joinNextUrl === undefined ? {} : { joinNextUrl }) };
        const fast = renderGraduationEmailFast(input);
        expectIdentical(fast, renderGraduationEmail(input));
        if (joinNextUrl && /^https?:\/\/\S*$/i.test(joinNextUrl)) expect(fast.text).toContain(`Join ${next.name}:\n${joinNextUrl}`);
      }),
      { numRuns: RUNS * 2 },
    );
    // Random links often need the per-reader render, so the counters above say nothing certain:
    // an ordinary reader with an ordinary join link must take the template.
    const plain = (id: string) => ({ course: realCourse, recipient: { email: "r@lp.test", name: "Dana" }, unsubscribeUrl: `https://lp.test/u/${id}`, next, joinNextUrl: `https://lp.test/join/${id}` });
    renderGraduationEmailFast(plain("first"));
    const before = templateCacheStats();
    expectIdentical(renderGraduationEmailFast(plain("second")), renderGraduationEmail(plain("second")));
    expect(templateCacheStats()).toMatchObject({ hits: before.hits + 1, fallbacks: before.fallbacks, builds: before.builds });
  });

  it("is byte-identical with links to the reader's own lessons, any of them missing", () => {
    fc.assert(
      fc.property(fc.constantFrom(realCourse, fixtureCourse()), readerArb, lessonLinksArb, (c, reader, lessonWebVersionUrls) => {
        const input = { course: c, ...personal(reader), lessonWebVersionUrls };
        expectIdentical(renderGraduationEmailFast(input), renderGraduationEmail(input));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("substitutes each reader's lesson links into their own copy, one template per set of linked lessons", () => {
    const c = fixtureCourse();
    const readers = Array.from({ length: 40 }, (_, i) => ({
      id: `grd${String(i).padStart(3, "0")}x`,
      // Readers 0, 4, 8… lack lesson 2; the rest have all three.
      urls: c.lessons.map((_, n) => (i % 4 === 0 && n === 1 ? "" : `https://lp.test/email/grd${String(i).padStart(3, "0")}x-${n}?a=1&b=2`)),
    }));
    const outputs = readers.map((r) =>
      renderGraduationEmailFast({ course: c, recipient: { email: "r@lp.test", name: "Dana" }, unsubscribeUrl: `https://lp.test/u/${r.id}`, webVersionUrl: `https://lp.test/email/${r.id}`, lessonWebVersionUrls: r.urls }),
    );
    readers.forEach((r, i) => {
      const input = { course: c, recipient: { email: "r@lp.test", name: "Dana" }, unsubscribeUrl: `https://lp.test/u/${r.id}`, webVersionUrl: `https://lp.test/email/${r.id}`, lessonWebVersionUrls: r.urls };
      const output = outputs[i] as RenderedEmail;
      expectIdentical(output, renderGraduationEmail(input));
      for (const other of readers) if (other !== r) expect(`${output.html}${output.text}`).not.toContain(other.id);
      for (const url of r.urls.filter(Boolean)) expect(output.html).toContain(`href="${url.replace(/&/g, "&amp;")}"`);
      expect(output.text.includes(`${c.lessons[1]!.title} (${c.lessons[1]!.author})\n   https://`)).toBe(i % 4 !== 0);
    });
    expect(templateCacheStats()).toMatchObject({ builds: 2, fallbacks: 0, hits: readers.length - 2 });
  });

  it("underlines titles of every length, past the 72-character cap", () => {
    for (const name of ["A", "Bo", "x".repeat(40), "y".repeat(64), "👋".repeat(30), "Ø".repeat(100)]) {
      const input = { course: realCourse, recipient: { email: "r@lp.test", name }, unsubscribeUrl: "https://lp.test/u/1" };
      expectIdentical(renderGraduationEmailFast(input), renderGraduationEmail(input));
    }
  });
});

const TRICKY_MARKDOWN = [
  "# Harbour notes & <news>",
  "The gulls have *opinions* about the new **pier**; so do $& and $1 and $` and $'.",
  "<script>alert('pwned')</script>",
  'Inline <img src=x onerror="alert(1)"> markup, &amp; &copy; &#x27; entities and a literal &.',
  "[Click me](javascript:alert(3)) and [Safe page](https://lp.test/read?x=1&y=2) or [write](mailto:hi@lp.test).",
  "Placeholder-looking text: lp000000000000000000000000n {{name}} %UNSUBSCRIBE%.",
  "```\nif (a < b && c) { return \"<tag>\"; }\n```",
  "> Quoted\n> twice",
  "1. one\n2. two\n   - nested $&",
].join("\n\n");

describe("renderNewsletterEmailFast", () => {
  it("is byte-identical to renderNewsletterEmail for tricky Markdown and subjects", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(TRICKY_MARKDOWN, "", "Just one line.", realCourse.lessons[0]?.markdown ?? ""),
        fc.constantFrom("Harbour notes, June", "Notes & <news> $& 'quoted'", "Hello\r\nBcc: everyone@lp.test"),
        readerArb,
        (markdown, subject, reader) => {
          const input = { course: realCourse, subject, markdown, ...personal(reader) };
          expectIdentical(renderNewsletterEmailFast(input), renderNewsletterEmail(input));
        },
      ),
      { numRuns: RUNS * 2 },
    );
    const stats = templateCacheStats();
    expect(stats.hits).toBeGreaterThan(stats.fallbacks);
  });

  it("never substitutes into content that contains a live placeholder token", () => {
    const reader = { name: "Dana", unsubscribeUrl: "https://lp.test/u/1?a=1&b=2", preferencesUrl: "https://lp.test/p/1" };
    for (const [subject, markdown] of [
      ["Plain subject", `Body mentioning ${tokens.name} and ${tokens.unsubscribeUrl}.`],
      [`Subject with ${tokens.preferencesUrl}`, "Plain body."],
    ] as const) {
      const input = { course: realCourse, subject, markdown, ...personal(reader) };
      expectIdentical(renderNewsletterEmailFast(input), renderNewsletterEmail(input));
    }
    expect(templateCacheStats().rejected).toBe(2);
  });
});

// -- Isolation between readers -----------------------------------------------------------------

describe("per-reader substitution", () => {
  it("keeps each reader's values in that reader's copy, even when names carry other readers' URLs and tokens", () => {
    const lesson = realCourse.lessons[0] as Lesson;
    const readers = Array.from({ length: 60 }, (_, i) => ({
      id: `rdr${String(i).padStart(3, "0")}x`,
      unsubscribeUrl: `https://lp.test/unsubscribe/rdr${String(i).padStart(3, "0")}x?c=1&l=2`,
      preferencesUrl: `https://lp.test/preferences/rdr${String(i).padStart(3, "0")}x`,
    }));
    const names = readers.map((_, i) => {
      const other = readers[(i + 7) % readers.length];
      if (i % 4 === 0) return `Ann ${other?.unsubscribeUrl}`;
      if (i % 4 === 1) return `${tokens.unsubscribeUrl}$&${tokens.name}`;
      if (i % 4 === 2) return null;
      return "Bo";
    });
    // Interleaved, as a send batch would be, so any state shared between readers would show.
    const outputs = readers.map((reader, i) =>
      renderLessonEmailFast({ course: realCourse, lesson, recipient: { email: "r@lp.test", name: names[i] }, ...reader }),
    );
    readers.forEach((reader, i) => {
      const input = { course: realCourse, lesson, recipient: { email: "r@lp.test", name: names[i] }, ...reader };
      const output = outputs[i] as RenderedEmail;
      expectIdentical(output, renderLessonEmail(input));
      const strangers = readers.filter((other) => other !== reader && !(names[i] ?? "").includes(other.id));
      for (const other of strangers) expect(`${output.html}${output.text}`).not.toContain(other.id);
      expect(output.text).toContain(`Unsubscribe: ${reader.unsubscribeUrl}`);
      expect(output.html).toContain(`href="${reader.unsubscribeUrl.replace(/&/g, "&amp;")}"`);
    });
    // Two variants (with a name, "Hi there,") for the one lesson; everything else was substituted.
    expect(templateCacheStats()).toMatchObject({ builds: 2, fallbacks: 0, hits: readers.length - 2 });
  });

  it("escapes names exactly as React does in the HTML and keeps them raw in the text", () => {
    const input = {
      course: realCourse,
      lesson: realCourse.lessons[0] as Lesson,
      recipient: { email: "r@lp.test", name: `<b>O'Brien</b> & "Co" $&` },
      unsubscribeUrl: "https://lp.test/u/1",
    };
    const { html, text } = renderLessonEmailFast(input);
    expect(html).toContain("Hi &lt;b&gt;O&#x27;Brien&lt;/b&gt; &amp; &quot;Co&quot; $&amp;,");
    expect(text).toContain(`Hi <b>O'Brien</b> & "Co" $&,`);
    expect(templateCacheStats().fallbacks).toBe(0);
  });
});

// -- Cache -----------------------------------------------------------------------------------------

describe("template cache", () => {
  const reader = { name: "Dana", unsubscribeUrl: "https://lp.test/u/1?a=1&b=2", preferencesUrl: "https://lp.test/p/1" };

  it("renders once per version and variant, then only substitutes", () => {
    const lesson = realCourse.lessons[0] as Lesson;
    for (let i = 0; i < 50; i++) {
      renderLessonEmailFast({
        course: realCourse,
        lesson,
        recipient: { email: "r@lp.test", name: i % 5 === 0 ? null : `Reader ${i}` },
        unsubscribeUrl: `https://lp.test/u/${i}`,
        ...(i % 2 ? { preferencesUrl: `https://lp.test/p/${i}` } : {}),
      });
    }
    // name × preferences link: four variants, each rendered once.
    expect(templateCacheStats()).toMatchObject({ builds: 4, hits: 46, fallbacks: 0, rejected: 0, size: 4 });
  });

  it("takes the per-recipient render for URLs substitution could not reproduce", () => {
    const lesson = realCourse.lessons[0] as Lesson;
    for (const unsubscribeUrl of ["javascript:alert(1)", "https://lp.test/u/1 ", "\thttps://lp.test/u/1"]) {
      const input = { course: realCourse, lesson, recipient: { email: "r@lp.test", name: "Dana" }, unsubscribeUrl };
      expectIdentical(renderLessonEmailFast(input), renderLessonEmail(input));
    }
    expect(templateCacheStats()).toMatchObject({ fallbacks: 3, builds: 0 });
  });

  /** Every field a template reads, changed one at a time after the original is cached. */
  const lessonEdits: [string, (c: Course, l: Lesson) => [Course, Lesson]][] = [
    ["course name", (c, l) => [{ ...c, name: `${c.name} II` }, l]],
    ["publisher", (c, l) => [{ ...c, publisher: "Someone Else" }, l]],
    ["footer line", (c, l) => [{ ...c, footer: "You joined at harbour.example." }, l]],
    ["postal address", (c, l) => [{ ...c, postalAddress: "Elsewhere 1\nTown" }, l]],
    ["lesson count", (c, l) => [{ ...c, lessons: [...c.lessons, l] }, l]],
    ["number", (c, l) => [c, { ...l, number: l.number + 1 }]],
    ["title", (c, l) => [c, { ...l, title: `${l.title}!` }]],
    ["subject", (c, l) => [c, { ...l, subject: `${l.subject}!` }]],
    ["preview", (c, l) => [c, { ...l, preview: `${l.preview}!` }]],
    ["author", (c, l) => [c, { ...l, author: "A. N. Other" }]],
    ["source name", (c, l) => [c, { ...l, source: { ...l.source, name: "Elsewhere" } }]],
    ["source url", (c, l) => [c, { ...l, source: { ...l.source, url: "https://elsewhere.test/a" } }]],
    ["credit", (c, l) => [c, { ...l, credit: "© Someone" }]],
    ["markdown", (c, l) => [c, { ...l, markdown: `${l.markdown}\n\nOne more line.` }]],
    ["reading minutes", (c, l) => [c, { ...l, readingMinutes: l.readingMinutes + 5 }]],
  ];

  it.each(lessonEdits)("serves a new lesson version when the %s changes", (_field, edit) => {
    const baseCourse = fixtureCourse();
    const baseLesson = fixtureLesson();
    const base = renderLessonEmailFast({ course: baseCourse, lesson: baseLesson, ...personal(reader) });
    const [course, lesson] = edit(baseCourse, baseLesson);
    const edited = renderLessonEmailFast({ course, lesson, ...personal(reader) });
    expectIdentical(edited, renderLessonEmail({ course, lesson, ...personal(reader) }));
    expect(edited).not.toEqual(base);
  });

  it("never serves one course's template for another's lesson, even when every word is the same", () => {
    const lesson = fixtureLesson();
    const first = fixtureCourse();
    const twin = fixtureCourse({ slug: "harbour-course-twin" });
    renderLessonEmailFast({ course: first, lesson, ...personal(reader) });
    renderLessonEmailFast({ course: twin, lesson, ...personal(reader) });
    expect(templateCacheStats()).toMatchObject({ builds: 2, hits: 0 });
    const other = fixtureCourse({ slug: "dusk", name: "Dusk Course", publisher: "Dusk Notes", footer: "You joined at dusk.example.", postalAddress: "Dusk Notes GmbH, Berlin" });
    const dusk = renderLessonEmailFast({ course: other, lesson, ...personal(reader) });
    const harbour = renderLessonEmailFast({ course: first, lesson, ...personal(reader) });
    for (const part of [dusk.html, dusk.text]) {
      expect(part).toContain("Dusk Notes GmbH, Berlin");
      expect(part).toContain("You joined at dusk.example.");
      expect(part).not.toContain("Harbour Letters");
    }
    expect(harbour.text).not.toContain("Dusk");
  });

  it("notices a lesson edited in place on the same objects", () => {
    const course = fixtureCourse();
    const lesson = course.lessons[1] as Lesson;
    renderLessonEmailFast({ course, lesson, ...personal(reader) });
    lesson.markdown = "Rewritten in place.";
    lesson.source.name = "Renamed in place";
    course.postalAddress = "Moved in place";
    expectIdentical(
      renderLessonEmailFast({ course, lesson, ...personal(reader) }),
      renderLessonEmail({ course, lesson, ...personal(reader) }),
    );
  });

  const graduationEdits: [string, (c: Course) => Course][] = [
    ["graduation subject", (c) => ({ ...c, graduation: { ...c.graduation, subject: "Done!" } })],
    ["reply-to", (c) => ({ ...c, sender: { name: c.sender.name } })],
    ["a lesson title", (c) => ({ ...c, lessons: c.lessons.map((l, i) => (i === 1 ? { ...l, title: "Renamed" } : l)) })],
    ["a lesson author", (c) => ({ ...c, lessons: c.lessons.map((l, i) => (i === 2 ? { ...l, author: "Someone" } : l)) })],
    ["the lesson list", (c) => ({ ...c, lessons: c.lessons.slice(1) })],
  ];

  it.each(graduationEdits)("serves a new graduation version when %s changes", (_field, edit) => {
    const base = renderGraduationEmailFast({ course: fixtureCourse(), ...personal(reader) });
    const course = edit(fixtureCourse());
    const edited = renderGraduationEmailFast({ course, ...personal(reader) });
    expectIdentical(edited, renderGraduationEmail({ course, ...personal(reader) }));
    expect(edited).not.toEqual(base);
  });

  it("serves a new newsletter version when the subject or Markdown changes", () => {
    const versions = [
      ["Notes", "Body one."],
      ["Notes", "Body two."],
      ["Notes, again", "Body two."],
    ] as const;
    const outputs = versions.map(([subject, markdown]) => {
      const input = { course: realCourse, subject, markdown, ...personal(reader) };
      const output = renderNewsletterEmailFast(input);
      expectIdentical(output, renderNewsletterEmail(input));
      return output.html;
    });
    expect(new Set(outputs).size).toBe(3);
  });

  it("stays within its bound, evicting the least recently used version", () => {
    const { max } = templateCacheStats();
    const render = (i: number) =>
      renderNewsletterEmailFast({ course: realCourse, subject: `Issue ${i}`, markdown: "Short.", ...personal(reader) });
    for (let i = 0; i <= max + 5; i++) {
      render(i);
      render(0); // Issue 0 stays the most recently used, so it must survive.
    }
    const stats = templateCacheStats();
    expect(stats.size).toBe(max);
    const builds = stats.builds;
    render(0);
    expect(templateCacheStats().builds).toBe(builds);
    const input = { course: realCourse, subject: "Issue 1", markdown: "Short.", ...personal(reader) };
    expectIdentical(renderNewsletterEmailFast(input), renderNewsletterEmail(input));
    expect(templateCacheStats().builds).toBe(builds + 1);
  });
});
