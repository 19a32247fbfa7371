import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { compareStrings, COURSE_FILE, LESSONS_DIR, parseCourse } from "./parse.ts";
import type { ContentFile } from "./parse.ts";
import type { Course } from "./schema.ts";
import { parseCatalogue } from "./catalogue.ts";
import type { Catalogue, CourseFolder } from "./catalogue.ts";

/** Reading content from disk; all parsing and validation lives in parse.ts, which needs no fs. */

export { ContentError, COURSE_FILE, formatIssue, inspectCourse, LESSONS_DIR, parseCourse } from "./parse.ts";
export type { ContentFile, ContentIssue, CourseInspection, LessonFileInfo } from "./parse.ts";

/** Reads `dir/course.yaml` and `dir/lessons/*.md`; other files are ignored. */
export async function readContentFiles(dir: string): Promise<ContentFile[]> {
  const files: ContentFile[] = [];
  const coursePath = path.join(dir, COURSE_FILE);
  const courseText = await readTextIfExists(coursePath);
  if (courseText !== undefined) files.push({ path: COURSE_FILE, text: courseText });

  let names: string[] = [];
  try {
    names = await readdir(path.join(dir, LESSONS_DIR));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  for (const name of names.filter((n) => n.endsWith(".md")).sort(compareStrings)) {
    const text = await readTextIfExists(path.join(dir, LESSONS_DIR, name));
    if (text !== undefined) files.push({ path: `${LESSONS_DIR}/${name}`, text });
  }
  return files;
}

/**
 * Every course under `dir`: each subfolder holding a course.yaml (other folders, such as
 * content/sources, are not courses), or `dir` itself when it holds one (the one-course layout).
 */
export async function readCatalogueFolders(dir: string): Promise<CourseFolder[]> {
  if ((await readTextIfExists(path.join(dir, COURSE_FILE))) !== undefined) return [{ folder: "", files: await readContentFiles(dir) }];
  const entries = await readdir(dir, { withFileTypes: true });
  const folders: CourseFolder[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => compareStrings(a.name, b.name))) {
    const files = await readContentFiles(path.join(dir, entry.name));
    if (files.some((f) => f.path === COURSE_FILE)) folders.push({ folder: entry.name, files });
  }
  return folders;
}

export async function loadCatalogue(dir: string): Promise<Catalogue> {
  return parseCatalogue(await readCatalogueFolders(dir), { root: dir });
}

/** One course folder (content/<slug>). */
export async function loadCourse(dir: string): Promise<Course> {
  return parseCourse(await readContentFiles(dir), { root: dir });
}

async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}
