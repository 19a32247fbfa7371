import { readFile } from "node:fs/promises";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ASSET_NAMES, assetRoutes, assetUrl } from "../../src/http/assets.ts";

function app() {
  return new Hono().route("/assets", assetRoutes());
}

describe("stylesheets and scripts", () => {
  it("serve each file at a content-hashed URL, cached for a year", async () => {
    for (const name of ASSET_NAMES) {
      const url = assetUrl(name);
      const [stem, ext] = name.split(".");
      expect(url).toMatch(new RegExp(`^/assets/${stem}\\.[0-9a-z]+\\.${ext}$`));
      const response = await app().request(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("content-type")).toBe(ext === "css" ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
      expect(await response.text()).toBe(await readFile(new URL(`../../src/http/assets/${name}`, import.meta.url), "utf8"));
    }
  });

  it("give every file its own URL", () => {
    expect(new Set(ASSET_NAMES.map(assetUrl)).size).toBe(ASSET_NAMES.length);
  });

  it("keep answering the unhashed URLs, with a short cache", async () => {
    const response = await app().request("/assets/app.css");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(await response.text()).toContain(":root");
  });

  it("answer 404 for a hash that is not the current one, so no cache keeps new content under an old name", async () => {
    expect((await app().request("/assets/app.0000000000.css")).status).toBe(404);
    expect((await app().request("/assets/other.css")).status).toBe(404);
  });

  it("ship scripts that parse", async () => {
    for (const name of ASSET_NAMES.filter((n) => n.endsWith(".js"))) {
      const source = await (await app().request(assetUrl(name))).text();
      expect(() => new Function(source)).not.toThrow();
    }
  });
});
