import matter from "gray-matter";
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { checkCourseFiles } from "../../../src/content/check.ts";
import {
  AUTHOR_PLACEHOLDER,
  escapeMarkdown,
  importArticle,
  makePreview,
  slugify,
  splitFooter,
  TITLE_PLACEHOLDER,
} from "../../../src/content/import.ts";
import { lessonFrontMatterSchema } from "../../../src/content/schema.ts";
import { ARTICLE_BLAME, ARTICLE_HEALING, ARTICLE_WHY_SO_HARD, fakeRender, lineOf, readArticle } from "./helpers.ts";

const HEALING_CREDIT =
  "© Copyright 2007 - 2025 GoodTherapy.org. All rights reserved. The preceding article was solely written by the author named above. Any views and opinions expressed are not necessarily shared by GoodTherapy.org.";

const COURSE_YAML = `slug: draft-course
name: Draft Course
description: For testing drafts.
sender: { name: Tester }
postalAddress: 1 Test Road
schedule: {}
graduation: { subject: Done }
`;

function frontMatterOf(markdown: string): Record<string, unknown> {
  return matter(markdown).data;
}

describe("importArticle on the real articles", () => {
  it("takes author and title from the byline article and keeps every paragraph", async () => {
    const text = await readArticle(ARTICLE_WHY_SO_HARD);
    const { report, frontMatter, body, markdown } = importArticle(text, ARTICLE_WHY_SO_HARD, { day: 3 });

    expect(report.author).toBe("Dr. Keren Sofer");
    expect(report.title).toBe("“Why Is This So Hard?” A closer look at couples therapy");
    expect(report.credit).toBeUndefined();
    // Opening paragraph, four questions, four more paragraphs.
    expect(report.paragraphCount).toBe(9);
    expect(report.removedDuplicates).toEqual([]);
    expect(report.warnings).toEqual([]);

    expect(frontMatter).toMatchObject({
      slug: "why-is-this-so-hard-a-closer-look-at-couples-therapy",
      subject: report.title,
      author: "Dr. Keren Sofer",
      source: { name: "Dr. Keren Sofer's blog" },
      day: 3,
    });
    expect(frontMatter.source).not.toHaveProperty("url");
    expect(frontMatter.preview).toBe(
      "Couple therapy is really really hard. Some couples might even call it excruciating at times. Why?",
    );
    expect(body).not.toContain("Blog: insights from");
    expect(body.startsWith("Couple therapy is really really hard.")).toBe(true);
    expect(body.split("\n\n")).toHaveLength(9);

    const parsed = lessonFrontMatterSchema.safeParse(frontMatterOf(markdown));
    expect(parsed.success).toBe(true);
  });

  it("quotes a title with a colon so the front matter stays valid YAML", async () => {
    const text = await readArticle(ARTICLE_BLAME);
    const { report, markdown } = importArticle(text, ARTICLE_BLAME);

    expect(report.author).toBe("Dr. Keren Sofer");
    expect(report.title).toBe("Couples Therapy: Shifting from Blame to Compassion");
    expect(report.paragraphCount).toBe(8);
    expect(report.warnings).toEqual([]);
    const data = frontMatterOf(markdown);
    expect(data.title).toBe("Couples Therapy: Shifting from Blame to Compassion");
    expect(data.slug).toBe("couples-therapy-shifting-from-blame-to-compassion");
    expect(String(data.preview).length).toBeLessThanOrEqual(150);
    expect(lessonFrontMatterSchema.safeParse(data).success).toBe(true);
  });

  it("splits off the glued footer as credit, drops the repeated paragraph and flags the missing title and author", async () => {
    const text = await readArticle(ARTICLE_HEALING);
    const { report, frontMatter, body } = importArticle(text, ARTICLE_HEALING);

    expect(report.credit).toBe(HEALING_CREDIT);
    expect(frontMatter.credit).toBe(HEALING_CREDIT);
    expect(body).not.toMatch(/©|All rights reserved|preceding article/);
    expect(body.trimEnd().endsWith("feel safe, connected, and finally at home.")).toBe(true);

    // Ten body lines, one of which is pasted again (with a sentence more) right after itself.
    expect(report.removedDuplicates).toHaveLength(1);
    expect(report.removedDuplicates[0]).toMatchObject({ paragraph: 5, duplicateOf: 6, kind: "prefix" });
    expect(report.removedDuplicates[0]?.text.startsWith("It’s important to note healing manifests in various ways.")).toBe(true);
    expect(report.paragraphCount).toBe(9);
    expect(body.split("It’s important to note healing manifests in various ways.")).toHaveLength(2);
    expect(body).toContain("individualized needs and development. Together, you can decide how to create a joint path");

    expect(report.author).toBeUndefined();
    expect(report.title).toBeUndefined();
    expect(report.warnings.some((w) => w.includes("no author found"))).toBe(true);
    expect(report.warnings.some((w) => w.includes("no title found"))).toBe(true);
    expect(frontMatter).toMatchObject({ title: TITLE_PLACEHOLDER, subject: TITLE_PLACEHOLDER, author: AUTHOR_PLACEHOLDER });
    expect(frontMatter.slug).toBe("todo-title");
    expect(frontMatter.source.name).toBe("GoodTherapy.org");
    expect(report.changes.join("\n")).toMatch(/took the source name "GoodTherapy.org" from the copyright line/);
  });

  it("never changes the words: every draft paragraph is a paragraph of the original", async () => {
    for (const name of [ARTICLE_WHY_SO_HARD, ARTICLE_BLAME, ARTICLE_HEALING]) {
      const text = await readArticle(name);
      const sourceParagraphs = new Set(text.split(/\n+/).map((p) => p.trim()));
      const { body } = importArticle(text, name);
      for (const paragraph of body.split("\n\n")) expect(sourceParagraphs.has(paragraph)).toBe(true);
    }
  });

  it("writes a draft that content:check rejects until the placeholders are replaced", async () => {
    const text = await readArticle(ARTICLE_HEALING);
    const { markdown } = importArticle(text, ARTICLE_HEALING);
    const report = await checkCourseFiles(
      [
        { path: "course.yaml", text: COURSE_YAML },
        { path: "lessons/01-todo-title.md", text: markdown },
      ],
      { render: fakeRender },
    );
    expect(report.ok).toBe(false);
    const messages = report.issues.map((i) => `${i.file}:${i.line}: ${i.message}`);
    expect(messages).toContain(
      `lessons/01-todo-title.md:${lineOf(markdown, "title:")}: "title" is still a placeholder ("TODO: title"): replace it before publishing`,
    );
    expect(messages).toContain(
      `lessons/01-todo-title.md:${lineOf(markdown, "author:")}: "author" is still a placeholder ("TODO: author"): replace it before publishing`,
    );
    expect(messages).toContain(
      `lessons/01-todo-title.md:${lineOf(markdown, "slug:")}: "slug" is still a placeholder ("todo-title"): replace it before publishing`,
    );
  });
});

describe("importArticle rules", () => {
  it("warns and uses placeholders when a byline has no title after it", () => {
    const { report, frontMatter } = importArticle("Blog: insights from Jane Roe\n\n", "empty.txt");
    expect(report.author).toBe("Jane Roe");
    expect(report.title).toBeUndefined();
    expect(frontMatter.title).toBe(TITLE_PLACEHOLDER);
    expect(report.warnings).toEqual(expect.arrayContaining([expect.stringContaining("no title found"), expect.stringContaining("no body text")]));
  });

  it("removes exact duplicate paragraphs and reports them", () => {
    const text = [
      "Blog: insights from Jane Roe",
      "",
      "A Title",
      "",
      "First paragraph says one thing.",
      "",
      "Second paragraph says another.",
      "",
      "First paragraph says one thing.",
    ].join("\n");
    const { report, body } = importArticle(text, "dup.txt");
    expect(report.removedDuplicates).toEqual([{ paragraph: 3, duplicateOf: 1, kind: "exact", text: "First paragraph says one thing." }]);
    expect(body).toBe("First paragraph says one thing.\n\nSecond paragraph says another.");
    expect(report.changes).toContain("removed paragraph 3: exact repeat of paragraph 1");
  });

  it("splits a footer glued to the last sentence and keeps a mid-article copyright sentence", () => {
    const paragraphs = [
      "Copyright 2019 rulings changed how articles are shared. That matters here.",
      "Last words of the article.© 2024 Example Media. All rights reserved.",
    ];
    const { body, credit } = splitFooter(paragraphs);
    expect(body).toEqual([paragraphs[0], "Last words of the article."]);
    expect(credit).toBe("© 2024 Example Media. All rights reserved.");
  });

  it("collects a footer spread over several trailing lines", () => {
    const { body, credit } = splitFooter(["Body text.", "© 2024 Example Media.", "All rights reserved.The preceding article was written by a guest."]);
    expect(body).toEqual(["Body text."]);
    expect(credit).toBe("© 2024 Example Media. All rights reserved. The preceding article was written by a guest.");
  });

  it("treats single newlines as paragraph breaks only when the text has no blank lines", () => {
    const wrapped = "Blog: insights from Jane Roe\n\nTitle\n\nA hard-wrapped\nparagraph.\n\nAnother one.";
    expect(importArticle(wrapped, "a.txt").report.paragraphCount).toBe(2);
    const flat = "Line one is a paragraph.\nLine two is another.\nLine three too.";
    expect(importArticle(flat, "b.txt").report.paragraphCount).toBe(3);
  });

  it("escapes Markdown syntax so the text renders as written, leaving URLs intact", () => {
    const raw = "# not a heading *not emphasis* [not a link] see https://example.com/a_b_c";
    const { text, count } = escapeMarkdown(raw);
    expect(count).toBeGreaterThan(0);
    expect(text).toContain("https://example.com/a_b_c");
    const html = marked.parse(text, { async: false });
    expect(html).not.toMatch(/<h1|<em>/);
    expect(html).toContain("*not emphasis* [not a link]");
  });

  it("builds slugs from titles", () => {
    expect(slugify("“Why Is This So Hard?” A closer look")).toBe("why-is-this-so-hard-a-closer-look");
    expect(slugify("Café & Crème: it’s fine")).toBe("cafe-creme-its-fine");
    const long = slugify("word ".repeat(30));
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long.endsWith("-")).toBe(false);
  });

  it("keeps previews within 150 characters, cutting at a word", () => {
    const sentence = `${"lengthy ".repeat(40)}end.`;
    const preview = makePreview([sentence]);
    expect(preview.length).toBeLessThanOrEqual(150);
    expect(preview.endsWith("lengthy…")).toBe(true);
    expect(makePreview(["Short one. Another short one. ".repeat(10)])).toMatch(/^Short one\. Another short one\..*\.$/);
  });
});
