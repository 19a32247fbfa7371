import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { checkCourse } from "../../../src/content/check.ts";
import { readContentFiles } from "../../../src/content/load.ts";
import { articlesDir, ARTICLE_BLAME, ARTICLE_HEALING, ARTICLE_WHY_SO_HARD, fakeRender, repoRoot, shippedContentDir } from "./helpers.ts";

/** A fresh clone has everything `npm test` and the README's examples need: no path leaves the repository. */
describe("the source articles", () => {
  it("ship inside the repository, next to the course, with their credits", async () => {
    expect(path.relative(repoRoot, articlesDir)).toBe(path.join("content", "sources"));
    const names = await readdir(articlesDir);
    expect(names).toEqual(expect.arrayContaining([ARTICLE_WHY_SO_HARD, ARTICLE_BLAME, ARTICLE_HEALING, "CREDITS.md"]));
    const credits = await readFile(path.join(articlesDir, "CREDITS.md"), "utf8");
    for (const name of [ARTICLE_WHY_SO_HARD, ARTICLE_BLAME, ARTICLE_HEALING]) expect(credits).toContain(name);
    expect(credits).toContain("Dr. Keren Sofer");
    expect(credits).toContain("© Copyright 2007 - 2025 GoodTherapy.org");
  });

  it("are what each lesson names as its source", async () => {
    const lessons = await readdir(path.join(shippedContentDir, "lessons"));
    for (const lesson of lessons) {
      const text = await readFile(path.join(shippedContentDir, "lessons", lesson), "utf8");
      const source = text.match(/^# Source: (\S+)/m)?.[1];
      expect(source, lesson).toMatch(/^\.\.\/sources\//);
      await expect(readFile(path.join(shippedContentDir, source!), "utf8")).resolves.toMatch(/\S/);
    }
  });

  it("are ignored by the loader and content:check, which read only course.yaml and lessons/*.md", async () => {
    const files = await readContentFiles(shippedContentDir);
    expect(files.map((f) => f.path).filter((p) => !p.startsWith("lessons/"))).toEqual(["course.yaml"]);
    const report = await checkCourse(shippedContentDir, { render: fakeRender });
    expect(report.issues).toEqual([]);
    expect(report.sizes).toHaveLength(3);
  });

  it("are what the README's import example runs on, and it prints what the README shows", async () => {
    const readme = await readFile(path.join(repoRoot, "README.md"), "utf8");
    const example = readme.match(/```\n\s*(content\/sources\/[^\n]+ → [\s\S]*?)\n\s*```/)?.[1];
    expect(example).toBeDefined();
    const file = example!.split(" ")[0]!;
    const { stdout } = await promisify(execFile)(path.join(repoRoot, "node_modules/.bin/tsx"), [path.join(repoRoot, "src/cli/content-import.ts"), file, "--dry-run"], { cwd: repoRoot });
    const indent = (s: string) => s.replace(/^ {3}/gm, "");
    expect(stdout.trim()).toBe(indent(example!).trim());
  });
});

describe("the repository", () => {
  it("names no path outside itself in tests, sources, content or the README", async () => {
    const outside = /\.\.\/shared\b|\/work\/shared/;
    const roots = ["src", "test", "content", "emails", "workers", "bench"];
    const offenders: string[] = [];
    for (const root of roots) {
      for (const entry of await readdir(path.join(repoRoot, root), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !/\.(ts|tsx|md|yaml)$/.test(entry.name)) continue;
        const file = path.join(entry.parentPath, entry.name);
        if (file === import.meta.filename) continue;
        if (outside.test(await readFile(file, "utf8"))) offenders.push(path.relative(repoRoot, file));
      }
    }
    if (outside.test(await readFile(path.join(repoRoot, "README.md"), "utf8"))) offenders.push("README.md");
    expect(offenders).toEqual([]);
  });
});
