import { afterEach, describe, expect, it } from "vitest";
import { importReaders } from "../../src/commands/import-readers.ts";
import { ENGINES } from "../support/databases.ts";
import { json, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { loadCourse } from "../../src/content/load.ts";

const LONG_LABEL = `a@${"b".repeat(70)}.com`;
const LONG_LOCAL = `${"a".repeat(65)}@example.com`;

/** Addresses no mail server delivers (RFC 5321/1035 lengths) are refused wherever they come in. */
describe.each(ENGINES)("over-long addresses (%s)", (engine) => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it("refuses a signup whose domain label is over 63 characters with a 422 that says why, and stores nothing", async () => {
    t = await makeTestApp({ engine });
    const res = await t.app.request("/subscribe", json({ email: LONG_LABEL }));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: { code: "invalid_input", field: "email", message: expect.stringContaining("63 characters") } });
    expect(await t.db.selectFrom("subscribers").selectAll().execute()).toEqual([]);
    expect(await t.db.selectFrom("sends").selectAll().execute()).toEqual([]);
  });

  it("reports over-long addresses in a CSV import by line and imports the rest", async () => {
    t = await makeTestApp({ engine });
    const course = await loadCourse("content/couples-therapy-up-close");
    const csv = ["email,name", "fine@example.com,Fine", `${LONG_LABEL},Label`, `${LONG_LOCAL},Local`].join("\n");
    const report = await importReaders(t.db, course, csv, { consentSource: "test sheet", enroll: false }, Date.now());
    expect(report.imported).toBe(1);
    expect(report.invalid.map((p) => [p.line, p.reason])).toEqual([
      [3, expect.stringContaining("63 characters")],
      [4, expect.stringContaining("before the @")],
    ]);
    expect((await t.db.selectFrom("subscribers").select("email").execute()).map((r) => r.email)).toEqual(["fine@example.com"]);
  });
});
