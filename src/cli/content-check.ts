import { errorStack } from "../errors.ts";
import { stat } from "node:fs/promises";
import { renderLessonEmail } from "../render/emails.ts";
import { checkCourse, formatIssues, formatSummary, formatWarnings } from "../content/check.ts";

/** `npm run content:check [-- DIR]`: exits 1 when the course has problems, 2 when it cannot run. */

const USAGE = "usage: npm run content:check [-- DIR]   (DIR defaults to ./content)";

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

  const report = await checkCourse(dir, { render: renderLessonEmail });
  for (const line of formatWarnings(report, dir)) console.error(line);
  if (!report.ok) {
    for (const line of formatIssues(report, dir)) console.error(line);
    const n = report.issues.length;
    console.error(`\ncontent:check: ${n} problem${n === 1 ? "" : "s"} in ${dir}`);
    return 1;
  }
  console.log(`content:check: OK ${formatSummary(report)}`);
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
