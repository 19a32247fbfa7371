import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkCourse, formatIssues, formatSummary } from "../../../src/content/check.ts";
import type { RenderLesson } from "../../../src/content/check.ts";
import { renderLessonEmail } from "../../../src/render/emails.ts";
import {
  ARTICLE_BLAME,
  ARTICLE_HEALING,
  articlesDir,
  copyFixture,
  fakeRender,
  lineOf,
  minimalFixtureDir,
  repoRoot,
  shippedContentDir,
} from "./helpers.ts";

const FIRST = "lessons/01-first-steps.md";
const SECOND = "lessons/02-second-steps.md";

type Fixture = Awaited<ReturnType<typeof copyFixture>>;
let fixture: Fixture;

beforeEach(async () => {
  fixture = await copyFixture();
});
afterEach(async () => {
  await fixture.cleanup();
});

async function check(render: RenderLesson = fakeRender, maxHtmlBytes?: number): Promise<string[]> {
  const report = await checkCourse(fixture.dir, { render, maxHtmlBytes });
  expect(report.ok).toBe(report.issues.length === 0);
  return formatIssues(report);
}

/** Replaces the body paragraph "A second paragraph…" of lesson 1 and returns the new file text. */
function setFirstLessonParagraph(paragraph: string): Promise<string> {
  return fixture.edit(FIRST, "A second paragraph that says something different from the first one.", paragraph);
}

describe("checkCourse on good content", () => {
  it("passes the minimal fixture and summarises it", async () => {
    const report = await checkCourse(minimalFixtureDir, { render: fakeRender });
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.sizes.map((s) => s.file)).toEqual([FIRST, SECOND]);
    expect(formatSummary(report)).toMatch(
      /^fixture-course: 2 lessons on days 0, 4, graduation day 7; HTML [\d.]+(?:–[\d.]+)? KB \(limit 100 KB\), text [\d.]+(?:–[\d.]+)? KB$/,
    );
  });

  it("passes the shipped course with the real renderer", async () => {
    const report = await checkCourse(shippedContentDir, { render: renderLessonEmail });
    expect(formatIssues(report)).toEqual([]);
    expect(report.sizes).toHaveLength(3);
    for (const size of report.sizes) {
      expect(size.htmlBytes).toBeGreaterThan(1000);
      expect(size.textBytes).toBeGreaterThan(1000);
    }
  });
});

describe("checkCourse finds each defect at its file and line", () => {
  it("bad front matter", async () => {
    const text = await fixture.edit(SECOND, "day: 4", "day: four");
    expect(await check()).toEqual([
      `${SECOND}:${lineOf(text, "day:")}: "day": Invalid input: expected number, received string (got "four")`,
    ]);
  });

  it("TODO placeholders left by the importer", async () => {
    const text = await fixture.edit(FIRST, "title: First Steps", 'title: "TODO: title"');
    expect(await check()).toEqual([
      `${FIRST}:${lineOf(text, "title:")}: "title" is still a placeholder ("TODO: title"): replace it before publishing`,
    ]);
  });

  it("days that do not increase in file-name order", async () => {
    const text = await fixture.edit(SECOND, "day: 4", "day: 0");
    expect(await check()).toEqual([
      `${SECOND}:${lineOf(text, "day:")}: day 0 is out of order: it must be greater than day 0 of ${FIRST} (days must strictly increase in file-name order)`,
    ]);
  });

  it("a later file with an earlier day, even when its front matter is otherwise invalid", async () => {
    await fixture.edit(FIRST, "day: 0", "day: 9");
    const text = await fixture.edit(SECOND, "author: Test Author\n", "");
    expect(await check()).toEqual([
      `${SECOND}:1: missing required field "author"`,
      `${SECOND}:${lineOf(text, "day:")}: day 4 is out of order: it must be greater than day 9 of ${FIRST} (days must strictly increase in file-name order)`,
    ]);
  });

  it("lesson files not named NN-slug.md, or named after another slug", async () => {
    const text = await fixture.read(SECOND);
    await fixture.write("lessons/02-other-name.md", text);
    await fixture.write("lessons/extra.md", text.replace("second-steps", "extra").replace("day: 4", "day: 5"));
    await rm(path.join(fixture.dir, SECOND));
    expect(await check()).toEqual([
      `lessons/02-other-name.md:${lineOf(text, "slug:")}: slug "second-steps" does not match the file name: rename the file to 02-second-steps.md or change the slug`,
      `lessons/extra.md:1: file name "extra.md" should look like NN-slug.md (two or more digits, a hyphen, the lesson's slug)`,
    ]);
  });

  it("relative links and links with other schemes", async () => {
    const text = await setFirstLessonParagraph(
      "See [the archive](/archive) and [this](javascript:alert(1)) and\n[a protocol-relative one](//cdn.example.com/x).",
    );
    const line = lineOf(text, "See [the archive]");
    expect(await check()).toEqual([
      `${FIRST}:${line}: relative link "/archive": links in emails must be absolute http(s) or mailto URLs`,
      `${FIRST}:${line}: link "javascript:alert(1)" uses "javascript:": only http(s) and mailto links work in email`,
      `${FIRST}:${line + 1}: protocol-relative link "//cdn.example.com/x": write it with https:`,
    ]);
  });

  it("empty link targets, broken URLs and bad mailto links", async () => {
    const text = await setFirstLessonParagraph(
      "An [empty]() link, a [broken](https://) one, [mail me](mailto:) and <https://exa mple.com> and [spaced](https://example.com/a b).",
    );
    const line = lineOf(text, "An [empty]");
    expect(await check()).toEqual([
      `${FIRST}:${line}: link has an empty target`,
      `${FIRST}:${line}: malformed URL "https://"`,
      `${FIRST}:${line}: mailto link "mailto:" has no valid email address`,
      `${FIRST}:${line}: link "https://exa mple.com" contains a space: encode it as %20`,
      `${FIRST}:${line}: link target "https://example.com/a b" contains a space: encode it as %20`,
    ]);
  });

  it("unbalanced brackets and unclosed link targets", async () => {
    const text = await setFirstLessonParagraph(
      "Here [is an unclosed bracket.\n\nHere is a stray ] bracket.\n\nAnd [a link](https://example.com without its paren.",
    );
    expect(await check()).toEqual([
      `${FIRST}:${lineOf(text, "Here [is")}: unbalanced '[': no matching ']'`,
      `${FIRST}:${lineOf(text, "stray ]")}: unbalanced ']': no matching '['`,
      `${FIRST}:${lineOf(text, "And [a link]")}: link is missing its closing ')'`,
    ]);
  });

  it("undefined references and a space that breaks a link", async () => {
    const text = await setFirstLessonParagraph("See [the guide][nowhere] or [this] (https://example.com/x).");
    const line = lineOf(text, "See [the guide]");
    expect(await check()).toEqual([
      `${FIRST}:${line}: link reference [nowhere] is not defined`,
      `${FIRST}:${line}: space between ']' and '(' breaks the link: remove it`,
    ]);
  });

  it("does not mistake code, escapes or prose brackets for links", async () => {
    await setFirstLessonParagraph(
      "Write `[x](/relative)` in code, escape \\[like this\\], cite [sic] freely.\n\n```\n[not](/checked)\n```",
    );
    expect(await check()).toEqual([]);
  });

  it("duplicate paragraphs, exact or pasted as the start of a longer one", async () => {
    const para = "Every course starts somewhere, and this one starts here with a short paragraph.";
    const text = await setFirstLessonParagraph(`${para}\n\n${para} And then it goes on a little further.`);
    const lines = text.split("\n");
    const first = lines.indexOf(para) + 1;
    const second = lines.indexOf(para, first) + 1;
    const longer = lines.findIndex((l) => l.startsWith(`${para} And then`)) + 1;
    expect(await check()).toEqual([
      `${FIRST}:${first}: duplicate paragraph: repeated word for word at the start of the paragraph at line ${longer}`,
      `${FIRST}:${second}: duplicate paragraph: same text as the paragraph at line ${first}`,
    ]);
  });

  it("a lesson that fails to render", async () => {
    const render: RenderLesson = async (input) => {
      if (input.lesson.slug === "second-steps") throw new Error("template exploded\nstack…");
      return fakeRender(input);
    };
    expect(await check(render)).toEqual([`${SECOND}:1: lesson failed to render: template exploded`]);
  });

  it("rendered HTML over the size limit", async () => {
    const render: RenderLesson = async (input) => ({
      ...(await fakeRender(input)),
      html: input.lesson.slug === "first-steps" ? `<p>${"é".repeat(51 * 1024)}</p>` : "<p>ok</p>",
    });
    expect(await check(render)).toEqual([
      `${FIRST}:1: rendered HTML is 102 KB, over the 100 KB limit (Gmail clips larger emails, hiding the unsubscribe link): shorten or split the lesson`,
    ]);
  });

  it("an oversized lesson with the real renderer", async () => {
    const body = Array.from({ length: 400 }, (_, i) => `Paragraph ${i} of a very long lesson ${"that goes on ".repeat(30)}.`).join("\n\n");
    const text = await fixture.read(SECOND);
    await fixture.write(SECOND, text.replace(/---\n\n[\s\S]*$/, `---\n\n${body}\n`));
    const issues = await check(renderLessonEmail);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${SECOND}:1: rendered HTML is \\d+(\\.\\d)? KB, over the 100 KB limit`));
  });

  it("a missing or empty plain-text part", async () => {
    const render: RenderLesson = async (input) => {
      const email = await fakeRender(input);
      if (input.lesson.slug === "first-steps") return { ...email, text: "  \n" };
      return { subject: email.subject, html: email.html } as unknown as typeof email;
    };
    expect(await check(render)).toEqual([
      `${FIRST}:1: rendered email has a missing or empty plain-text part`,
      `${SECOND}:1: rendered email has a missing or empty plain-text part`,
    ]);
  });

  it("uses a custom size limit", async () => {
    expect(await check(fakeRender, 10)).toHaveLength(2);
  });
});

describe("CLIs", () => {
  const tsx = path.join(repoRoot, "node_modules/.bin/tsx");
  const run = promisify(execFile);

  async function runCli(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(tsx, [path.join(repoRoot, script), ...args], { cwd: repoRoot });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("content:check passes the shipped content with a one-line summary", async () => {
    const { code, stdout } = await runCli("src/cli/content-check.ts", []);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^content:check: OK couples-therapy-up-close: 3 lessons on days 0, 7, 14, graduation day 21; HTML .* KB/);
    expect(stdout.trim().split("\n")).toHaveLength(1);
  });

  it("content:check lists file:line problems and exits 1", async () => {
    const text = await fixture.edit(SECOND, "day: 4", "day: 0");
    const { code, stderr } = await runCli("src/cli/content-check.ts", [fixture.dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(fixture.dir, SECOND)}:${lineOf(text, "day:")}: day 0 is out of order`);
    expect(stderr).toContain("content:check: 1 problem in");
  });

  it("content:check exits 2 for a directory that does not exist", async () => {
    const { code, stderr } = await runCli("src/cli/content-check.ts", [path.join(fixture.dir, "nope")]);
    expect(code).toBe(2);
    expect(stderr).toContain("is not a directory");
  });

  it("content:import writes numbered drafts, reports them, and refuses to overwrite", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "lessonpost-import-"));
    try {
      const inputs = [ARTICLE_BLAME, ARTICLE_HEALING].map((a) => path.join(articlesDir, a));
      const first = await runCli("src/cli/content-import.ts", [...inputs, "--out", out, "--day", "3"]);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("author:      Dr. Keren Sofer");
      expect(first.stdout).toContain("paragraph 5 (prefix repeat of 6)");
      expect(first.stdout).toContain('! no title found');
      expect((await readdir(out)).sort()).toEqual(["01-couples-therapy-shifting-from-blame-to-compassion.md", "02-todo-title.md"]);
      const draft = await readFile(path.join(out, "02-todo-title.md"), "utf8");
      expect(draft).toMatch(/^day: 10$/m);

      const again = await runCli("src/cli/content-import.ts", [inputs[0] ?? "", "--out", out]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("refusing to overwrite");

      await writeFile(path.join(out, "01-couples-therapy-shifting-from-blame-to-compassion.md"), "edited", "utf8");
      const forced = await runCli("src/cli/content-import.ts", [inputs[0] ?? "", "--out", out, "--force"]);
      expect(forced.code).toBe(0);
      expect(await readdir(out)).toHaveLength(2);
      expect(await readFile(path.join(out, "01-couples-therapy-shifting-from-blame-to-compassion.md"), "utf8")).toMatch(/^---\n/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("content:import rejects bad options", async () => {
    const { code, stderr } = await runCli("src/cli/content-import.ts", ["--day", "soon", "x.txt"]);
    expect(code).toBe(2);
    expect(stderr).toContain('--day must be a whole number of days, got "soon"');
  });
});
