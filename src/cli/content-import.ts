import { errorMessage, errorStack } from "../errors.ts";
import { access, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { importArticle, SLUG_PLACEHOLDER } from "../content/import.ts";
import type { ImportReport } from "../content/import.ts";

/**
 * `npm run content:import -- FILE… [--course SLUG | --out DIR] [--day N] [--step N] [--force] [--dry-run]`
 * Writes one lesson draft per article and prints what it found and changed, so nothing is guessed silently.
 */

const USAGE = `usage: npm run content:import -- FILE... [options]
  --course SLUG  the course the drafts are for: they go to content/SLUG/lessons
                 (optional when content/ holds one course)
  --out DIR    where drafts go instead (any folder)
  --day N      day offset of the first draft (default: 0, or 7 after the last existing lesson)
  --step N     days between drafts imported together (default: 7)
  --force      overwrite a draft that already exists for the same slug
  --dry-run    print the report without writing anything
example: npm run content:import -- content/sources/002_045da85a41f7b346.txt --dry-run`;

interface ExistingLesson {
  number: number;
  slug: string;
  file: string;
  day?: number;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        course: { type: "string" },
        out: { type: "string" },
        day: { type: "string" },
        step: { type: "string", default: "7" },
        force: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`content:import: ${errorMessage(error)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    console.error(`content:import: no input files\n${USAGE}`);
    return 2;
  }
  const step = parseNonNegativeInt(values.step, "--step");
  const firstDay = values.day === undefined ? undefined : parseNonNegativeInt(values.day, "--day");
  if (step === null || firstDay === null) return 2;

  const outDir = values.out ?? (await lessonsDirFor(values.course));
  if (outDir === undefined) return 2;
  const dryRun = values["dry-run"];
  const existing = await readExistingLessons(outDir);
  let nextNumber = Math.max(0, ...existing.map((e) => e.number)) + 1;
  const lastDay = Math.max(-1, ...existing.map((e) => e.day ?? -1));
  let day = firstDay ?? (lastDay >= 0 ? lastDay + step : 0);

  let failed = 0;
  let needsWork = 0;
  for (const input of positionals) {
    let text: string;
    try {
      text = await readFile(input, "utf8");
    } catch (error) {
      console.error(`${input}: cannot read: ${errorMessage(error)}`);
      failed++;
      continue;
    }
    const result = importArticle(text, path.basename(input), { day });
    const slug = result.frontMatter.slug;
    const sameSlug = slug === SLUG_PLACEHOLDER ? undefined : existing.find((e) => e.slug === slug);
    const target = sameSlug?.file ?? path.join(outDir, `${String(nextNumber).padStart(2, "0")}-${slug}.md`);

    if (!values.force && (await exists(target))) {
      console.error(`${input}: refusing to overwrite ${target} (a draft for "${slug}" exists); pass --force to replace it`);
      failed++;
      continue;
    }
    if (!dryRun) {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, result.markdown, "utf8");
    }
    printReport(input, target, day, result.report, dryRun);
    if (result.report.warnings.length > 0) needsWork++;
    if (!sameSlug) {
      existing.push({ number: nextNumber, slug, file: target, day });
      nextNumber++;
    }
    day += step;
  }

  if (needsWork > 0) {
    console.log(
      `\n${needsWork} draft${needsWork === 1 ? " needs" : "s need"} attention: fix the warnings above; TODO placeholders fail npm run content:check until replaced.`,
    );
  }
  return failed > 0 ? 1 : 0;
}

/**
 * content/<course>/lessons. Without --course: the one course's, when content/ holds exactly one
 * (or is a one-course folder itself); else which courses there are, so the author can pick.
 */
async function lessonsDirFor(course: string | undefined): Promise<string | undefined> {
  const root = process.env.CONTENT_DIR || "content";
  if (await exists(path.join(root, "course.yaml"))) return path.join(root, "lessons");
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const courses: string[] = [];
  for (const e of entries) if (e.isDirectory() && (await exists(path.join(root, e.name, "course.yaml")))) courses.push(e.name);
  courses.sort();
  if (course !== undefined) {
    if (courses.includes(course)) return path.join(root, course, "lessons");
    console.error(`content:import: no course "${course}" in ${root} (${courses.join(", ") || "none yet"}); create ${root}/${course}/course.yaml first, or pass --out DIR`);
    return undefined;
  }
  if (courses.length === 1) return path.join(root, courses[0]!, "lessons");
  console.error(`content:import: which course are the drafts for? pass --course SLUG (${courses.join(", ") || `no course in ${root} yet`}), or --out DIR\n${USAGE}`);
  return undefined;
}

function printReport(input: string, target: string, day: number, report: ImportReport, dryRun: boolean): void {
  const none = "(none found)";
  console.log(`\n${input} → ${target}${dryRun ? " (dry run, not written)" : ""}`);
  console.log(`  author:      ${report.author ?? none}`);
  console.log(`  title:       ${report.title ?? none}`);
  console.log(`  slug:        ${report.slug}`);
  console.log(`  source:      ${report.sourceName ?? none}`);
  console.log(`  credit:      ${report.credit ?? none}`);
  console.log(`  paragraphs:  ${report.paragraphCount}`);
  console.log(`  day:         ${day}`);
  if (report.removedDuplicates.length > 0) {
    console.log("  removed duplicates:");
    for (const d of report.removedDuplicates) {
      console.log(`    - paragraph ${d.paragraph} (${d.kind} repeat of ${d.duplicateOf}): "${excerpt(d.text)}"`);
    }
  }
  if (report.changes.length > 0) {
    console.log("  changes:");
    for (const c of report.changes) console.log(`    - ${c}`);
  }
  if (report.warnings.length > 0) {
    console.log("  warnings:");
    for (const w of report.warnings) console.log(`    ! ${w}`);
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 70 ? `${flat.slice(0, 69)}…` : flat;
}

async function readExistingLessons(dir: string): Promise<ExistingLesson[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const lessons: ExistingLesson[] = [];
  for (const name of names) {
    const match = /^(\d+)-(.+)\.md$/.exec(name);
    if (!match?.[1] || !match[2]) continue;
    const file = path.join(dir, name);
    const text = await readFile(file, "utf8").catch(() => "");
    const day = /^day:\s*(\d+)\s*$/m.exec(text)?.[1];
    lessons.push({ number: Number(match[1]), slug: match[2], file, day: day === undefined ? undefined : Number(day) });
  }
  return lessons;
}

function parseNonNegativeInt(value: string, flag: string): number | null {
  if (!/^\d+$/.test(value)) {
    console.error(`content:import: ${flag} must be a whole number of days, got "${value}"`);
    return null;
  }
  return Number(value);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`content:import: ${errorStack(error)}`);
    process.exitCode = 2;
  },
);
