import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { renderLessonEmail } from "../render/emails.ts";
import { checkCourseFiles, formatIssues, formatWarnings } from "../content/check.ts";
import { readContentFiles } from "../content/load.ts";

/**
 * Wrangler's build step (wrangler.toml `[build]`): the Worker has no filesystem, so the course's
 * raw files are written to one JSON that the bundle imports (alias `lessonpost:course-files`) and
 * hands to the same `parseCourse` the Node side uses. The files get every check `content:check`
 * runs (links, day order, duplicate paragraphs, rendering, size), so a course that check refuses is
 * never deployed. CONTENT_DIR as on Node (default ./content).
 */

const COURSE_FILES_JSON = "build/worker/course-files.json";

async function main(): Promise<number> {
  const dir = process.env.CONTENT_DIR || "content";
  const files = await readContentFiles(dir);
  const report = await checkCourseFiles(files, { render: renderLessonEmail });
  for (const line of formatWarnings(report, dir)) console.error(line);
  if (!report.ok) {
    for (const line of formatIssues(report, dir)) console.error(line);
    const n = report.issues.length;
    console.error(`content:bundle: ${n} problem${n === 1 ? "" : "s"} in ${dir} (the same as npm run content:check reports); nothing was bundled`);
    return 1;
  }
  const json = `${JSON.stringify(files, null, 1)}\n`;
  // Rewriting an unchanged file would make `wrangler dev` rebuild and reload for nothing.
  const previous = await readFile(COURSE_FILES_JSON, "utf8").catch(() => undefined);
  if (previous !== json) {
    await mkdir(path.dirname(COURSE_FILES_JSON), { recursive: true });
    await writeFile(COURSE_FILES_JSON, json);
  }
  console.log(`content:bundle: ${files.length} files from ${dir} → ${COURSE_FILES_JSON}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`content:bundle: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 2;
  },
);
