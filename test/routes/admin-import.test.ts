import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { ENGINES } from "../support/databases.ts";
import type { Engine } from "../support/databases.ts";
import { makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const BOUNDARY = "----lessonpost-test-boundary";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function setup(engine: Engine) {
  t = await makeTestApp({ engine });
  const test = t;
  const app = createApp({
    db: test.db,
    catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
    log: silentLogger,
    appUrl: "https://lessons.example.test",
    secretKey: TEST_SECRET,
    adminToken: ADMIN,
    dispatcher: test.dispatcher,
    now: () => test.clock.now,
  });
  const upload = (body: BodyInit) =>
    app.request("/admin/import", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, origin: "http://localhost", accept: "text/html", "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body,
      duplex: "half",
    } as RequestInit);
  const count = async () => Number((await test.db.selectFrom("subscribers").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
  return { app, db: test.db, upload, count };
}

const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const fileHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="readers.csv"\r\nContent-Type: text/csv\r\n\r\n`;
const end = `\r\n--${BOUNDARY}--\r\n`;

describe.each(ENGINES)("admin CSV import over HTTP (%s)", (engine) => {
  it("imports an upload page by page while it is still arriving, and reports each refused row by line", async () => {
    const s = await setup(engine);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const encoder = new TextEncoder();
    let restSent = false;
    const early = Array.from({ length: 1_500 }, (_, i) => `early${i}@example.com,Early ${i}\r\n`).join("");
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(field("source", "Workshop list, May 2026") + field("enroll", "yes") + fileHead + "email,name\r\n"));
        // In small pieces, so delimiters and rows are cut across chunks.
        for (let i = 0; i < early.length; i += 4_093) controller.enqueue(encoder.encode(early.slice(i, i + 4_093)));
        await gate;
        restSent = true;
        controller.enqueue(encoder.encode(`late@example.com,Late\r\nnot-an-address,Nobody\r\nearly7@EXAMPLE.com,Again${end}`));
        controller.close();
      },
    });
    const response = await s.upload(body);
    expect(response.status).toBe(200);
    // Readers are in the database while the rest of the upload has not been sent.
    while ((await s.count()) < 1_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(restSent).toBe(false);
    release();
    const page = await response.text();
    expect(page).toContain("<strong>1501</strong> of 1503 rows imported");
    expect(page).toMatch(/Invalid \(1\)[\s\S]*<td>1503<\/td><td>not-an-address<\/td>/);
    expect(page).toMatch(/Duplicates in the file \(1\)[\s\S]*<td>1504<\/td><td>early7@example.com<\/td><td>same address as line 9<\/td>/);
    expect(await s.count()).toBe(1_501);
    expect(await s.db.selectFrom("enrollments").select("id").execute()).toHaveLength(1_501);
    expect(await s.db.selectFrom("subscribers").select(["name", "consent_form"]).where("email", "=", "late@example.com").executeTakeFirst()).toEqual({ name: "Late", consent_form: "import: Workshop list, May 2026" });
  });

  it("refuses a form that sends the file before its consent source, and imports nothing", async () => {
    const s = await setup(engine);
    const response = await s.upload(`${fileHead}email\r\nann@example.com\r\n${field("source", "Workshop list")}--${BOUNDARY}--\r\n`);
    expect(response.status).toBe(422);
    expect(await response.text()).toContain("before the file");
    expect(await s.count()).toBe(0);
  });

  it("answers 400 to an upload that is not a form or is cut short, and 422 without a file", async () => {
    const s = await setup(engine);
    const notForm = await s.app.request("/admin/import", { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, origin: "http://localhost", "content-type": "text/csv" }, body: "email\nann@example.com\n" });
    expect(notForm.status).toBe(400);
    const cut = await s.upload(`${field("source", "Workshop list")}--${BOUNDARY}\r\nContent-Disposition: form-data; name="enroll"\r\n\r\nye`);
    expect(cut.status).toBe(400);
    const noFile = await s.upload(`${field("source", "Workshop list")}--${BOUNDARY}--\r\n`);
    expect(noFile.status).toBe(422);
    expect(await s.count()).toBe(0);
  });
});
