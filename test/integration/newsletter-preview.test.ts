import { catalogueOf } from "../../src/content/catalogue.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { runEntry } from "../support/processes.ts";
import { confirmedReader } from "../support/readers.ts";
import { startStack, TEST_SECRET } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const NOW = Date.UTC(2030, 0, 7, 12, 0, 0);

/** The hidden inbox preview line of an email's HTML. */
const hiddenPreview = (html: string) => html.match(/<div style="display:none[^"]*mso-hide:all" data-skip-in-text="true">([^<]*)/)?.[1];

describe.each(ENGINES)("newsletter preview text in the console (%s)", (engine) => {
  let t: TestApp;
  let course: Course;
  let app: ReturnType<typeof createApp>;
  let cookie: string;
  beforeEach(async () => {
    t = await makeTestApp({ engine });
    course = await loadCourse("content/couples-therapy-up-close");
    app = createApp({ db: t.db, catalogue: catalogueOf([course]), log: silentLogger, appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, adminToken: ADMIN, emailFrom: "L <l@example.test>", dispatcher: t.dispatcher, now: () => NOW });
    const login = await app.request("/admin/login", form({ secret: ADMIN }));
    cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");
  });
  afterEach(async () => {
    await t.close();
  });

  const compose = (fields: Record<string, string>) =>
    app.request("/admin/broadcasts", form({ subject: "Spring news", markdown: "Hello **everyone**, the first words of the body.", audience: "all", when: "now", intent: "draft", ...fields }, { cookie }));
  const idOf = (response: Response) => response.headers.get("location")!.match(/broadcasts\/([0-9a-f-]{36})/)![1]!;

  it("has a preview-text field, stores what is typed, and puts it in the email's hidden preview", async () => {
    const page = await (await app.request("/admin/broadcasts", { headers: { cookie } })).text();
    expect(page).toMatch(/<label for="b-preview">Preview text<\/label>\s*<input id="b-preview" type="text" name="preview" maxlength="150"/);
    await confirmedReader(t.db, course, { email: "dana@example.com", name: "Dana", confirmedAt: NOW });
    const created = await compose({ preview: "Three small practices for this week" });
    expect(created.status).toBe(303);
    const id = idOf(created);
    expect((await t.db.selectFrom("broadcasts").select("preview").where("id", "=", id).executeTakeFirstOrThrow()).preview).toBe("Three small practices for this week");
    const frame = await (await app.request(`/admin/broadcasts/${id}/preview`, { headers: { cookie } })).text();
    expect(hiddenPreview(frame)).toBe("Three small practices for this week");
  });

  it("falls back to the body's first words when the field is left empty", async () => {
    await confirmedReader(t.db, course, { email: "dana@example.com", name: "Dana", confirmedAt: NOW });
    const id = idOf(await compose({ preview: "  " }));
    expect((await t.db.selectFrom("broadcasts").select("preview").where("id", "=", id).executeTakeFirstOrThrow()).preview).toBeNull();
    const frame = await (await app.request(`/admin/broadcasts/${id}/preview`, { headers: { cookie } })).text();
    expect(hiddenPreview(frame)).toBe("Hello everyone, the first words of the body.");
  });

  it("refuses preview text longer than inboxes show with a 422 on the form, keeping what was typed", async () => {
    const response = await compose({ preview: "x".repeat(151) });
    expect(response.status).toBe(422);
    const page = await response.text();
    expect(page).toContain("Keep the preview text under 150 characters");
    expect(page).toContain(`value="${"x".repeat(151)}"`);
    expect(await t.db.selectFrom("broadcasts").selectAll().execute()).toEqual([]);
  });
});

describe("newsletter preview text from the CLI", () => {
  let stack: Stack;
  let dir: string;
  beforeEach(async () => {
    stack = await startStack("sqlite");
    dir = mkdtempSync(join(tmpdir(), "cli-preview-"));
  });
  afterEach(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends every reader the --preview text as the inbox preview, with the list headers", async () => {
    const csv = join(dir, "readers.csv");
    writeFileSync(csv, "email\nann@example.com\nbob@example.com\n");
    const cli = async (...args: string[]) => {
      const child = runEntry("src/cli/admin-cli.ts", stack.env, args);
      return { code: (await child.exited).code, output: child.output() };
    };
    expect((await cli("import", csv, "--source", "Workshop list", "--no-enroll")).code).toBe(0);
    const md = join(dir, "note.md");
    writeFileSync(md, "A **short** note between lessons.");
    const result = await cli("broadcast", "--subject", "Between lessons", "--preview", "What to try before lesson two", "--markdown-file", md, "--wait");
    expect(result.code, result.output).toBe(0);
    const sent = stack.fake.emails.filter((e) => e.subject === "Between lessons");
    expect(sent).toHaveLength(2);
    for (const email of sent) {
      expect(hiddenPreview(email.html ?? "")).toBe("What to try before lesson two");
      expect(email.headers?.["List-Id"]).toBe('"Couples Therapy, Up Close" <couples-therapy.lessons.example.test>');
    }
  }, 60_000);
});
