import { Hono } from "hono";
// wrangler.toml aliases this exact specifier to the files bundled at build time (see read-files.ts).
import { readAssetFiles } from "./assets/read-files.ts";

/**
 * The pages' stylesheets and scripts (the files in src/http/assets/), served at URLs that carry a
 * hash of their content: `/assets/app.3f9c2a1b7d.css`. A changed file gets a new URL, so those
 * URLs can be cached for a year and never go stale; the pages link them through `assetUrl`.
 *
 * The unhashed URLs (`/assets/app.css`) keep working with a short cache, for anything that linked
 * them before (a page still open, a cached copy). A hashed URL whose hash is not the current one
 * answers 404 rather than new content that a cache would keep under the old name.
 */

const TYPES = {
  "app.css": "text/css; charset=utf-8",
  "admin.css": "text/css; charset=utf-8",
  "signup.js": "text/javascript; charset=utf-8",
  "confirm.js": "text/javascript; charset=utf-8",
  "admin.js": "text/javascript; charset=utf-8",
} as const;

export type AssetName = keyof typeof TYPES;

/** The names the Worker build bundles (src/cli/content-bundle.ts). */
export const ASSET_NAMES = Object.keys(TYPES) as AssetName[];

interface Asset {
  text: string;
  url: string;
}

let loaded: Map<AssetName, Asset> | undefined;

/** Read and hashed once, on the first page or asset request: nothing is read at import time. */
function assets(): Map<AssetName, Asset> {
  if (!loaded) {
    const files = readAssetFiles(ASSET_NAMES);
    loaded = new Map(
      ASSET_NAMES.map((name) => {
        const text = files[name];
        if (text === undefined) throw new Error(`The asset ${name} is missing from the build.`);
        const dot = name.lastIndexOf(".");
        return [name, { text, url: `/assets/${name.slice(0, dot)}.${contentHash(text)}${name.slice(dot)}` }];
      }),
    );
  }
  return loaded;
}

/**
 * 53 bits of cyrb53 as base 36: enough to tell two versions of a file apart, and synchronous on
 * Node and in the Worker alike (Web Crypto only digests asynchronously). Not a security measure.
 */
function contentHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** The content-hashed URL of one asset, for a page's <link> or <script>. */
export function assetUrl(name: AssetName): string {
  const asset = assets().get(name);
  if (!asset) throw new Error(`Unknown asset ${name}`);
  return asset.url;
}

const IMMUTABLE = "public, max-age=31536000, immutable";
const SHORT = "public, max-age=3600";

/** Mounted at /assets by createApp. */
export function assetRoutes() {
  return new Hono().get("/:file", (c) => {
    const file = c.req.param("file");
    for (const [name, asset] of assets()) {
      if (file === name || `/assets/${file}` === asset.url) {
        return c.body(asset.text, 200, { "content-type": TYPES[name], "cache-control": file === name ? SHORT : IMMUTABLE });
      }
    }
    return c.notFound();
  });
}
