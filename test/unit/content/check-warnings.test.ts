import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkCourse, formatWarnings } from "../../../src/content/check.ts";
import { loadCourse } from "../../../src/content/load.ts";
import { copyFixture, fakeRender, minimalFixtureDir, repoRoot, shippedContentDir } from "./helpers.ts";

type Fixture = Awaited<ReturnType<typeof copyFixture>>;
let fixture: Fixture;
beforeEach(async () => {
  fixture = await copyFixture();
});
afterEach(async () => {
  await fixture.cleanup();
});

const run = promisify(execFile);
async function runScript(script: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, "node_modules/.bin/tsx"), [path.join(repoRoot, script), ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, "tsconfig.json"), ...options.env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the placeholder postal address", () => {
  it("is a warning of content:check on the shipped course, not a failure", async () => {
    const report = await checkCourse(shippedContentDir, { render: fakeRender });
    expect(report.ok).toBe(true);
    const courseText = await readFile(path.join(shippedContentDir, "course.yaml"), "utf8");
    const line = courseText.split("\n").findIndex((l) => l.startsWith("postalAddress:")) + 1;
    expect(formatWarnings(report)).toEqual([`course.yaml:${line}: warning: postalAddress is still the shipped placeholder (123 Example Street): put your real postal address in course.yaml; CAN-SPAM requires one in every email (production refuses to start with it)`]);
  });

  it("is not reported for a real address", async () => {
    const report = await checkCourse(minimalFixtureDir, { render: fakeRender });
    expect(report.warnings).toEqual([]);
  });

  it("is printed by the content:check command, which still exits 0", async () => {
    const { code, stderr } = await runScript("src/cli/content-check.ts", []);
    expect(code).toBe(0);
    expect(stderr).toMatch(/content\/couples-therapy-up-close\/course\.yaml:\d+: warning: postalAddress is still the shipped placeholder/);
  });
});

describe("the Worker build (content:bundle)", () => {
  it("stops on a course that content:check refuses, even when the course itself parses, and bundles nothing", async () => {
    // A pasted-twice paragraph: valid front matter, so parseCourse accepts it; content:check does not.
    await fixture.edit("lessons/01-first-steps.md", "A second paragraph that says something different from the first one.", "This paragraph was pasted twice by accident while the lesson was being edited.\n\nThis paragraph was pasted twice by accident while the lesson was being edited.");
    await expect(loadCourse(fixture.dir)).resolves.toBeDefined();
    const cwd = await mkdtemp(path.join(tmpdir(), "lessonpost-bundle-"));
    try {
      const { code, stderr } = await runScript("src/cli/content-bundle.ts", [], { cwd, env: { CONTENT_DIR: fixture.dir } });
      expect(code).toBe(1);
      expect(stderr).toMatch(/01-first-steps\.md:\d+: duplicate paragraph/);
      expect(stderr).toContain("nothing was bundled");
      await expect(access(path.join(cwd, "build/worker/course-files.json"))).rejects.toThrow();
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("bundles a course that passes the checks", async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), "lessonpost-bundle-"));
    try {
      const { code, stdout } = await runScript("src/cli/content-bundle.ts", [], { cwd, env: { CONTENT_DIR: fixture.dir } });
      expect(code).toBe(0);
      expect(stdout).toContain("content:bundle: 1 course");
      const folders = JSON.parse(await readFile(path.join(cwd, "build/worker/course-files.json"), "utf8")) as { folder: string; files: { path: string }[] }[];
      expect(folders.map((f) => f.folder)).toEqual([""]);
      expect(folders[0]!.files.map((f) => f.path)).toEqual(["course.yaml", "lessons/01-first-steps.md", "lessons/02-second-steps.md"]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
