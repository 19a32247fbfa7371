import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { catalogueOf, parseCatalogue } from "../../../src/content/catalogue.ts";
import { ContentError, loadCatalogue, readCatalogueFolders } from "../../../src/content/load.ts";
import { contentRoot, minimalFixtureDir, repoRoot } from "./helpers.ts";

const twoCourses = path.resolve(repoRoot, "test/fixtures/content/two-courses");

let scratch: string | undefined;
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A copy of the two-course fixture to break one thing in. */
async function copyOfTwoCourses(): Promise<string> {
  scratch = await mkdtemp(path.join(tmpdir(), "lessonpost-catalogue-"));
  const dir = path.join(scratch, "content");
  await cp(twoCourses, dir, { recursive: true });
  return dir;
}

async function problems(dir: string): Promise<string[]> {
  try {
    await loadCatalogue(dir);
    return [];
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    return error.issues.map((i) => `${i.file}: ${i.message}`);
  }
}

describe("the catalogue of courses", () => {
  it("is every folder of content/ that holds a course.yaml; content/sources and other folders are not courses", async () => {
    const folders = await readCatalogueFolders(contentRoot);
    expect(folders.map((f) => f.folder)).toEqual(["couples-therapy-up-close"]);
    const catalogue = await loadCatalogue(contentRoot);
    expect(catalogue.courses.map((c) => c.slug)).toEqual(["couples-therapy-up-close"]);
    expect(catalogue.only?.slug).toBe("couples-therapy-up-close");
  });

  it("holds two courses side by side, each found by its slug, with no 'only' course", async () => {
    const catalogue = await loadCatalogue(twoCourses);
    expect(catalogue.courses.map((c) => c.slug)).toEqual(["evening-review", "morning-pages"]);
    expect(catalogue.get("morning-pages")?.publisher).toBe("Dawn Letters");
    expect(catalogue.get("morning-pages")?.next).toBe("evening-review");
    expect(catalogue.get("nope")).toBeUndefined();
    expect(catalogue.only).toBeUndefined();
  });

  it("still reads the one-course layout (course.yaml directly in the content folder) as a catalogue of one", async () => {
    const catalogue = await loadCatalogue(minimalFixtureDir);
    expect(catalogue.courses.map((c) => c.slug)).toEqual(["fixture-course"]);
    expect(catalogue.only?.slug).toBe("fixture-course");
  });

  it("names the publisher after the sender when course.yaml names none", async () => {
    const catalogue = await loadCatalogue(minimalFixtureDir);
    expect(catalogue.only?.publisher).toBe("Fixture Sender");
  });

  it("refuses a folder whose name is not the course's slug, since the folder is the course's address", async () => {
    const dir = await copyOfTwoCourses();
    await rename(path.join(dir, "evening-review"), path.join(dir, "evenings"));
    expect(await problems(dir)).toEqual([expect.stringMatching(/^evenings\/course\.yaml: slug "evening-review" must match the course's folder name "evenings"/)]);
  });

  it("refuses a next: that names no course, and a former slug another course uses", async () => {
    const dir = await copyOfTwoCourses();
    const file = path.join(dir, "morning-pages", "course.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("next: evening-review", "next: night-school\nformerSlugs: [evening-review]"));
    const found = await problems(dir);
    expect(found).toContainEqual(expect.stringMatching(/^morning-pages\/course\.yaml: next: "night-school" is not a course here/));
    expect(found).toContainEqual(expect.stringMatching(/slug "evening-review" is already used by/));
  });

  it("names each problem with its course's folder, so an author knows which course.yaml to open", async () => {
    const dir = await copyOfTwoCourses();
    const file = path.join(dir, "evening-review", "course.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("sendHour: 7", "sendHour: 25"));
    expect(await problems(dir)).toEqual([expect.stringMatching(/^evening-review\/course\.yaml: "schedule\.sendHour"/)]);
  });

  it("says there is no course when the folder holds none", async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "lessonpost-catalogue-"));
    await mkdir(path.join(scratch, "sources"));
    expect(await problems(scratch)).toEqual([expect.stringMatching(/no course found/)]);
    expect(() => parseCatalogue([])).toThrow(ContentError);
  });

  it("will not hold two courses with one slug", async () => {
    const catalogue = await loadCatalogue(twoCourses);
    const [a] = catalogue.courses;
    expect(() => catalogueOf([a!, a!])).toThrow(/share a slug/);
  });
});
