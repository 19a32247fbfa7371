import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVICE_NODE_FLAGS } from "../../../bench/support.ts";

/** The benchmarks measure the process the start scripts run, so their Node flags must be the same. */
describe("the benchmarks' service flags", () => {
  const scripts = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts;

  for (const name of ["start", "start:http", "start:workers"]) {
    it(`are exactly the Node flags of npm run ${name}, which runs the bundle its prestart builds`, () => {
      const words = scripts[name]!.split(/\s+/);
      expect(words[0]).toBe("node");
      expect(words.slice(1, -1)).toEqual(SERVICE_NODE_FLAGS);
      expect(words.at(-1)).toMatch(/^dist\/main(-http|-workers)?\.js$/);
      expect(scripts[`pre${name}`]).toBe("node scripts/build-server.ts");
    });
  }
});
