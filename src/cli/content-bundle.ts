import { errorStack } from "../errors.ts";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { renderLessonEmail } from "../render/emails.ts";
import { checkCatalogueFolders, countCatalogueIssues, formatCatalogueIssues, formatCatalogueWarnings } from "../content/check.ts";
import { readCatalogueFolders } from "../content/load.ts";
import { ASSET_NAMES } from "../http/assets.ts";
import { readAssetFiles } from "../http/assets/read-files.ts";

/**
 * Wrangler's build step (wrangler.toml `[build]`): the Worker has no filesystem, so the course's
 * raw files are written to one JSON that the bundle imports (alias `lessonpost:course-files`) and
 * hands to the same `parseCatalogue` the Node side uses. The files get every check `content:check`
 * runs (links, day order, duplicate paragraphs, rendering, size), so a course that check refuses is
 * never deployed. CONTENT_DIR as on Node (default ./content).
 *
 * The pages' stylesheets and scripts (src/http/assets/) go the same way: written as a module with
 * the export of src/http/assets/read-files.ts, which wrangler.toml's `[alias]` puts in its place.
 */

const COURSE_FILES_JSON = "build/worker/course-files.json";
const ASSET_FILES_JS = "build/worker/asset-files.js";

/** Writes `file` only when it changed: rewriting it would make `wrangler dev` rebuild and reload for nothing. */
async function writeIfChanged(file: string, text: string): Promise<void> {
  const previous = await readFile(file, "utf8").catch(() => undefined);
  if (previous !== text) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

async function main(): Promise<number> {
  const dir = process.env.CONTENT_DIR || "content";
  const folders = await readCatalogueFolders(dir);
  const report = await checkCatalogueFolders(folders, { render: renderLessonEmail });
  for (const line of formatCatalogueWarnings(report, dir)) console.error(line);
  if (folders.length === 0 || !report.ok) {
    for (const line of formatCatalogueIssues(report, dir)) console.error(line);
    const n = Math.max(1, countCatalogueIssues(report));
    console.error(`content:bundle: ${n} problem${n === 1 ? "" : "s"} in ${dir} (the same as npm run content:check reports); nothing was bundled`);
    return 1;
  }
  await writeIfChanged(COURSE_FILES_JSON, `${JSON.stringify(folders, null, 1)}\n`);
  console.log(`content:bundle: ${folders.length} course${folders.length === 1 ? "" : "s"} from ${dir} → ${COURSE_FILES_JSON}`);
  const assets = readAssetFiles(ASSET_NAMES);
  await writeIfChanged(
    ASSET_FILES_JS,
    [
      "// Written by src/cli/content-bundle.ts from src/http/assets/; stands in for src/http/assets/read-files.ts in the Worker.",
      `const files = ${JSON.stringify(assets, null, 1)};`,
      "export function readAssetFiles(names) {",
      "  return Object.fromEntries(names.map((name) => [name, files[name]]));",
      "}",
      "",
    ].join("\n"),
  );
  console.log(`content:bundle: ${ASSET_NAMES.length} stylesheets and scripts → ${ASSET_FILES_JS}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`content:bundle: ${errorStack(error)}`);
    process.exitCode = 2;
  },
);
