import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RenderLesson } from "../../../src/content/check.ts";

export const repoRoot = process.cwd();
/** The source articles ship with the course, so the tests need nothing outside the repository. */
export const articlesDir = path.resolve(repoRoot, "content/sources");
/** The shipped course's folder (content/<slug>/). */
export const shippedContentDir = path.resolve(repoRoot, "content", "couples-therapy-up-close");
export const contentRoot = path.resolve(repoRoot, "content");
export const minimalFixtureDir = path.resolve(repoRoot, "test/fixtures/content/minimal");

export const ARTICLE_WHY_SO_HARD = "000_87c3cf08350c91e9.txt";
export const ARTICLE_BLAME = "001_f80c5579b1d84c54.txt";
export const ARTICLE_HEALING = "002_045da85a41f7b346.txt";

export function readArticle(name: string): Promise<string> {
  return readFile(path.join(articlesDir, name), "utf8");
}

/** 1-based line of the first line containing `needle`; throws so a typo in a test fails loudly. */
export function lineOf(text: string, needle: string): number {
  const index = text.split("\n").findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`"${needle}" not found`);
  return index + 1;
}

/** A copy of the minimal fixture course in a temp dir, for tests that break one thing. */
export async function copyFixture(): Promise<{ dir: string; read(file: string): Promise<string>; write(file: string, text: string): Promise<void>; edit(file: string, from: string, to: string): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "lessonpost-content-"));
  await cp(minimalFixtureDir, dir, { recursive: true });
  const read = (file: string) => readFile(path.join(dir, file), "utf8");
  const write = (file: string, text: string) => writeFile(path.join(dir, file), text, "utf8");
  return {
    dir,
    read,
    write,
    /** Replaces one exact snippet and returns the new text; throws when the snippet is absent. */
    async edit(file, from, to) {
      const text = await read(file);
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
      const next = text.replace(from, to);
      await write(file, next);
      return next;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Stands in for the real templates: the body as HTML and as text. */
export const fakeRender: RenderLesson = async ({ lesson }) => ({
  subject: lesson.subject,
  html: `<!doctype html><html><body>${lesson.markdown}</body></html>`,
  text: lesson.markdown,
});
