import { errorStack } from "../errors.ts";
import { stat } from "node:fs/promises";
import { renderLessonEmail } from "../render/emails.ts";
import { checkCatalogue, countCatalogueIssues, formatCatalogueIssues, formatCatalogueWarnings, formatSummary } from "../content/check.ts";

/**
 * `npm run content:check [-- DIR]`: checks every course under DIR (each content/<slug>/ folder, or
 * DIR itself when it holds a course.yaml). Exits 1 when a course has problems, 2 when it cannot run.
 */

const USAGE = "usage: npm run content:check [-- DIR]   (DIR defaults to ./content; every course folder in it is checked)";

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const unknown = args.filter((a) => a.startsWith("-"));
  if (unknown.length > 0 || args.length > 1) {
    console.error(`content:check: unexpected argument(s): ${(unknown.length > 0 ? unknown : args.slice(1)).join(" ")}\n${USAGE}`);
    return 2;
  }
  const dir = args[0] ?? "content";
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    console.error(`content:check: ${dir} is not a directory\n${USAGE}`);
    return 2;
  }

  const report = await checkCatalogue(dir, { render: renderLessonEmail });
  for (const line of formatCatalogueWarnings(report, dir)) console.error(line);
  if (report.courses.length === 0) {
    console.error(`content:check: no course in ${dir}: add ${dir}/<course-slug>/course.yaml and ${dir}/<course-slug>/lessons/*.md`);
    return 1;
  }
  if (!report.ok) {
    for (const line of formatCatalogueIssues(report, dir)) console.error(line);
    const n = countCatalogueIssues(report);
    console.error(`\ncontent:check: ${n} problem${n === 1 ? "" : "s"} in ${dir}`);
    return 1;
  }
  for (const { report: course } of report.courses) console.log(`content:check: OK ${formatSummary(course)}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`content:check: ${errorStack(error)}`);
    process.exitCode = 2;
  },
);
