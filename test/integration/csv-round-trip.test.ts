import Papa from "papaparse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { DomainError } from "../../src/errors.ts";
import { importReaders } from "../../src/commands/import-readers.ts";
import { EXPORT_COLUMNS, exportReadersCsv } from "../../src/store/reader-import.ts";
import { suppress } from "../../src/store/suppressions.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";

const ROWS = 10_000;

/** 10,000 rows with a known mix of faults in, a report that names each one, and an export that matches. */
describe.each(ENGINES)("CSV round trip (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let course: Course;
  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    course = await loadCourse("content/couples-therapy-up-close");
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it(`imports ${ROWS} rows, reports every fault by line, and exports what it imported`, async () => {
    await suppress(db, "bounced-7@example.com", "complained", 1);
    await db.insertInto("subscribers").values({
      id: "existing", email: "existing@example.com", name: null, timezone: "UTC", status: "active", created_at: 1, updated_at: 1, confirmed_at: 1,
      unsubscribed_at: null, confirmation_sent_at: null, consent_at: 1, consent_ip: null, consent_user_agent: null, consent_form: "x", consent_text_version: "x",
    }).execute();

    const lines: string[][] = [["Email", "Name", "Timezone"]];
    const expected = { invalid: [] as number[], duplicates: [] as number[], suppressed: [] as number[], existing: [] as number[] };
    let previousWasPlain = false;
    for (let i = 0; i < ROWS; i++) {
      const plainBefore = previousWasPlain;
      previousWasPlain = false;
      const line = i + 2;
      if (i % 97 === 5) {
        lines.push([i % 2 ? "not-an-email" : `bad\r\n${i}@example.com`, "Broken", ""]);
        expected.invalid.push(line);
      } else if (i % 101 === 7 && plainBefore) {
        lines.push([`reader${i - 1}@EXAMPLE.com`, "Again", ""]);
        expected.duplicates.push(line);
      } else if (i === 4321) {
        lines.push(["bounced-7@example.com", "", ""]);
        expected.suppressed.push(line);
      } else if (i === 1234) {
        lines.push(["existing@example.com", "", ""]);
        expected.existing.push(line);
      } else {
        previousWasPlain = true;
        lines.push([`reader${i}@example.com`, i % 50 === 0 ? `=HYPERLINK("x") ${i}` : `Reader, "No. ${i}"`, i % 3 === 0 ? "Europe/Paris" : i % 3 === 1 ? "Not/AZone" : ""]);
      }
    }
    // A duplicate must point at a row that itself was imported.
    for (const line of expected.duplicates) expect(expected.invalid).not.toContain(line - 1);
    const csv = Papa.unparse(lines);

    const progress: number[] = [];
    const report = await importReaders(db, course, csv, { consentSource: "Workshop signup sheet, May 2026", enroll: true, onProgress: ({ rows }) => progress.push(rows) }, 1_000);

    expect(report.rows).toBe(ROWS);
    expect(report.invalid.map((p) => p.line)).toEqual(expected.invalid);
    expect(report.duplicates.map((p) => p.line)).toEqual(expected.duplicates);
    expect(report.duplicates[0]!.reason).toMatch(/^same address as line \d+$/);
    expect(report.suppressed.map((p) => p.line)).toEqual(expected.suppressed);
    expect(report.existing.map((p) => p.line)).toEqual(expected.existing);
    const rejected = expected.invalid.length + expected.duplicates.length + expected.suppressed.length + expected.existing.length;
    expect(report.imported).toBe(ROWS - rejected);
    expect(progress.at(-1)).toBe(ROWS);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const imported = await db.selectFrom("subscribers").selectAll().where("consent_form", "=", "import: Workshop signup sheet, May 2026").execute();
    expect(imported).toHaveLength(report.imported);
    expect(new Set(imported.map((s) => s.timezone))).toEqual(new Set(["Europe/Paris", "UTC"]));
    expect(await db.selectFrom("consent_events").select("id").where("kind", "=", "opt_in").execute()).toHaveLength(report.imported);
    expect(await db.selectFrom("enrollments").select("id").where("status", "=", "active").execute()).toHaveLength(report.imported);

    let exported = "";
    for await (const chunk of exportReadersCsv(db, course)) exported += chunk;
    const parsed = Papa.parse<Record<string, string>>(exported, { header: true, skipEmptyLines: true });
    expect(parsed.meta.fields).toEqual([...EXPORT_COLUMNS]);
    expect(parsed.data).toHaveLength(report.imported + 1);
    const byEmail = new Map(parsed.data.map((r) => [r.email!, r]));
    for (const s of imported) {
      const row = byEmail.get(s.email)!;
      expect(row.status).toBe("active");
      expect(row.timezone).toBe(s.timezone);
      expect(row.next_lesson).toBe(course.lessons[0]!.slug);
      expect(row.name).toBe(s.name!.startsWith("=") ? `'${s.name}` : s.name);
      expect(row.email).toBe(s.email);
    }
    expect(byEmail.get("reader10@example.com")!.name).toBe('Reader, "No. 10"');

    // Importing the same file again changes nothing and says why.
    const again = await importReaders(db, course, csv, { consentSource: "Workshop signup sheet, May 2026", enroll: true }, 2_000);
    expect(again.imported).toBe(0);
    expect(again.existing.length).toBe(report.imported + 1);
  }, 120_000);

  it("neutralises a leading formula character in every column of the export, the address included", async () => {
    const risky = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"];
    await db.insertInto("subscribers").values(risky.map((v, i) => ({
      id: `r${i}`, email: `${"=+-@"[i % 4]}r${i}@example.com`, name: v, timezone: v, status: "active" as const, created_at: 1, updated_at: 1, confirmed_at: 1,
      unsubscribed_at: null, confirmation_sent_at: null, consent_at: 1, consent_ip: null, consent_user_agent: null, consent_form: v, consent_text_version: "x",
    }))).execute();
    await db.insertInto("enrollments").values({ id: "e0", subscriber_id: "r0", course_slug: course.slug, status: "active", started_at: 1, next_slug: "=HYPERLINK(1)", next_due_at: 1, last_day: -1, last_sent_at: null, completed_at: null, created_at: 1, updated_at: 1 }).execute();

    let exported = "";
    for await (const chunk of exportReadersCsv(db, course)) exported += chunk;
    const rows = Papa.parse<string[]>(exported, { skipEmptyLines: true }).data.slice(1);
    expect(rows).toHaveLength(risky.length);
    const cells = rows.flat();
    expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    // Shown, not dropped: each risky value comes back behind one quote.
    for (const row of rows) expect(row[0]).toMatch(/^'[=+\-@]r\d@example\.com$/);
    expect(rows.find((r) => r[0] === "'=r0@example.com")).toEqual(["'=r0@example.com", "'=1+1", "'=1+1", "active", expect.any(String), expect.any(String), "'=1+1", "active", "'=HYPERLINK(1)"]);
  });

  it("commits the first pages of a file before the rest of it has arrived", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const encoder = new TextEncoder();
    let lastPieceSent = false;
    async function* upload() {
      yield encoder.encode("email,name\n");
      for (let i = 0; i < 1_500; i++) yield encoder.encode(`early${i}@example.com,Early ${i}\n`);
      await gate;
      lastPieceSent = true;
      yield encoder.encode("late@example.com,Late\n");
    }
    const importing = importReaders(db, course, upload(), { consentSource: "Streaming test list", enroll: false }, 5);
    // Rows reach the database while the upload is still open (a buffered import would wait for it).
    for (;;) {
      const { n } = (await db.selectFrom("subscribers").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow());
      if (Number(n) >= 1_000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lastPieceSent).toBe(false);
    release();
    const report = await importing;
    expect(report).toMatchObject({ rows: 1_501, imported: 1_501 });
    expect(await db.selectFrom("subscribers").select("name").where("email", "=", "late@example.com").executeTakeFirst()).toEqual({ name: "Late" });
  });

  it("reads a byte stream cut anywhere, through multi-byte characters and quoted line breaks", async () => {
    const csv = 'email,name,timezone\r\n"zoe@example.com","Zoë ""Z"" Ødegård",Europe/Oslo\r\n\r\nkim@example.com,"Kim\r\nLee 李",\r\nbad,x,\r\n';
    const bytes = new TextEncoder().encode(`\uFEFF${csv}`);
    async function* inSevens() {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    const report = await importReaders(db, course, inSevens(), { consentSource: "Byte stream test", enroll: false }, 5);
    expect(report.rows).toBe(3);
    expect(report.imported).toBe(2);
    expect(report.invalid.map((p) => [p.line, p.email])).toEqual([[4, "bad"]]);
    const readers = await db.selectFrom("subscribers").select(["email", "name", "timezone"]).orderBy("email").execute();
    expect(readers).toEqual([
      { email: "kim@example.com", name: "Kim Lee 李", timezone: "UTC" },
      { email: "zoe@example.com", name: 'Zoë "Z" Ødegård', timezone: "Europe/Oslo" },
    ]);
  });

  it("refuses a file without an email column, and an import with no stated consent", async () => {
    await expect(importReaders(db, course, "name\nAnn\n", { consentSource: "somewhere real", enroll: false }, 1)).rejects.toThrow(DomainError);
    await expect(importReaders(db, course, "", { consentSource: "somewhere real", enroll: false }, 1)).rejects.toThrow(/must name the columns/);
    await expect(importReaders(db, course, "name,timezone\n", { consentSource: "somewhere real", enroll: false }, 1)).rejects.toThrow(/found: name, timezone/);
    await expect(importReaders(db, course, "email\nann@example.com\n", { consentSource: " ", enroll: false }, 1)).rejects.toThrow(/consent/);
    expect(await db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
  });
});
