import { errorMessage, errorStack } from "../errors.ts";
import { access, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { importArticle, SLUG_PLACEHOLDER } from "../content/import.ts";
import type { ImportReport } from "../content/import.ts";

/**
 * `npm run content:import -- FILE… [--out content/lessons] [--day N] [--step N] [--force] [--dry-run]`
 * Writes one lesson draft per article and prints what it found and changed, so nothing is guessed silently.
 */

const USAGE = `usage: npm run content:import -- FILE... [options]
  --out DIR    where drafts go (default: content/lessons)
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
        out: { type: "string", default: path.join("content", "lessons") },
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

  const outDir = values.out;
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
