import { catalogueIssues } from "./catalogue.ts";
import type { CourseFolder } from "./catalogue.ts";
import { readCatalogueFolders, readContentFiles } from "./load.ts";
import { compareStrings, COURSE_FILE, formatIssue, inspectCourse } from "./parse.ts";
import type { ContentFile, ContentIssue, LessonFileInfo } from "./parse.ts";
import { lintMarkdown } from "./markdown-lint.ts";
import { isPlaceholderPostalAddress, PLACEHOLDER_POSTAL_ADDRESS_PROBLEM } from "./postal-address.ts";
import type { Course, CourseFile, Lesson } from "./schema.ts";

/**
 * Everything that can be wrong with a course before it is sent: invalid front matter, lesson
 * order, links, pasted-twice paragraphs, and emails that fail to render or would be clipped.
 */

/**
 * What the check hands a renderer and reads back, declared here by shape so content (the base
 * layer) needs nothing from src/render/; renderLessonEmail there fits it.
 */
export interface SampleLessonEmail {
  course: Course;
  lesson: Lesson;
  recipient: { email: string; name?: string | null };
  unsubscribeUrl: string;
  preferencesUrl: string;
}
export interface RenderedParts {
  subject: string;
  html: string;
  text: string;
}

/** The contract says async; the current renderer is sync. Both are accepted. */
export type RenderLesson = (input: SampleLessonEmail) => RenderedParts | Promise<RenderedParts>;

export interface CheckOptions {
  /** Injected so the checker can be tested without the real templates. */
  render: RenderLesson;
  /** Gmail clips messages at about 102 KB and hides the rest, including the unsubscribe footer. */
  maxHtmlBytes?: number;
}

export const DEFAULT_MAX_HTML_BYTES = 100 * 1024;

export interface RenderedSize {
  file: string;
  htmlBytes: number;
  textBytes: number;
}

export interface CheckReport {
  ok: boolean;
  /** Sorted by file, then line. */
  issues: ContentIssue[];
  /** Fine for trying the course out, wrong for real readers; they do not fail the check. */
  warnings: ContentIssue[];
  /** Present when the course parsed; sizes only for lessons that rendered. */
  course?: Course;
  sizes: RenderedSize[];
  maxHtmlBytes: number;
}

/** Lesson files must be named like `01-why-is-this-so-hard.md`. */
const LESSON_FILE_NAME = /^(\d{2,})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;

// Realistic values, so the size check sees what a reader's email will hold.
const SAMPLE_RECIPIENT = { email: "reader@example.com", name: "Sample Reader" };
const SAMPLE_TOKEN = "x".repeat(64);

/** A check of every course under one content dir: each course's own report, then what is wrong across them. */
export interface CatalogueReport {
  ok: boolean;
  courses: { folder: string; report: CheckReport }[];
  /** Across courses (a folder not named as its slug, a slug used twice, an unknown `next`); paths relative to the content dir. */
  issues: ContentIssue[];
}

export async function checkCatalogueFolders(folders: readonly CourseFolder[], options: CheckOptions): Promise<CatalogueReport> {
  const courses: CatalogueReport["courses"] = [];
  for (const { folder, files } of folders) courses.push({ folder, report: await checkCourseFiles(files, options) });
  const parsed = courses.map((c) => c.report.course);
  const issues = parsed.every((c) => c !== undefined) ? catalogueIssues(folders, parsed as Course[]) : [];
  return { ok: issues.length === 0 && courses.every((c) => c.report.ok), courses, issues };
}

export async function checkCatalogue(dir: string, options: CheckOptions): Promise<CatalogueReport> {
  return checkCatalogueFolders(await readCatalogueFolders(dir), options);
}

/** Every problem of a catalogue check, `file:line: problem`, paths shown under `root` (the content dir). */
export function formatCatalogueIssues(report: CatalogueReport, root: string): string[] {
  return [...report.courses.flatMap(({ folder, report: r }) => formatIssues(r, joinRoot(root, folder))), ...report.issues.map((i) => formatIssue(i, root))];
}

export function formatCatalogueWarnings(report: CatalogueReport, root: string): string[] {
  return report.courses.flatMap(({ folder, report: r }) => formatWarnings(r, joinRoot(root, folder)));
}

export function countCatalogueIssues(report: CatalogueReport): number {
  return report.issues.length + report.courses.reduce((n, c) => n + c.report.issues.length, 0);
}

function joinRoot(root: string, folder: string): string {
  return folder === "" ? root : `${root.replace(/\/+$/, "")}/${folder}`;
}

export async function checkCourse(dir: string, options: CheckOptions): Promise<CheckReport> {
  return checkCourseFiles(await readContentFiles(dir), options);
}

export async function checkCourseFiles(files: readonly ContentFile[], options: CheckOptions): Promise<CheckReport> {
  const inspection = inspectCourse(files);
  const issues: ContentIssue[] = [...inspection.issues];

  issues.push(...checkFileNames(inspection.lessons));
  issues.push(...checkDayOrder(inspection.lessons));
  for (const lesson of inspection.lessons) {
    if (lesson.body === undefined) continue;
    for (const problem of lintMarkdown(lesson.body, lesson.bodyStartLine)) {
      issues.push({ file: lesson.file, ...problem });
    }
  }

  const sizes: RenderedSize[] = [];
  const maxHtmlBytes = options.maxHtmlBytes ?? DEFAULT_MAX_HTML_BYTES;
  if (inspection.course) {
    for (const lesson of inspection.course.lessons) {
      const result = await renderChecked(options.render, inspection.course, lesson.number - 1, maxHtmlBytes);
      issues.push(...result.issues);
      if (result.size) sizes.push(result.size);
    }
  }

  issues.sort((a, b) => compareStrings(a.file, b.file) || a.line - b.line);
  return { ok: issues.length === 0, issues, warnings: courseWarnings(files, inspection.courseFile), course: inspection.course, sizes, maxHtmlBytes };
}

function courseWarnings(files: readonly ContentFile[], courseFile: CourseFile | undefined): ContentIssue[] {
  if (!courseFile || !isPlaceholderPostalAddress(courseFile.postalAddress)) return [];
  const text = files.find((f) => f.path === COURSE_FILE)?.text ?? "";
  const line = text.split(/\r?\n/).findIndex((l) => /^postalAddress\s*:/.test(l)) + 1;
  return [{ file: COURSE_FILE, line: Math.max(1, line), message: `${PLACEHOLDER_POSTAL_ADDRESS_PROBLEM} (production refuses to start with it)` }];
}

function checkFileNames(lessons: readonly LessonFileInfo[]): ContentIssue[] {
  const issues: ContentIssue[] = [];
  const numbers = new Map<string, string>();
  for (const lesson of lessons) {
    const name = lesson.file.slice(lesson.file.lastIndexOf("/") + 1);
    const match = LESSON_FILE_NAME.exec(name);
    if (!match?.[1] || !match[2]) {
      issues.push({
        file: lesson.file,
        line: 1,
        message: `file name "${name}" should look like NN-slug.md (two or more digits, a hyphen, the lesson's slug)`,
      });
      continue;
    }
    const number = String(Number(match[1]));
    const other = numbers.get(number);
    if (other) issues.push({ file: lesson.file, line: 1, message: `lesson number ${match[1]} is already used by ${other}` });
    else numbers.set(number, lesson.file);
    const slug = lesson.frontMatter?.slug;
    if (slug !== undefined && slug !== match[2]) {
      issues.push({
        file: lesson.file,
        line: lesson.lineOf(["slug"]),
        message: `slug "${slug}" does not match the file name: rename the file to ${match[1]}-${slug}.md or change the slug`,
      });
    }
  }
  return issues;
}

/**
 * File-name order is the order authors see in their editor; requiring days to increase along it
 * keeps that order and the send order the same, and rules out two lessons on one day.
 */
function checkDayOrder(lessons: readonly LessonFileInfo[]): ContentIssue[] {
  const issues: ContentIssue[] = [];
  let previous: { day: number; file: string } | undefined;
  for (const lesson of lessons) {
    const day = lesson.frontMatter?.day ?? rawDay(lesson.data);
    if (day === undefined) continue;
    if (previous && day <= previous.day) {
      issues.push({
        file: lesson.file,
        line: lesson.lineOf(["day"]),
        message: `day ${day} is out of order: it must be greater than day ${previous.day} of ${previous.file} (days must strictly increase in file-name order)`,
      });
    }
    previous = { day, file: lesson.file };
  }
  return issues;
}

function rawDay(data: unknown): number | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const day = (data as Record<string, unknown>).day;
  return typeof day === "number" && Number.isInteger(day) ? day : undefined;
}

async function renderChecked(
  render: RenderLesson,
  course: Course,
  index: number,
  maxHtmlBytes: number,
): Promise<{ issues: ContentIssue[]; size?: RenderedSize }> {
  const lesson = course.lessons[index];
  if (!lesson) return { issues: [] };
  const file = lesson.file;
  let email: RenderedParts;
  try {
    email = await render({
      course,
      lesson,
      recipient: SAMPLE_RECIPIENT,
      unsubscribeUrl: `https://lessonpost.example/unsubscribe/${SAMPLE_TOKEN}`,
      preferencesUrl: `https://lessonpost.example/preferences/${SAMPLE_TOKEN}`,
    });
  } catch (error) {
    return { issues: [{ file, line: 1, message: `lesson failed to render: ${describeError(error)}` }] };
  }

  const issues: ContentIssue[] = [];
  // Renderers are another team's code; guard against a malformed result rather than crash.
  const html: unknown = email?.html;
  const text: unknown = email?.text;
  const subject: unknown = email?.subject;
  if (typeof html !== "string" || html.trim() === "") {
    issues.push({ file, line: 1, message: "rendered email has no HTML part" });
  } else if (byteLength(html) > maxHtmlBytes) {
    issues.push({
      file,
      line: 1,
      message: `rendered HTML is ${formatKb(byteLength(html))}, over the ${formatKb(maxHtmlBytes)} limit (Gmail clips larger emails, hiding the unsubscribe link): shorten or split the lesson`,
    });
  }
  if (typeof text !== "string" || text.trim() === "") {
    issues.push({ file, line: 1, message: "rendered email has a missing or empty plain-text part" });
  }
  if (typeof subject !== "string" || subject.trim() === "") {
    issues.push({ file, line: 1, message: "rendered email has an empty subject" });
  }
  const size =
    typeof html === "string" && typeof text === "string"
      ? { file, htmlBytes: byteLength(html), textBytes: byteLength(text) }
      : undefined;
  return { issues, size };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] || error.name;
  return String(error);
}

const encoder = new TextEncoder();
function byteLength(s: string): number {
  return encoder.encode(s).length;
}

export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1).replace(/\.0$/, "")} KB`;
}

/** One `file:line: problem` per issue, paths shown relative to `root` (the content dir). */
export function formatIssues(report: CheckReport, root?: string): string[] {
  return report.issues.map((i) => formatIssue(i, root));
}

/** One `file:line: warning: …` per warning. */
export function formatWarnings(report: CheckReport, root?: string): string[] {
  return report.warnings.map((w) => formatIssue({ ...w, message: `warning: ${w.message}` }, root));
}

export function formatSummary(report: CheckReport): string {
  const course = report.course;
  if (!course) return "no course";
  const days = course.lessons.map((l) => l.day).join(", ");
  const html = report.sizes.map((s) => s.htmlBytes);
  const text = report.sizes.map((s) => s.textBytes);
  const range = (xs: number[]) =>
    xs.length === 0 ? "n/a" : `${formatKb(Math.min(...xs))}–${formatKb(Math.max(...xs))}`.replace(/ KB–/, "–");
  return (
    `${course.slug}: ${course.lessons.length} lesson${course.lessons.length === 1 ? "" : "s"} on days ${days}, ` +
    `graduation day ${course.graduationDay}; HTML ${range(html)} (limit ${formatKb(report.maxHtmlBytes)}), text ${range(text)}`
  );
}
