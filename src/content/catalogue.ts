import { COURSE_FILE, ContentError, compareStrings, parseCourse } from "./parse.ts";
import type { ContentFile, ContentIssue } from "./parse.ts";
import type { Course } from "./schema.ts";

/**
 * Every course of one install. A course is a folder, `content/<slug>/course.yaml` plus
 * `content/<slug>/lessons/*.md`; a `content/` that holds a `course.yaml` itself is the one-course
 * layout of earlier releases and is still read, as a catalogue of one. Pure (no fs): the Worker
 * bundle parses the same files here that load.ts reads from disk on Node.
 */

export interface Catalogue {
  /** Every course, by slug. */
  readonly courses: readonly Course[];
  /** The course with this slug, if the install has it. */
  get(slug: string): Course | undefined;
  /** The course, when the install has exactly one: what a signup without a `course` joins. */
  readonly only: Course | undefined;
  /**
   * The first course by slug. Only for callers that do not yet say which course they mean; each
   * one is a place still to be made course-aware, so do not add new uses.
   */
  readonly primary: Course;
}

/** One course's files: `folder` is its directory under the content root, "" for the one-course layout. */
export interface CourseFolder {
  folder: string;
  files: ContentFile[];
}

export function catalogueOf(courses: readonly Course[]): Catalogue {
  if (courses.length === 0) throw new Error("a catalogue needs at least one course");
  const sorted = [...courses].sort((a, b) => compareStrings(a.slug, b.slug));
  const bySlug = new Map(sorted.map((course) => [course.slug, course]));
  if (bySlug.size !== sorted.length) throw new Error("two courses share a slug");
  return {
    courses: sorted,
    get: (slug) => bySlug.get(slug),
    only: sorted.length === 1 ? sorted[0] : undefined,
    primary: sorted[0]!,
  };
}

/** Pure: every course folder in, a checked catalogue out. Throws ContentError listing every problem. */
export function parseCatalogue(folders: readonly CourseFolder[], options: { root?: string } = {}): Catalogue {
  const courses: Course[] = [];
  const issues: ContentIssue[] = [];
  for (const { folder, files } of folders) {
    try {
      courses.push(parseCourse(files));
    } catch (error) {
      if (!(error instanceof ContentError)) throw error;
      issues.push(...error.issues.map((issue) => ({ ...issue, file: inFolder(folder, issue.file) })));
    }
  }
  if (issues.length === 0) issues.push(...catalogueIssues(folders, courses));
  if (issues.length > 0) throw new ContentError(issues, options.root);
  return catalogueOf(courses);
}

/**
 * What is wrong across courses, once each course is valid on its own: a folder named differently
 * from its slug (the folder name is the course's address), a slug or former slug used twice, a
 * `next` that names no course. `courses[i]` is the course parsed from `folders[i]`.
 */
export function catalogueIssues(folders: readonly Pick<CourseFolder, "folder">[], courses: readonly Course[]): ContentIssue[] {
  const issues: ContentIssue[] = [];
  if (courses.length === 0) {
    return [{ file: COURSE_FILE, line: 1, message: "no course found: add content/<course-slug>/course.yaml and content/<course-slug>/lessons/*.md" }];
  }
  const owner = new Map<string, string>();
  courses.forEach((course, i) => {
    const folder = folders[i]?.folder ?? "";
    const file = inFolder(folder, COURSE_FILE);
    if (folder !== "" && folder !== course.slug) {
      issues.push({ file, line: 1, message: `slug "${course.slug}" must match the course's folder name "${folder}" (the folder is the course's address, /courses/${folder})` });
    }
    for (const name of [course.slug, ...course.formerSlugs]) {
      const other = owner.get(name);
      if (other !== undefined) issues.push({ file, line: 1, message: `slug "${name}" is already used by ${other}` });
      else owner.set(name, file);
    }
  });
  courses.forEach((course, i) => {
    if (course.next === undefined) return;
    const file = inFolder(folders[i]?.folder ?? "", COURSE_FILE);
    if (course.next === course.slug) issues.push({ file, line: 1, message: `next: "${course.next}" is this course itself` });
    else if (!courses.some((c) => c.slug === course.next)) {
      issues.push({ file, line: 1, message: `next: "${course.next}" is not a course here (${courses.map((c) => c.slug).join(", ")})` });
    }
  });
  return issues;
}

function inFolder(folder: string, file: string): string {
  return folder === "" ? file : `${folder}/${file}`;
}

/**
 * The course an email or page speaks for, given the slug its row carries: that course, or, for a
 * row of no course (null), the only course of a one-course install, else the first. Undefined
 * when the slug names a course no longer in content/: the caller must not guess another.
 */
export function courseFor(catalogue: Catalogue, slug: string | null | undefined): Course | undefined {
  if (slug === null || slug === undefined) return catalogue.only ?? catalogue.primary;
  return catalogue.get(slug);
}
