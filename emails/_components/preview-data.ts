import { COURSE_FILE, inspectCourse, LESSONS_DIR } from "../../src/content/parse.ts";
import type { ContentFile } from "../../src/content/parse.ts";
import type { Course, Lesson } from "../../src/content/schema.ts";

/**
 * Preview data for the React Email dev server (`npm run email:dev`, run from the project root) and
 * the browser tests: a real course, read from CONTENT_DIR (default ./content; with several courses,
 * the one PREVIEW_COURSE names, else the first). It goes through
 * inspectCourse rather than parseCourse so a lesson someone is mid-way through editing drops out of
 * the previews instead of breaking all of them.
 *
 * Read on first use, never at import: the app imports the templates too, and neither the Worker
 * nor a process started elsewhere than the project root has ./content to read. For the same
 * reason `fs` is fetched only then, not imported.
 */

/**
 * The course to preview under a content dir: `dir` itself in the one-course layout, else the
 * folder named by PREVIEW_COURSE, else the first course folder by name.
 */
export function previewCourseDir(dir: string, slug = process.env.PREVIEW_COURSE): string {
  const fs = process.getBuiltinModule("node:fs");
  if (fs.existsSync(`${dir}/${COURSE_FILE}`)) return dir;
  if (slug) return `${dir}/${slug}`;
  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(`${dir}/${e.name}/${COURSE_FILE}`))
    .map((e) => e.name)
    .sort();
  if (folders.length === 0) throw new Error(`no course to preview in ${dir}: add ${dir}/<course-slug>/course.yaml`);
  return `${dir}/${folders[0]}`;
}

export function readCourse(contentDir: string): Course {
  const fs = process.getBuiltinModule("node:fs");
  const join = (...parts: string[]) => parts.join("/");
  const dir = previewCourseDir(contentDir);
  const files: ContentFile[] = [{ path: COURSE_FILE, text: fs.readFileSync(join(dir, COURSE_FILE), "utf8") }];
  for (const name of fs.readdirSync(join(dir, LESSONS_DIR)).filter((n) => n.endsWith(".md")).sort()) {
    files.push({ path: `${LESSONS_DIR}/${name}`, text: fs.readFileSync(join(dir, LESSONS_DIR, name), "utf8") });
  }
  const { course, issues } = inspectCourse(files);
  if (!course) throw new Error(`no course to preview in ${dir}: ${issues.map((i) => `${i.file}:${i.line}: ${i.message}`).join("; ")}`);
  return course;
}

export interface PreviewData {
  course: Course;
  /** The first lesson. */
  lesson: Lesson;
  /** A lesson with every optional field the course has: a linked source and a credit line. */
  creditedLesson: Lesson;
}

let cached: PreviewData | undefined;

export function previewData(): PreviewData {
  if (!cached) {
    const course = readCourse(process.env.CONTENT_DIR || "content");
    const creditedLesson = course.lessons.find((l) => l.credit && l.source.url) ?? course.lessons.find((l) => l.credit) ?? course.lessons.at(-1)!;
    cached = { course, lesson: course.lessons[0]!, creditedLesson };
  }
  return cached;
}

/** A template's PreviewProps as a getter, so the course is read when the preview server asks for them. */
export function definePreviewProps<Props>(component: object, props: () => Props): void {
  Object.defineProperty(component, "PreviewProps", { get: props, enumerable: true, configurable: true });
}

export const previewRecipient = { email: "dana@example.com", name: "Dana" };

export const previewUrls = {
  confirm: "https://lessonpost.example/confirm?token=3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
  unsubscribe: "https://lessonpost.example/u/3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
  preferences: "https://lessonpost.example/p/3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
  webVersion: "https://lessonpost.example/email/3q2-7Yb9xK0sPzLr4mVwN8aTgHcJ1eUo",
};

export const previewNewsletterSubject = "Holding your partner accountable, kindly";

export const previewNewsletterMarkdown = [
  "A few readers wrote back after the second lesson with the same question: *how do I hold my partner accountable without it turning into blame?*",
  "Here is the line from Dr. Keren Sofer’s article that answers it best:",
  "> We cannot have true compassion for our partner without holding them accountable for the pain they caused us.",
  "## Three small practices for this week",
  "1. **Name your part first.** One sentence, no “but”.\n2. **Name the hurt, not the character.** “I felt alone on Friday” lands differently from “you never show up”.\n3. **Leave room for repair.** Making amends is a process, not a verdict.",
  "If you missed it, the lesson is [Couples Therapy: Shifting from Blame to Compassion](https://lessonpost.example/couples-therapy/blame-to-compassion).",
  "Until next time.",
].join("\n\n");
