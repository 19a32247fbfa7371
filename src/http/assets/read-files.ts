import { readFileSync } from "node:fs";

/**
 * The stylesheets and scripts, read from this folder on first use (never at import time).
 *
 * This module is the Node side of one mechanism: the Cloudflare Worker has no filesystem, so
 * wrangler.toml's `[alias]` replaces this very import specifier with build/worker/asset-files.js,
 * which src/cli/content-bundle.ts writes at build time with the same export holding the same
 * files. The real files under src/http/assets/ stay the one source on both sides.
 */
export function readAssetFiles(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, readFileSync(new URL(`./${name}`, import.meta.url), "utf8")]));
}
