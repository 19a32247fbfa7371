import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Builds the Node entry points (src/main*.ts, and the admin CLI as dist/cli/admin-cli.js) into
 * dist/, one ES module each, before `npm start`, `start:http`, `start:workers` and `npm run admin`
 * (their `pre` scripts). Takes well under a second.
 *
 * Why build instead of running the TypeScript through `--import tsx`: tsx's module hooks run in a
 * second V8 isolate and keep a transform service beside the process, about 55 MiB of the idle
 * service's resident memory for no work once it has started (measured in BENCHMARKS.md's memory
 * section). The admin CLI is built for its start-up: through tsx it took 2.4-2.7 s to print its
 * help, as a bundle 0.8-0.9 s, paid on every command an admin (or a cron job, or the test suite)
 * runs. The content CLIs and `email:dev` still run the sources directly.
 *
 * Dependencies stay in node_modules, except @react-email/components: its index re-exports every
 * component (Tailwind with its compiler, the Markdown and code-block renderers), and bundling it
 * keeps only the seven our templates use.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const BUNDLED = new Set(["@react-email/components"]);
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const assetsDir = join(root, "src/http/assets");

/** The bundle an entry point (`src/main*.ts`, the admin CLI) is built into, or undefined for any other file. */
export function builtEntry(entry: string): string | undefined {
  const name = /^src\/(main(?:-[a-z]+)?|cli\/admin-cli)\.ts$/.exec(entry)?.[1];
  return name === undefined ? undefined : `dist/${name}.js`;
}

const ENTRY_POINTS = ["src/main.ts", "src/main-http.ts", "src/main-workers.ts", "src/cli/admin-cli.ts"];

/**
 * Writes dist/main.js, dist/main-http.js, dist/main-workers.js and dist/cli/admin-cli.js (with
 * source maps) from src/, or only the entry points named (`preadmin` builds the CLI alone, so an
 * admin command does not wait for three service bundles it does not run).
 */
export async function buildServer(entryPoints: readonly string[] = ENTRY_POINTS): Promise<string[]> {
  const unknown = entryPoints.filter((entry) => !ENTRY_POINTS.includes(entry));
  if (unknown.length > 0) throw new Error(`build-server: not an entry point: ${unknown.join(", ")} (known: ${ENTRY_POINTS.join(", ")})`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [...entryPoints],
    outdir: "dist",
    outbase: "src",
    bundle: true,
    // Each entry stands alone, with no shared chunks: a file name never changes, so a rebuild
    // leaves nothing stale behind (see the renames below).
    write: false,
    format: "esm",
    platform: "node",
    target: "node22",
    external,
    // Code bundled from CommonJS may call require(); ES modules have none.
    banner: { js: 'import { createRequire as __lessonpostCreateRequire } from "node:module"; const require = __lessonpostCreateRequire(import.meta.url);' },
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [
      {
        // The same swap the Worker build makes (wrangler.toml [alias]): the stylesheets and scripts
        // travel inside the bundle, since dist/ has no src/http/assets/ beside it.
        name: "embedded-assets",
        setup(b) {
          b.onResolve({ filter: /\/assets\/read-files\.ts$/ }, () => ({ path: "asset-files", namespace: "lessonpost" }));
          b.onLoad({ filter: /^asset-files$/, namespace: "lessonpost" }, () => {
            const files = Object.fromEntries(
              readdirSync(assetsDir)
                .filter((name) => !name.endsWith(".ts"))
                .map((name) => [name, readFileSync(join(assetsDir, name), "utf8")]),
            );
            return {
              contents: `const FILES = ${JSON.stringify(files)};
  export function readAssetFiles(names) {
    return Object.fromEntries(names.map((name) => {
      if (!(name in FILES)) throw new Error("no asset file " + name);
      return [name, FILES[name]];
    }));
  }`,
              loader: "js",
              watchFiles: readdirSync(assetsDir).map((name) => join(assetsDir, name)),
            };
          });
        },
      },
    ],
  });
  // Two processes may start at once (two `npm run start:http` for scale-out): each file is written
  // beside its place and renamed over it, so a process that is loading never reads half a file.
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  return result.outputFiles.map((file) => basename(file.path));
}

if (import.meta.url === `file://${process.argv[1]}`) await buildServer(process.argv.length > 2 ? process.argv.slice(2) : undefined);

