import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/connect.ts";
import { builtEntry } from "../../scripts/build-server.ts";
import { ROOT, runEntry } from "../support/processes.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/** `npm run admin -- …` against the running service's database, Redis and (fake) provider. */
describe("admin CLI", () => {
  let stack: Stack;
  let dir: string;
  beforeEach(async () => {
    stack = await startStack("sqlite");
    dir = mkdtempSync(join(tmpdir(), "cli-"));
  });
  afterEach(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const child = runEntry("src/cli/admin-cli.ts", stack.env, args);
    const { code } = await child.exited;
    return { code, output: child.output() };
  };

  it("imports with a progress report and a meaningful exit code, exports, sends a lesson, shows a timeline", async () => {
    const csv = join(dir, "readers.csv");
    writeFileSync(csv, "email,name\nann@example.com,Ann\nnot-an-email,Bad\nbob@example.com,Bob\nann@example.com,Again\n");
    const imported = await cli("import", csv, "--source", "Workshop list, May 2026");
    expect(imported.code, imported.output).toBe(3);
    expect(imported.output).toContain("Imported 2 of 4 rows.");
    expect(imported.output).toContain("line 3: invalid: not-an-email");
    expect(imported.output).toContain("line 5: duplicate: ann@example.com: same address as line 2");

    const out = join(dir, "out.csv");
    const exported = await cli("export", out);
    expect(exported.code).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\r\n");
    expect(lines[0]).toBe("email,name,timezone,status,signed_up_at,confirmed_at,consent_source,course_status,next_lesson");
    expect(lines.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(["ann@example.com", "bob@example.com"]);

    const lesson2 = stack.runtime.catalogue.primary.lessons[1]!;
    const sent = await cli("send-lesson", "ann@example.com", lesson2.slug);
    expect(sent.code, sent.output).toBe(0);
    const email = await waitFor("lesson 2 at the provider", () => stack.fake.emails.find((e) => e.subject === lesson2.subject && e.to[0]?.includes("ann@example.com")));
    expect(email).toBeTruthy();

    const timeline = await cli("timeline", "ann@example.com");
    expect(timeline.code).toBe(0);
    expect(timeline.output).toContain("ann@example.com (active");
    expect(timeline.output).toContain(lesson2.title);
    expect(timeline.output).toMatch(/^Next: /m);
  });

  it("hashes an admin password read from standard input, in the format the login checks", async () => {
    const { spawn } = await import("node:child_process");
    // The bundle `npm run admin` runs (built by the global set-up), with standard input to write to.
    const child = spawn(process.execPath, [builtEntry("src/cli/admin-cli.ts")!, "hash-password"], { cwd: ROOT, env: { ...stack.env, PATH: process.env.PATH ?? "" }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stdin.end("correct horse battery staple\n");
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    const { verifyAdminPassword } = await import("../../src/commands/admin-password.ts");
    expect(out.trim()).toMatch(/^pbkdf2-sha256\$\d+\$/);
    expect(await verifyAdminPassword("correct horse battery staple", out.trim())).toBe(true);
    expect(await verifyAdminPassword("wrong horse", out.trim())).toBe(false);
  });

  it("exits 1 for an unknown reader and 2 for a usage error, with one clear line", async () => {
    const unknown = await cli("send-lesson", "nobody@example.com", "x");
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('No reader with id or address "nobody@example.com".');
    const usage = await cli("broadcast");
    expect(usage.code).toBe(2);
    expect(usage.output).toContain("--subject");
    const noSuch = await cli("frobnicate");
    expect(noSuch.code).toBe(2);
  });

  it("broadcasts to every active reader and waits with a progress bar until it is done", async () => {
    const csv = join(dir, "many.csv");
    writeFileSync(csv, `email\n${Array.from({ length: 150 }, (_, i) => `r${i}@example.com`).join("\n")}\n`);
    expect((await cli("import", csv, "--source", "Old newsletter list", "--no-enroll")).code).toBe(0);
    const md = join(dir, "news.md");
    writeFileSync(md, "# News\n\nA **short** note.");
    const result = await cli("broadcast", "--subject", "Between lessons", "--markdown-file", md, "--wait");
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("Done: 150 sent, 0 failed");
    expect(result.output).toMatch(/Sending \[[=\-\u2588\u2591 ]*\] 100% \| 150\/150/);
    expect(stack.fake.emails.filter((e) => e.subject === "Between lessons")).toHaveLength(150);
  }, 60_000);
});

/** With several courses, a command that acts on one must say which: `--course <slug>`. */
describe("admin CLI with two courses", () => {
  let stack: Stack;
  let dir: string;
  beforeEach(async () => {
    stack = await startStack("sqlite", { env: { CONTENT_DIR: "test/fixtures/content/two-courses" } });
    dir = mkdtempSync(join(tmpdir(), "cli-courses-"));
  });
  afterEach(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const child = runEntry("src/cli/admin-cli.ts", stack.env, args);
    const { code } = await child.exited;
    return { code, output: child.output() };
  };

  it("requires --course, refuses an unknown one with the courses named, and imports into the one given", async () => {
    const csv = join(dir, "readers.csv");
    writeFileSync(csv, "email\nann@example.com\n");
    const missing = await cli("import", csv, "--source", "Workshop list, May 2026");
    expect(missing.code, missing.output).toBe(2);
    expect(missing.output).toContain("--course");
    expect(missing.output).toContain("evening-review, morning-pages");
    const unknown = await cli("import", csv, "--source", "Workshop list, May 2026", "--course", "no-such-course");
    expect(unknown.code, unknown.output).toBe(2);
    expect(unknown.output).toContain('There is no course "no-such-course"');
    for (const args of [["broadcast", "--subject", "Hi", "--lesson", "first-light"], ["export"], ["send-lesson", "ann@example.com", "first-light"]]) {
      const refused = await cli(...args);
      expect(refused.code, `${args.join(" ")}: ${refused.output}`).toBe(2);
      expect(refused.output).toContain("--course");
    }
    const db = await openDatabase(stack.db.url);
    try {
      expect(await db.selectFrom("subscribers").select("id").execute()).toHaveLength(0);
      const imported = await cli("import", csv, "--source", "Workshop list, May 2026", "--course", "morning-pages");
      expect(imported.code, imported.output).toBe(0);
      const rows = await db.selectFrom("enrollments").innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id").select(["subscribers.email", "enrollments.course_slug"]).execute();
      expect(rows).toEqual([{ email: "ann@example.com", course_slug: "morning-pages" }]);
    } finally {
      await db.destroy();
    }
    const timeline = await cli("timeline", "ann@example.com");
    expect(timeline.code, timeline.output).toBe(0);
  }, 60_000);
});
