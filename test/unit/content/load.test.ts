import path from "node:path";
import { describe, expect, it } from "vitest";
import { importArticle } from "../../../src/content/import.ts";
import { ContentError, loadCourse, parseCourse } from "../../../src/content/load.ts";
import type { ContentFile } from "../../../src/content/load.ts";
import {
  ARTICLE_BLAME,
  ARTICLE_HEALING,
  ARTICLE_WHY_SO_HARD,
  copyFixture,
  lineOf,
  readArticle,
  shippedContentDir,
} from "./helpers.ts";

const COURSE_YAML = `slug: test-course
name: Test Course
description: A course for tests.
sender:
  name: Tester
postalAddress: 1 Test Road, Testville
schedule:
  sendHour: 9
graduation:
  subject: All done
`;

function lesson(fields: Record<string, string | number>, body = "Some body text for the lesson."): string {
  const defaults: Record<string, string | number> = {
    slug: "a-lesson",
    title: "A Lesson",
    subject: "A Lesson",
    preview: "A preview.",
    author: "Someone",
    day: 0,
  };
  const all = { ...defaults, ...fields };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v) : v}`);
  return `---\n${lines.join("\n")}\nsource:\n  name: Somewhere\n---\n\n${body}\n`;
}

/** Runs parseCourse and returns the `file:line: problem` lines it throws. */
function problems(files: ContentFile[]): string[] {
  try {
    parseCourse(files);
  } catch (error) {
    expect(error).toBeInstanceOf(ContentError);
    const issues = (error as ContentError).issues;
    expect((error as Error).message).toContain(`${issues[0]?.file}:${issues[0]?.line}: ${issues[0]?.message}`);
    return issues.map((i) => `${i.file}:${i.line}: ${i.message}`);
  }
  throw new Error("expected parseCourse to throw");
}

describe("the shipped course", () => {
  it("loads with three lessons a week apart and a graduation a week after the last", async () => {
    const course = await loadCourse(shippedContentDir);
    expect(course.slug).toBe("couples-therapy-up-close");
    expect(course.name).toBe("Couples Therapy, Up Close");
    expect(course.schedule).toEqual({
      sendHour: 9,
      weekdays: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      timezone: "UTC",
    });
    expect(course.postalAddress).toMatch(/\S/);
    expect(course.graduation.subject).toMatch(/\S/);
    expect(course.lessons.map((l) => [l.number, l.slug, l.day])).toEqual([
      [1, "why-is-this-so-hard", 0],
      [2, "blame-to-compassion", 7],
      [3, "different-stages-of-healing", 14],
    ]);
    expect(course.graduationDay).toBe(21);
    for (const l of course.lessons) {
      expect(l.readingMinutes).toBeGreaterThanOrEqual(1);
      expect(l.file).toBe(`lessons/${String(l.number).padStart(2, "0")}-${l.slug}.md`);
      expect(l.preview.length).toBeLessThanOrEqual(150);
    }
  });

  it("credits authors and sources as the articles do, inventing no URL", async () => {
    const [first, second, third] = (await loadCourse(shippedContentDir)).lessons;
    expect(first).toMatchObject({ author: "Dr. Keren Sofer", source: { name: "Dr. Keren Sofer's blog" } });
    expect(second).toMatchObject({ author: "Dr. Keren Sofer", source: { name: "Dr. Keren Sofer's blog" } });
    expect(first?.source.url).toBeUndefined();
    expect(second?.source.url).toBeUndefined();
    expect(third).toMatchObject({
      author: "GoodTherapy.org contributor",
      source: { name: "GoodTherapy.org", url: "https://www.goodtherapy.org" },
      credit: expect.stringMatching(/^© Copyright 2007 - 2025 GoodTherapy\.org\. All rights reserved\./),
    });
  });

  it("opens lesson 1 with our welcome, set apart from the article", async () => {
    const [first] = (await loadCourse(shippedContentDir)).lessons;
    const [welcome, articleStart] = first?.markdown.split("\n\n") ?? [];
    expect(welcome).toMatch(/^> \*Welcome to Couples Therapy, Up Close/);
    expect(articleStart?.startsWith("Couple therapy is really really hard.")).toBe(true);
  });

  it("keeps each article's text verbatim and without the repeated paragraph", async () => {
    const course = await loadCourse(shippedContentDir);
    const articles = [ARTICLE_WHY_SO_HARD, ARTICLE_BLAME, ARTICLE_HEALING];
    for (const [i, name] of articles.entries()) {
      const { body } = importArticle(await readArticle(name), name);
      const markdown = course.lessons[i]?.markdown ?? "";
      expect(markdown.endsWith(body)).toBe(true);
    }
    const third = course.lessons[2]?.markdown ?? "";
    expect(third.split("It’s important to note healing manifests").length).toBe(2);
    expect(third).not.toContain("©");
  });
});

describe("parseCourse", () => {
  it("orders lessons by day then file name and numbers them", () => {
    const course = parseCourse([
      { path: "course.yaml", text: COURSE_YAML },
      { path: "lessons/b.md", text: lesson({ slug: "b", day: 3 }) },
      { path: "lessons/a.md", text: lesson({ slug: "a", day: 3 }) },
      { path: "lessons/c.md", text: lesson({ slug: "c", day: 1 }) },
      { path: "notes.txt", text: "ignored" },
    ]);
    expect(course.lessons.map((l) => [l.number, l.slug, l.file])).toEqual([
      [1, "c", "lessons/c.md"],
      [2, "a", "lessons/a.md"],
      [3, "b", "lessons/b.md"],
    ]);
    expect(course.graduationDay).toBe(3 + 7);
    expect(course.schedule.weekdays).toHaveLength(7);
  });

  it("estimates reading time at 200 words a minute, at least one minute", () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ");
    const course = parseCourse([
      { path: "course.yaml", text: COURSE_YAML },
      { path: "lessons/01-a.md", text: lesson({ slug: "a", day: 0 }, "Hi.") },
      { path: "lessons/02-b.md", text: lesson({ slug: "b", day: 1 }, words(200)) },
      { path: "lessons/03-c.md", text: lesson({ slug: "c", day: 2 }, `${words(401)} [a link](https://example.com/not/words/at/all)`) },
    ]);
    expect(course.lessons.map((l) => l.readingMinutes)).toEqual([1, 1, 3]);
    expect(course.lessons[0]?.markdown).toBe("Hi.");
  });

  it("accepts Windows line endings and a byte order mark", () => {
    const text = `\uFEFF${lesson({ slug: "crlf" })}`.replace(/\n/g, "\r\n");
    const course = parseCourse([
      { path: "course.yaml", text: COURSE_YAML },
      { path: "lessons/01-crlf.md", text },
    ]);
    expect(course.lessons[0]?.slug).toBe("crlf");
    expect(course.lessons[0]?.markdown).toBe("Some body text for the lesson.");
  });

  it("reports a missing field at line 1 and a bad value at its own line", () => {
    const missing = lesson({ slug: "a" }).replace(/^author: .*\n/m, "");
    const badDay = lesson({ slug: "b" }).replace("day: 0", 'day: "seven"');
    expect(
      problems([
        { path: "course.yaml", text: COURSE_YAML },
        { path: "lessons/01-a.md", text: missing },
        { path: "lessons/02-b.md", text: badDay },
      ]),
    ).toEqual([
      'lessons/01-a.md:1: missing required field "author"',
      `lessons/02-b.md:${lineOf(badDay, "day:")}: "day": Invalid input: expected number, received string (got "seven")`,
    ]);
  });

  it("points at nested keys, unknown keys and bad slugs", () => {
    const text = lesson({ slug: "Bad Slug", dya: 4 }).replace("  name: Somewhere", "  name: Somewhere\n  url: ftp://example.com");
    const found = problems([
      { path: "course.yaml", text: COURSE_YAML },
      { path: "lessons/01-x.md", text },
    ]);
    expect(found).toEqual([
      `lessons/01-x.md:${lineOf(text, "slug:")}: "slug": must be lowercase words joined by hyphens, e.g. blame-to-compassion (got "Bad Slug")`,
      `lessons/01-x.md:${lineOf(text, "dya:")}: unknown field "dya" (allowed here: slug, title, subject, preview, author, source, credit, day)`,
    ]);

    const badUrl = lesson({ slug: "x" }).replace("  name: Somewhere", "  name: Somewhere\n  url: ftp://example.com");
    expect(problems([{ path: "course.yaml", text: COURSE_YAML }, { path: "lessons/01-x.md", text: badUrl }])).toEqual([
      `lessons/01-x.md:${lineOf(badUrl, "url:")}: "source.url" must be an http(s) URL, got "ftp://example.com"`,
    ]);
  });

  it("reports YAML syntax errors, missing and unclosed front matter", () => {
    // A key given twice is a YAML error, reported where the second one is.
    const broken = lesson({ slug: "a" }).replace('title: "A Lesson"', 'title: "A Lesson"\ntitle: "Again"');
    const found = problems([
      { path: "course.yaml", text: COURSE_YAML },
      { path: "lessons/01-a.md", text: broken },
      { path: "lessons/02-b.md", text: "Just text, no front matter.\n" },
      { path: "lessons/03-c.md", text: "---\nslug: c\ntitle: C\n\nBody without a closing line.\n" },
      { path: "lessons/04-d.md", text: lesson({ slug: "d", day: 4 }, "  ") },
    ]);
    expect(found).toHaveLength(4);
    expect(found[0]).toBe(`lessons/01-a.md:${lineOf(broken, 'title: "Again"')}: invalid YAML: Map keys must be unique`);
    expect(found[1]).toBe(
      "lessons/02-b.md:1: missing front matter: a lesson must start with a '---' line, YAML fields, and a closing '---' line",
    );
    expect(found[2]).toBe("lessons/03-c.md:1: front matter is not closed: add a '---' line after the fields");
    expect(found[3]).toBe("lessons/04-d.md:11: the lesson has no text after the front matter");
  });

  it("rejects duplicate slugs and importer placeholders", () => {
    const placeholder = lesson({ slug: "b", author: "TODO: author" });
    const dup = lesson({ slug: "a", day: 2 });
    expect(
      problems([
        { path: "course.yaml", text: COURSE_YAML },
        { path: "lessons/01-a.md", text: lesson({ slug: "a" }) },
        { path: "lessons/02-b.md", text: placeholder },
        { path: "lessons/03-a.md", text: dup },
      ]),
    ).toEqual([
      `lessons/02-b.md:${lineOf(placeholder, "author:")}: "author" is still a placeholder ("TODO: author"): replace it before publishing`,
      `lessons/03-a.md:${lineOf(dup, "slug:")}: duplicate slug "a": lessons/01-a.md already uses it`,
    ]);
  });

  it("validates course.yaml with line numbers and requires lessons", () => {
    const course = COURSE_YAML.replace("sendHour: 9", "sendHour: 25").replace("  name: Tester\n", "");
    expect(problems([{ path: "course.yaml", text: course }])).toEqual([
      "course.yaml:1: no lessons: add Markdown files under lessons/",
      `course.yaml:${lineOf(course, "sender:")}: "sender" is empty: expected object`,
      `course.yaml:${lineOf(course, "sendHour:")}: "schedule.sendHour": Too big: expected number to be <=23 (got 25)`,
    ]);
    expect(problems([{ path: "lessons/01-a.md", text: lesson({}) }])).toEqual([
      "course.yaml:1: missing: every course needs a course.yaml",
    ]);
  });
});

describe("loadCourse", () => {
  it("reads a course directory", async () => {
    const fixture = await copyFixture();
    try {
      const course = await loadCourse(fixture.dir);
      expect(course.slug).toBe("fixture-course");
      expect(course.sender.replyTo).toBe("hello@example.com");
      expect(course.lessons.map((l) => l.slug)).toEqual(["first-steps", "second-steps"]);
      expect(course.graduationDay).toBe(4 + 3);
    } finally {
      await fixture.cleanup();
    }
  });

  it("throws a ContentError whose message names the file and line inside the directory", async () => {
    const fixture = await copyFixture();
    try {
      const text = await fixture.edit("lessons/02-second-steps.md", "day: 4", "day: -1");
      const error = await loadCourse(fixture.dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContentError);
      const where = `${path.join(fixture.dir, "lessons/02-second-steps.md")}:${lineOf(text, "day:")}`;
      expect((error as ContentError).message).toContain(`${where}: "day": Too small: expected number to be >=0 (got -1)`);
    } finally {
      await fixture.cleanup();
    }
  });
});
