import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase } from "../support/databases.ts";
import { freePort, runEntry, stopAll } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { TEST_SECRET, waitFor } from "../support/stack.ts";

/**
 * The start-up log as a newcomer reads it: the URL, where mail goes, the database, whether /admin
 * is on (and how to turn it on), a compressed calendar, the courses; one line each, and never a
 * secret (SECRET_KEY, ADMIN_TOKEN, the Resend key, the database password).
 */
describe("start-up log", () => {
  const children: Child[] = [];
  const dirs: string[] = [];
  const prefix = uniquePrefix("startlog");
  afterEach(async () => {
    await stopAll(children);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
  });

  /** Starts `npm start` (HTTP and workers), waits until both are up, stops it cleanly, and returns its lines. */
  async function startAndStop(env: Record<string, string>): Promise<string[]> {
    const child = runEntry("src/main.ts", { PORT: String(await freePort()), REDIS_PREFIX: prefix, CONTENT_DIR: "test/fixtures/content/two-courses", ...env });
    children.push(child);
    await waitFor("HTTP and workers to start", () => (child.output().includes("listening on") && child.output().includes("workers started") ? true : undefined), 20_000);
    child.process.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
    return child.output().trim().split("\n");
  }

  const only = (lines: string[], pattern: RegExp) => {
    const found = lines.filter((line) => pattern.test(line));
    expect(found, `one line matching ${pattern}`).toHaveLength(1);
    return found[0]!;
  };

  it("a first start on SQLite and the outbox names the file, the outbox, /admin off and how to turn it on, the compressed calendar and the courses", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lessonpost-startlog-"));
    dirs.push(dir);
    const lines = await startAndStop({ DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, OUTBOX_DIR: join(dir, "outbox"), COURSE_DAY_SECONDS: "30", APP_URL: "http://localhost:4555" });

    expect(only(lines, /listening on/)).toContain("listening on http://localhost:4555");
    expect(only(lines, /emails go to/)).toContain(`emails go to the local outbox (${join(dir, "outbox")}); read them at http://localhost:4555/outbox`);
    expect(only(lines, /database:/)).toContain(`database: SQLite at ${join(dir, "db.sqlite")}`);
    expect(only(lines, /admin console/)).toContain("admin console is off: set ADMIN_TOKEN or ADMIN_PASSWORD_HASH to turn it on");
    expect(only(lines, /COURSE_DAY_SECONDS/)).toContain("COURSE_DAY_SECONDS=30: the calendar is compressed, one course day lasts 30 seconds");
    expect(only(lines, /courses loaded/)).toContain(`courses loaded from ${resolve("test/fixtures/content/two-courses")}: evening-review, morning-pages`);
  });

  it("a configured start on PostgreSQL and Resend names the host and database, the provider and /admin on, and no secret appears", async () => {
    const database = await createTestDatabase("postgres");
    // The test server trusts local connections, so the password is never asked for: it is here to be kept out of the log.
    const withPassword = new URL(database.url);
    withPassword.username ||= "postgres";
    withPassword.password = "db-password-never-logged";
    const secrets = { SECRET_KEY: TEST_SECRET, ADMIN_TOKEN: "admin-token-never-logged-0123", RESEND_API_KEY: "re_resend_key_never_logged" };
    const lines = await startAndStop({ DATABASE_URL: withPassword.toString(), RESEND_BASE_URL: "http://127.0.0.1:9", APP_URL: "http://localhost:4556", ...secrets });

    expect(only(lines, /database:/)).toContain(`database: PostgreSQL, database "${withPassword.pathname.slice(1)}" on ${withPassword.host}`);
    expect(only(lines, /emails go out/)).toContain("emails go out through Resend");
    expect(lines.some((line) => line.includes("/outbox"))).toBe(false);
    expect(only(lines, /admin console/)).toContain("admin console is on: http://localhost:4556/admin (signs in with ADMIN_TOKEN)");
    expect(lines.some((line) => line.includes("COURSE_DAY_SECONDS"))).toBe(false);
    expect(only(lines, /courses loaded/)).toContain("evening-review, morning-pages");
    const log = lines.join("\n");
    for (const secret of [...Object.values(secrets), "db-password-never-logged"]) expect(log).not.toContain(secret);
  });
});
