import matter from "gray-matter";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Node as YamlNode } from "yaml";
import { z } from "zod";
import { courseFileSchema, lessonFrontMatterSchema } from "./schema.ts";
import type { Course, CourseFile, Lesson, LessonFrontMatter } from "./schema.ts";

/**
 * Course parsing without a filesystem: tests and a Worker build that bundles the files call
 * `parseCourse` directly; `loadCourse` (load.ts) reads a directory and hands the files here.
 * Keep Node-only imports out of this module.
 */

export const COURSE_FILE = "course.yaml";
export const LESSONS_DIR = "lessons";
const WORDS_PER_MINUTE = 200;

export interface ContentFile {
  /** Path relative to the content dir with `/` separators, e.g. `lessons/01-intro.md`. */
  path: string;
  text: string;
}

export interface ContentIssue {
  /** Path relative to the content dir. */
  file: string;
  /** 1-based line in that file; 1 when no better position is known. */
  line: number;
  message: string;
}

export function formatIssue(issue: ContentIssue, root?: string): string {
  return `${joinDisplayPath(root, issue.file)}:${issue.line}: ${issue.message}`;
}

export class ContentError extends Error {
  readonly issues: readonly ContentIssue[];
  /** Directory the issue paths are relative to, when known; only used for display. */
  readonly root: string | undefined;

  constructor(issues: readonly ContentIssue[], root?: string) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`Course content has ${count}:\n${issues.map((i) => `  ${formatIssue(i, root)}`).join("\n")}`);
    this.name = "ContentError";
    this.issues = issues;
    this.root = root;
  }
}

type KeyPath = readonly PropertyKey[];

/** One lesson file as far as it could be understood, valid or not; the checker needs the partial results. */
export interface LessonFileInfo {
  file: string;
  /** Parsed front matter before validation; undefined when there is none or it is not YAML. */
  data: unknown;
  /** Present only when the front matter passed validation. */
  frontMatter?: LessonFrontMatter;
  /** Markdown after the front matter (untrimmed), or undefined when the front matter could not be delimited. */
  body?: string;
  /** File line on which `body` starts. */
  bodyStartLine: number;
  /** File line of a front-matter key (or of its closest existing parent), 1 if unknown. */
  lineOf(path: KeyPath): number;
  issues: ContentIssue[];
}

export interface CourseInspection {
  /**
   * Built whenever course.yaml is valid and at least one lesson is, so callers can go on checking
   * the good parts; it is complete only when `issues` is empty.
   */
  course?: Course;
  courseFile?: CourseFile;
  /** Lesson files in file-name order. */
  lessons: LessonFileInfo[];
  issues: ContentIssue[];
}

/** Validates everything and collects every problem instead of stopping at the first one. */
export function inspectCourse(files: readonly ContentFile[]): CourseInspection {
  const issues: ContentIssue[] = [];
  const byPath = new Map<string, string>();
  for (const f of files) byPath.set(normalizePath(f.path), f.text);

  let courseFile: CourseFile | undefined;
  const courseText = byPath.get(COURSE_FILE);
  if (courseText === undefined) {
    issues.push({ file: COURSE_FILE, line: 1, message: "missing: every course needs a course.yaml" });
  } else {
    const result = parseCourseYaml(courseText);
    issues.push(...result.issues);
    courseFile = result.courseFile;
  }

  const lessonPaths = [...byPath.keys()].filter(isLessonPath).sort(compareStrings);
  if (lessonPaths.length === 0) {
    issues.push({ file: COURSE_FILE, line: 1, message: `no lessons: add Markdown files under ${LESSONS_DIR}/` });
  }
  const lessons = lessonPaths.map((p) => parseLessonFile(p, byPath.get(p) ?? ""));
  for (const l of lessons) issues.push(...l.issues);

  const seenSlugs = new Map<string, string>();
  for (const l of lessons) {
    if (!l.frontMatter) continue;
    const other = seenSlugs.get(l.frontMatter.slug);
    if (other !== undefined) {
      issues.push({
        file: l.file,
        line: l.lineOf(["slug"]),
        message: `duplicate slug "${l.frontMatter.slug}": ${other} already uses it`,
      });
    } else {
      seenSlugs.set(l.frontMatter.slug, l.file);
    }
  }

  const valid = lessons.filter((l): l is LessonFileInfo & { frontMatter: LessonFrontMatter } => !!l.frontMatter);
  let course: Course | undefined;
  if (courseFile && valid.length > 0) course = buildCourse(courseFile, valid);

  issues.sort((a, b) => compareStrings(a.file, b.file) || a.line - b.line);
  return { course, courseFile, lessons, issues };
}

/** Pure: content files in, validated course out. Throws ContentError listing every problem. */
export function parseCourse(files: readonly ContentFile[], options: { root?: string } = {}): Course {
  const { course, issues } = inspectCourse(files);
  if (issues.length > 0 || !course) throw new ContentError(issues, options.root);
  return course;
}

// ---------------------------------------------------------------------------------------------

function buildCourse(courseFile: CourseFile, lessons: (LessonFileInfo & { frontMatter: LessonFrontMatter })[]): Course {
  const ordered = [...lessons].sort((a, b) => a.frontMatter.day - b.frontMatter.day || compareStrings(a.file, b.file));
  const built: Lesson[] = ordered.map((l, index) => {
    const markdown = (l.body ?? "").trim();
    return {
      ...l.frontMatter,
      number: index + 1,
      markdown,
      readingMinutes: Math.max(1, Math.ceil(countWords(markdown) / WORDS_PER_MINUTE)),
      file: l.file,
    };
  });
  const lastDay = built.at(-1)?.day ?? 0;
  return { ...courseFile, publisher: courseFile.publisher ?? courseFile.sender.name, lessons: built, graduationDay: lastDay + courseFile.graduation.daysAfterLastLesson };
}

/** Words a reader reads: link targets and HTML tags are not read. */
export function countWords(markdown: string): number {
  const prose = markdown
    .replace(/\]\([^)]*\)/g, "]")
    .replace(/<[^>]+>/g, " ")
    .replace(/https?:\/\/\S+/g, " ");
  return prose.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}

function parseCourseYaml(text: string): { courseFile?: CourseFile; issues: ContentIssue[] } {
  const yaml = parseYaml(normalizeText(text));
  const issues = yaml.errors.map((e) => ({ file: COURSE_FILE, ...e }));
  if (issues.length > 0) return { issues };
  if (!isPlainObject(yaml.data)) {
    return { issues: [{ file: COURSE_FILE, line: 1, message: "must be a YAML mapping of fields (slug, name, description, …)" }] };
  }
  issues.push(...validateData(COURSE_FILE, yaml.data, courseFileSchema, yaml.lineOf));
  if (issues.length > 0) return { issues };
  return { courseFile: courseFileSchema.parse(yaml.data), issues };
}

function parseLessonFile(file: string, rawText: string): LessonFileInfo {
  const text = normalizeText(rawText);
  const info: LessonFileInfo = { file, data: undefined, bodyStartLine: 1, lineOf: () => 1, issues: [] };
  const lines = text.split("\n");
  if (!/^---[ \t]*$/.test(lines[0] ?? "")) {
    info.issues.push({
      file,
      line: 1,
      message: "missing front matter: a lesson must start with a '---' line, YAML fields, and a closing '---' line",
    });
    return info;
  }
  if (!lines.slice(1).some((l) => /^---[ \t]*$/.test(l))) {
    info.issues.push({ file, line: 1, message: "front matter is not closed: add a '---' line after the fields" });
    return info;
  }

  // gray-matter only delimits here: its YAML engine sees trimmed, comment-stripped text, which
  // would shift line numbers, so the raw block is parsed with `yaml` instead.
  const split = matter(text, { engines: { yaml: () => ({}) } });
  info.body = split.content;
  info.bodyStartLine = text.slice(0, text.length - split.content.length).split("\n").length;
  if (split.content.trim() === "") {
    info.issues.push({ file, line: info.bodyStartLine, message: "the lesson has no text after the front matter" });
  }

  // `split.matter` starts right after the opening `---`, so its line N is file line N.
  const yaml = parseYaml(split.matter);
  info.lineOf = yaml.lineOf;
  if (yaml.errors.length > 0) {
    info.issues.push(...yaml.errors.map((e) => ({ file, ...e })));
    return info;
  }
  info.data = yaml.data ?? {};
  if (!isPlainObject(info.data)) {
    info.issues.push({ file, line: 2, message: "front matter must be YAML fields (key: value), not a list or a single value" });
    return info;
  }
  info.issues.push(...validateData(file, info.data, lessonFrontMatterSchema, yaml.lineOf));
  if (info.issues.length === 0) {
    const fm = lessonFrontMatterSchema.parse(info.data);
    if (fm.source.url !== undefined && !/^https?:\/\//i.test(fm.source.url)) {
      info.issues.push({
        file,
        line: yaml.lineOf(["source", "url"]),
        message: `"source.url" must be an http(s) URL, got "${fm.source.url}"`,
      });
    } else {
      info.frontMatter = fm;
    }
  }
  return info;
}

/** Schema errors plus what the schema lets through silently: misspelt keys and importer placeholders. */
function validateData(file: string, data: Record<string, unknown>, schema: z.ZodType, lineOf: (p: KeyPath) => number): ContentIssue[] {
  const issues: ContentIssue[] = [];
  for (const key of unknownKeys(schema, data)) {
    const allowed = Object.keys(objectShape(schema, key.slice(0, -1)) ?? {}).join(", ");
    issues.push({ file, line: lineOf(key), message: `unknown field "${dotted(key)}" (allowed here: ${allowed})` });
  }
  for (const { key, value } of placeholders(data)) {
    issues.push({
      file,
      line: lineOf(key),
      message: `"${dotted(key)}" is still a placeholder (${JSON.stringify(value)}): replace it before publishing`,
    });
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push({ file, line: lineOf(issue.path), message: describeZodIssue(issue, data) });
    }
  }
  return issues;
}

function describeZodIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const key = dotted(issue.path);
  const value = valueAt(data, issue.path);
  if (issue.code === "invalid_type" && value === undefined) return `missing required field "${key}"`;
  if (issue.code === "invalid_type" && value === null) return `"${key}" is empty: expected ${issue.expected}`;
  const shown =
    value !== undefined && (typeof value !== "object" || value === null) && String(value).length <= 60
      ? ` (got ${JSON.stringify(value)})`
      : "";
  return key ? `"${key}": ${issue.message}${shown}` : `${issue.message}${shown}`;
}

/** The importer writes `TODO: …` for anything it could not find; such a value must never ship. */
function placeholders(value: unknown, at: PropertyKey[] = []): { key: PropertyKey[]; value: string }[] {
  if (typeof value === "string") {
    const isSlugPlaceholder = at.at(-1) === "slug" && /^todo(?:-|$)/.test(value);
    return /\bTODO\b/.test(value) || isSlugPlaceholder ? [{ key: at, value }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholders(v, [...at, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => placeholders(v, [...at, k]));
  return [];
}

function unwrapSchema(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
    s = s.unwrap() as z.ZodType;
  }
  return s;
}

function objectShape(schema: z.ZodType, at: readonly PropertyKey[]): Record<string, z.ZodType> | undefined {
  let s = unwrapSchema(schema);
  for (const key of at) {
    if (!(s instanceof z.ZodObject)) return undefined;
    const next = (s.shape as Record<string, z.ZodType>)[String(key)];
    if (!next) return undefined;
    s = unwrapSchema(next);
  }
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}

function unknownKeys(schema: z.ZodType, value: unknown, at: PropertyKey[] = []): PropertyKey[][] {
  const shape = objectShape(schema, []);
  if (!shape || !isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const child = shape[k];
    return child ? unknownKeys(child, v, [...at, k]) : [[...at, k]];
  });
}

interface ParsedYaml {
  data: unknown;
  errors: { line: number; message: string }[];
  lineOf(path: KeyPath): number;
}

function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, logLevel: "error" });
  // Pretty errors carry a position and append "at line L, column C:" plus a source excerpt to the
  // message; we print our own file:line, so keep only the first clause.
  const errors = doc.errors.map((e) => ({
    line: e.linePos?.[0].line ?? 1,
    message: `invalid YAML: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`,
  }));
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const lineOf = (keyPath: KeyPath): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of keyPath) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        const keyRange = (pair?.key as YamlNode | undefined)?.range;
        if (!pair || !keyRange) break;
        line = lineAt(keyRange[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        const item = node.items[key] as YamlNode | undefined;
        if (!item?.range) break;
        line = lineAt(item.range[0]);
        node = item;
      } else {
        break;
      }
    }
    return line;
  };
  let data: unknown;
  if (errors.length === 0) {
    try {
      data = doc.toJS();
    } catch (error) {
      // Aliases are resolved only here (an undefined `*alias`, or too many of them).
      errors.push({ line: 1, message: `invalid YAML: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
    }
  }
  return { data, errors, lineOf };
}

function valueAt(data: unknown, keyPath: KeyPath): unknown {
  let v = data;
  for (const key of keyPath) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function dotted(keyPath: KeyPath): string {
  return keyPath.map(String).join(".");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isLessonPath(p: string): boolean {
  return p.startsWith(`${LESSONS_DIR}/`) && p.endsWith(".md") && !p.slice(LESSONS_DIR.length + 1).includes("/");
}

/** Byte order marks and Windows line endings would otherwise break the `---` delimiters and line numbers. */
export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

function normalizePath(p: string): string {
  return p.replace(/\\/g, "/").replace(/^\.\//, "");
}

function joinDisplayPath(root: string | undefined, file: string): string {
  if (!root || root === ".") return file;
  return `${root.replace(/[\\/]+$/, "")}/${file}`;
}

/** Code-point order, not locale order, so file ordering is the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
