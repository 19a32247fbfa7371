import Papa from "papaparse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { EXPORT_COLUMNS, exportReadersCsv, ImportError, importReaders } from "../../src/store/reader-import.ts";
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
    course = await loadCourse("content");
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
    const report = await importReaders(db, course, csv, { consentSource: "Workshop signup sheet, May 2026", enroll: true, onProgress: (done) => progress.push(done) }, 1_000);

    expect(report.rows).toBe(ROWS);
    expect(report.invalid.map((p) => p.line)).toEqual(expected.invalid);
    expect(report.duplicates.map((p) => p.line)).toEqual(expected.duplicates);
    expect(report.duplicates[0]!.reason).toMatch(/^same address as line \d+$/);
    expect(report.suppressed.map((p) => p.line)).toEqual(expected.suppressed);
    expect(report.existing.map((p) => p.line)).toEqual(expected.existing);
    const rejected = expected.invalid.length + expected.duplicates.length + expected.suppressed.length + expected.existing.length;
    expect(report.imported).toBe(ROWS - rejected);
    expect(progress.at(-1)).toBe(ROWS - expected.invalid.length - expected.duplicates.length);
    expect(progress.length).toBeGreaterThan(10);

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
    }
    expect(byEmail.get("reader10@example.com")!.name).toBe('Reader, "No. 10"');

    // Importing the same file again changes nothing and says why.
    const again = await importReaders(db, course, csv, { consentSource: "Workshop signup sheet, May 2026", enroll: true }, 2_000);
    expect(again.imported).toBe(0);
    expect(again.existing.length).toBe(report.imported + 1);
  }, 120_000);

  it("refuses a file without an email column, and an import with no stated consent", async () => {
    await expect(importReaders(db, course, "name\nAnn\n", { consentSource: "somewhere real", enroll: false }, 1)).rejects.toThrow(ImportError);
    await expect(importReaders(db, course, "email\nann@example.com\n", { consentSource: " ", enroll: false }, 1)).rejects.toThrow(/consent/);
    expect(await db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
  });
});
