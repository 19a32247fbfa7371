import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, runEntry, stopAll } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { TEST_SECRET, waitFor } from "../support/stack.ts";

/**
 * `NODE_ENV=production` start-up refuses what mailbox providers and the law would refuse later,
 * each with one line that names the setting, and warns about what merely hurts delivery.
 */
describe("production start-up checks", () => {
  const children: Child[] = [];
  const dirs: string[] = [];
  const prefix = uniquePrefix("prodstart");
  afterEach(async () => {
    await stopAll(children);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
  });

  async function productionEnv(overrides: Record<string, string | undefined>): Promise<Record<string, string>> {
    const dir = mkdtempSync(join(tmpdir(), "lessonpost-prod-"));
    dirs.push(dir);
    const env: Record<string, string | undefined> = {
      NODE_ENV: "production",
      PORT: String(await freePort()),
      DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`,
      OUTBOX_DIR: join(dir, "outbox"),
      REDIS_PREFIX: prefix,
      SECRET_KEY: TEST_SECRET,
      APP_URL: "https://lessons.example.test",
      EMAIL_FROM: "Lessons <lessons@lessons.example.test>",
      // A course with a real postal address; the shipped one still has the placeholder.
      CONTENT_DIR: "test/fixtures/content/minimal",
      ...overrides,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  async function failedStart(overrides: Record<string, string | undefined>): Promise<{ code: number | null; lines: string[] }> {
    const child = runEntry("src/main-http.ts", await productionEnv(overrides));
    children.push(child);
    const { code } = await child.exited;
    return { code, lines: child.output().trim().split("\n") };
  }

  it("stops with one line naming the postal address when the course still has the shipped placeholder", async () => {
    const { code, lines } = await failedStart({ CONTENT_DIR: "content" });
    expect(code).not.toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/course\.yaml: postalAddress is still the shipped placeholder/);
  });

  it("stops with one line naming APP_URL when it is not set, since every link would point at localhost", async () => {
    const { code, lines } = await failedStart({ APP_URL: undefined });
    expect(code).not.toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lessonpost: Invalid configuration: APP_URL: is required when NODE_ENV=production/);
  });

  it("stops with one line naming EMAIL_FROM when it does not parse as an address", async () => {
    const { code, lines } = await failedStart({ EMAIL_FROM: "Lessons <lessons at example.com>" });
    expect(code).not.toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lessonpost: Invalid configuration: EMAIL_FROM: must be an address/);
  });

  it("puts several bad settings on the same one line", async () => {
    const { code, lines } = await failedStart({ EMAIL_FROM: "nobody", PORT: "not-a-port" });
    expect(code).not.toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("EMAIL_FROM:");
    expect(lines[0]).toContain("PORT:");
  });

  it("starts, but warns, when APP_URL is not https and EMAIL_FROM is on a free-mail domain", async () => {
    const child = runEntry("src/main-http.ts", await productionEnv({ APP_URL: "http://lessons.example.test", EMAIL_FROM: "My Course <my.course@gmail.com>" }));
    children.push(child);
    await waitFor("the server to listen", () => (child.output().includes("listening on") ? true : undefined), 20_000);
    const warnings = child.output().split("\n").filter((line) => / warn /.test(line));
    expect(warnings.some((line) => line.includes("APP_URL=http://lessons.example.test is not https"))).toBe(true);
    expect(warnings.some((line) => line.includes("EMAIL_FROM is on gmail.com") && line.includes("DMARC"))).toBe(true);
    child.process.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });

  it("starts without those warnings on an https APP_URL and a sender on its own domain", async () => {
    const child = runEntry("src/main-http.ts", await productionEnv({}));
    children.push(child);
    await waitFor("the server to listen", () => (child.output().includes("listening on") ? true : undefined), 20_000);
    expect(child.output()).not.toMatch(/ warn /);
    child.process.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });
});
