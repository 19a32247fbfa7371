import Papa from "papaparse";
import { afterEach, describe, expect, it } from "vitest";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import type { Engine } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";
import { TEST_SECRET } from "../support/stack.ts";
import { preferencesToken } from "../../src/tokens.ts";

const ADMIN = "admin-token-for-tests-0123456789";
const auth = { authorization: `Bearer ${ADMIN}` };

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function setup(engine: Engine) {
  t = await makeTestApp({ engine });
  return { t, app: appFor(t, { adminToken: ADMIN }) };
}

describe.each(ENGINES)("admin messages name the fix (%s)", (engine) => {
  it("answers an unknown lesson, in the API and the console, with the lessons to choose from by number and slug", async () => {
    const { t, app } = await setup(engine);
    const { subscriberId } = await confirmedReader(t.db, t.course, { email: "ann@example.com", confirmedAt: t.clock.now });
    const choices = t.course.lessons.map((l) => `${l.number} (${l.slug})`).join(", ");

    const api = await app.request(`/admin/api/subscribers/${subscriberId}/send-lesson`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ lesson: "99" }) });
    expect(api.status).toBe(400);
    const body = (await api.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unknown_lesson");
    expect(body.error.message).toContain(`There is no lesson "99"`);
    expect(body.error.message).toContain(`Lessons: ${choices}.`);

    const page = await app.request(`/admin/readers/${subscriberId}/send-lesson`, form({ lesson: "no-such-lesson" }, { ...auth, accept: "text/html" }));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain(t.course.lessons[1]!.slug);
  });

  it("takes a lesson's number where it takes its slug: '2' sends lesson 2", async () => {
    const { t, app } = await setup(engine);
    const { subscriberId } = await confirmedReader(t.db, t.course, { email: "bob@example.com", confirmedAt: t.clock.now });
    const response = await app.request(`/admin/api/subscribers/${subscriberId}/send-lesson`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ lesson: "2" }) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { lesson: string }).lesson).toBe(t.course.lessons[1]!.slug);
  });

  it("imports a row with an unknown time zone under the course's zone and warns about that line, in the API's JSON and the console's report", async () => {
    const { t, app } = await setup(engine);
    const zone = t.course.schedule.timezone;
    const csv = "email,name,timezone\nmars@example.com,Mars,Mars/Olympus\nparis@example.com,Paris,Europe/Paris\nnone@example.com,None,\n";
    const api = await app.request("/admin/api/import?source=Workshop+list", { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
    expect(api.status).toBe(200);
    const report = (await api.json()) as { imported: number; warnings: { line: number; email: string; reason: string }[] };
    expect(report.imported).toBe(3);
    expect(report.warnings).toEqual([{ line: 2, email: "mars@example.com", reason: `unknown time zone "Mars/Olympus": the course's zone, ${zone}, is used instead` }]);
    const stored = await t.db.selectFrom("subscribers").select(["email", "timezone"]).orderBy("email").execute();
    expect(stored).toEqual([
      { email: "mars@example.com", timezone: zone },
      { email: "none@example.com", timezone: zone },
      { email: "paris@example.com", timezone: "Europe/Paris" },
    ]);

    const boundary = "----messages-boundary";
    const part = (name: string, value: string, file = false) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="r.csv"\r\nContent-Type: text/csv' : ""}\r\n\r\n${value}\r\n`;
    const page = await app.request("/admin/import", {
      method: "POST",
      headers: { ...auth, origin: "http://localhost", accept: "text/html", "content-type": `multipart/form-data; boundary=${boundary}` },
      body: part("source", "Webinar list") + part("enroll", "yes") + part("file", "email,timezone\nvenus@example.com,Venus/Maxwell", true) + `--${boundary}--\r\n`,
    });
    const text = await page.text();
    expect(text).toMatch(/Imported with a warning \(1\)[\s\S]*<td>2<\/td><td>venus@example.com<\/td><td>unknown time zone &quot;Venus\/Maxwell&quot;: the course&#39;s zone, /);
  });

  it("exports the next email in words: the graduation email is named, not the engine's marker", async () => {
    const { t, app } = await setup(engine);
    const { enrollmentId } = await confirmedReader(t.db, t.course, { email: "grad@example.com", confirmedAt: t.clock.now });
    await confirmedReader(t.db, t.course, { email: "new@example.com", confirmedAt: t.clock.now });
    await t.db.updateTable("enrollments").set({ next_slug: "#graduation" }).where("id", "=", enrollmentId).execute();
    const response = await app.request("/admin/import/export.csv", { headers: auth });
    expect(response.status).toBe(200);
    const rows = Papa.parse<Record<string, string>>(await response.text(), { header: true, skipEmptyLines: true }).data;
    const byEmail = new Map(rows.map((r) => [r.email, r.next_lesson]));
    expect(byEmail.get("grad@example.com")).toBe("graduation email");
    expect(byEmail.get("new@example.com")).toBe(t.course.lessons[0]!.slug);
    expect(rows.map((r) => r.next_lesson).join(",")).not.toContain("#");
  });

  it("says on a finished reader's console page and preferences page why pausing is not offered", async () => {
    const { t, app } = await setup(engine);
    const { subscriberId, enrollmentId } = await confirmedReader(t.db, t.course, { email: "done@example.com", confirmedAt: t.clock.now });
    await t.db.updateTable("enrollments").set({ status: "completed", completed_at: t.clock.now, next_slug: null }).where("id", "=", enrollmentId).execute();

    const page = await (await app.request(`/admin/readers/${subscriberId}`, { headers: auth })).text();
    expect(page).not.toContain(`/admin/readers/${subscriberId}/pause`);
    expect(page).toContain("Not offered for this reader: pausing (they finished the course).");

    const prefs = await preferencesToken(TEST_SECRET, subscriberId, t.clock.now);
    const own = await (await app.request(`/preferences/${prefs}`)).text();
    expect(own).not.toContain("Pause for a week");
    expect(own).toContain("Nothing to pause: every lesson of this course has been sent.");
  });

  it("names the reason on the console page of a reader who unsubscribed from all email", async () => {
    const { t, app } = await setup(engine);
    const { subscriberId } = await confirmedReader(t.db, t.course, { email: "gone@example.com", confirmedAt: t.clock.now });
    const left = await app.request(`/admin/api/subscribers/${subscriberId}/unsubscribe`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" });
    expect(left.status).toBe(200);
    const page = await (await app.request(`/admin/readers/${subscriberId}`, { headers: auth })).text();
    expect(page).not.toContain(`/admin/readers/${subscriberId}/send-lesson`);
    expect(page).toMatch(/Not offered for this reader: sending a lesson \((they unsubscribed from all email|they left the course)\)/);
  });
});
