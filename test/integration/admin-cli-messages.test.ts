import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runEntry } from "../support/processes.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const ADMIN_TOKEN = "cli-messages-admin-token-0123456789";
const DAY_SECONDS = 3600;

/** The CLI's answers name the fix and follow the engine's own schedule, compressed calendar included. */
describe("admin CLI messages and schedule", () => {
  let stack: Stack;
  let dir: string;
  beforeEach(async () => {
    stack = await startStack("sqlite", { env: { COURSE_DAY_SECONDS: String(DAY_SECONDS), ADMIN_TOKEN } });
    dir = mkdtempSync(join(tmpdir(), "cli-messages-"));
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

  it("warns about an unknown time zone per line, predicts the engine's compressed schedule, and takes a lesson by number", async () => {
    const course = stack.runtime.catalogue.primary;
    const zone = course.schedule.timezone;
    const csv = join(dir, "readers.csv");
    writeFileSync(csv, "email,name,timezone\nann@example.com,Ann,Mars/Olympus\n");
    const imported = await cli("import", csv, "--source", "Workshop list, May 2026");
    expect(imported.code, imported.output).toBe(0);
    expect(imported.output).toContain(`line 2: warning: ann@example.com: unknown time zone "Mars/Olympus": the course's zone, ${zone}, is used instead`);

    const lesson1 = course.lessons[0]!;
    const lesson2 = course.lessons[1]!;
    await waitFor("lesson 1 at the provider", () => stack.fake.emails.find((e) => e.subject === lesson1.subject && e.to[0]?.includes("ann@example.com")));
    const api = (path: string) => fetch(`${stack.baseUrl}/admin/api${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const ids = (await (await api("/subscribers?q=ann%40example.com")).json()) as { items: { id: string }[] };
    const id = ids.items[0]!.id;
    // The server's own answer, once lesson 2 is the next email (lesson 1 accepted, nothing in flight).
    const engine = await waitFor("lesson 2 to be next", async () => {
      const view = (await (await api(`/subscribers/${id}`)).json()) as { next: { sentence: string; dueAt: string | null } };
      return view.next.sentence.startsWith(`Lesson ${lesson2.number}`) && view.next.dueAt ? view.next : undefined;
    });
    // Compressed: lesson 2 is due within its day offset in hours, not days.
    expect(Date.parse(engine.dueAt!) - Date.now()).toBeLessThanOrEqual(lesson2.day * DAY_SECONDS * 1000);

    const timeline = await cli("timeline", "ann@example.com");
    expect(timeline.code, timeline.output).toBe(0);
    expect(timeline.output).toContain(`Next: ${engine.sentence}`);

    const sent = await cli("send-lesson", "ann@example.com", "2");
    expect(sent.code, sent.output).toBe(0);
    expect(sent.output).toContain(`Queued lesson 2 "${lesson2.title}" (${lesson2.slug}) for ann@example.com`);
    const unknown = await cli("send-lesson", "ann@example.com", "99");
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain(`There is no lesson "99"`);
    expect(unknown.output).toContain(`Lessons: ${course.lessons.map((l) => `${l.number} (${l.slug})`).join(", ")}.`);
  });
});
