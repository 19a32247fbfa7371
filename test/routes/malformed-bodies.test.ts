import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { createLogger } from "../../src/log.ts";
import { preferencesToken } from "../../src/tokens.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { openDatabase } from "../../src/store/connect.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";

/** Bodies that claim to be multipart but cannot be parsed as such. */
const MALFORMED: [string, Record<string, string>, string][] = [
  ["no boundary", { "content-type": "multipart/form-data" }, "lesson=x"],
  ["a boundary the body never uses", { "content-type": "multipart/form-data; boundary=nothing-here" }, "--something-else\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n"],
  // A field first, as the import form sends its consent source, so the streamed import reaches the cut-off file.
  ["a part that never ends", { "content-type": "multipart/form-data; boundary=abc" }, "--abc\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nour signup form\r\n--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail\r\n"],
];

describe.each(ENGINES)("malformed request bodies (%s)", (engine) => {
  let t: TestApp;
  let course: Course;
  let app: ReturnType<typeof createApp>;
  let lines: string[];
  let subscriberId: string;

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    course = await loadCourse("content/couples-therapy-up-close");
    lines = [];
    app = appFor(t, { catalogue: catalogueOf([course]), log: createLogger("debug", (line) => lines.push(line)), adminToken: ADMIN });
    ({ subscriberId } = await confirmedReader(t.db, course, { email: "reader@example.com", confirmedAt: t.clock.now }));
  });
  afterEach(async () => {
    await t.close();
  });

  async function routes(): Promise<[string, Record<string, string>][]> {
    // Every form here is posted from our own pages; the admin ones also carry the bearer token.
    const page = { origin: "https://lessons.example.test" };
    const bearer = { ...page, authorization: `Bearer ${ADMIN}` };
    return [
      [`/preferences/${await preferencesToken(TEST_SECRET, subscriberId, t.clock.now)}/timezone`, page],
      ["/admin/broadcasts", bearer],
      ["/admin/course/test", bearer],
      ["/admin/import", bearer],
      [`/admin/api/subscribers/${subscriberId}/move`, bearer],
      [`/admin/readers/${subscriberId}/move`, bearer],
    ];
  }

  it("answers 400, never 500, on the preferences, broadcast, course-test, import and reader-move routes", async () => {
    const before = await t.db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow();
    for (const [path, headers] of await routes()) {
      for (const [what, contentType, body] of MALFORMED) {
        const response = await app.request(path, { method: "POST", headers: { ...headers, ...contentType, accept: "application/json" }, body });
        if (path === "/admin/import" && response.status === 200) {
          // The import streams its report as the file arrives, so once the file has begun the
          // status is sent: a file cut off inside ends the page with the error instead.
          expect(what, "only a file cut off inside may reach the streamed report").toBe("a part that never ends");
          expect(await response.text()).toMatch(/role="alert">[^<]*(ended|cut|boundary)/i);
          continue;
        }
        expect(response.status, `${path} with ${what}`).toBe(400);
        expect(await response.json(), `${path} with ${what}`).toMatchObject({ error: { code: "bad_body" } });
      }
    }
    expect(await t.db.selectFrom("subscribers").selectAll().where("id", "=", subscriberId).executeTakeFirstOrThrow()).toEqual(before);
    expect(await t.db.selectFrom("broadcasts").selectAll().execute()).toEqual([]);
    expect(lines.filter((line) => line.includes("unhandled error"))).toEqual([]);
  });

  it("answers malformed JSON with 400 too, and says so in the page a browser gets", async () => {
    const json = await app.request(`/admin/api/subscribers/${subscriberId}/move`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: "{\"lesson\": " });
    expect(json.status).toBe(400);
    const html = await app.request("/admin/course/test", { method: "POST", headers: { origin: "https://lessons.example.test", authorization: `Bearer ${ADMIN}`, "content-type": "multipart/form-data", accept: "text/html" }, body: "x" });
    expect(html.status).toBe(400);
    expect(await html.text()).toContain("could not be read");
  });
});

describe("the unhandled-error log", () => {
  it("names the failing path with its token redacted", async () => {
    const testDb = await createTestDatabase("sqlite");
    const db = await openDatabase(testDb.url);
    const lines: string[] = [];
    const app = createApp({
      db,
      catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
      log: createLogger("debug", (line) => lines.push(line)),
      appUrl: "https://lessons.example.test",
      secretKey: TEST_SECRET,
      now: () => Date.now(),
    });
    const token = await preferencesToken(TEST_SECRET, "00000000-0000-4000-8000-000000000001", Date.now());
    // The database goes away under a valid link: a genuine fault on our side, logged as such.
    await db.destroy();
    try {
      const response = await app.request(`/preferences/${token}`);
      expect(response.status).toBe(500);
      const logged = lines.filter((line) => line.includes("unhandled error"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain("/preferences/[redacted]");
      for (const line of lines) expect(line).not.toContain(token.split(".")[0]!);
    } finally {
      await testDb.drop();
    }
  });
});
