import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { compareStrings, COURSE_FILE, LESSONS_DIR, parseCourse } from "./parse.ts";
import type { ContentFile } from "./parse.ts";
import type { Course } from "./schema.ts";

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
