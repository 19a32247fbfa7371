import { afterEach, describe, expect, it } from "vitest";
import { ENGINES } from "../support/databases.ts";
import type { FakeEmail } from "../support/fake-resend.ts";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * Click tracking end to end, over HTTP against the running service and the fake Resend:
 * test/fixtures/content/tracked-clicks has field-notes (`tracking: { clicks: true }`) and
 * plain-notes (no tracking), whose lesson 1 both link to the walk (twice) and the field guide.
 */
const CONTENT_DIR = "test/fixtures/content/tracked-clicks";
const ANN = "ann@example.com";
const WALK = "https://walks.example/block?from=home&pace=slow";
const GUIDE = "https://guide.example/field";
const TRACKED = /https:\/\/lessons\.example\.test\/r\/[\w.-]+/g;

const toAnn = (e: FakeEmail) => e.to[0]?.endsWith(`<${ANN}>`) === true;
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
/** Every href of an email's HTML, `&amp;` decoded. */
const hrefs = (html: string | undefined) => [...(html ?? "").matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, "&"));

describe.each(ENGINES)("click tracking (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it("sends a tracked course's lesson with its links rewritten, records one click per link however often it is followed, refuses a tampered link, and leaves an untracked course's links alone", async () => {
    stack = await startStack(engine, { env: { CONTENT_DIR } });
    const { baseUrl, fake, runtime } = stack;
    const { db } = runtime;

    expect((await fetch(`${baseUrl}/subscribe`, json({ email: ANN, name: "Ann", course: "field-notes", timezone: "UTC" }))).status).toBe(202);
    const confirmation = await waitFor("the confirmation email", () => fake.emails.find((e) => toAnn(e) && /\/confirm\//.test(e.text ?? "")));
    expect((await formPost(`${baseUrl}${linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/)}`)).status).toBe(200);
    const tracked = await waitFor("Field Notes lesson 1", () => fake.emails.find((e) => toAnn(e) && e.subject === "Field Notes 1: Look around"));

    // The body's three links go through /r/, in the HTML and in the text part; the footer's do not.
    const trackedHrefs = hrefs(tracked.html).filter((h) => h.startsWith("https://lessons.example.test/r/"));
    expect(trackedHrefs).toHaveLength(3);
    expect(hrefs(tracked.html)).not.toContain(WALK);
    expect(hrefs(tracked.html)).not.toContain(GUIDE);
    expect(tracked.text?.match(TRACKED)).toEqual(trackedHrefs);
    expect(hrefs(tracked.html).some((h) => h.startsWith("https://lessons.example.test/unsubscribe/"))).toBe(true);
    expect(tracked.headers["List-Unsubscribe"]).toMatch(/^<https:\/\/lessons\.example\.test\/unsubscribe\//);

    // Following the walk link, twice, and its repeat further down: one click, and the ledger row says clicked.
    const follow = (href: string) => fetch(`${baseUrl}${new URL(href).pathname}`, { redirect: "manual" });
    for (const href of [trackedHrefs[0]!, trackedHrefs[0]!, trackedHrefs[2]!]) {
      const res = await follow(href);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(WALK);
    }
    const guide = await follow(trackedHrefs[1]!);
    expect(guide.headers.get("location")).toBe(GUIDE);
    const clicks = await db.selectFrom("clicks").select(["url", "send_id", "course_slug"]).orderBy("link_index").execute();
    expect(clicks.map((c) => [c.url, c.course_slug])).toEqual([
      [WALK, "field-notes"],
      [GUIDE, "field-notes"],
    ]);
    const lessonRow = await db.selectFrom("sends").select(["id", "clicked_at"]).where("id", "=", clicks[0]!.send_id).executeTakeFirstOrThrow();
    expect(lessonRow.clicked_at).not.toBeNull();
    expect(tracked.headers["X-Lessonpost-Send-Id"]).toBe(lessonRow.id);

    // A tampered link: a plain 404 page, no redirect, nothing recorded.
    const path = new URL(trackedHrefs[0]!).pathname;
    const tampered = await fetch(`${baseUrl}${path.slice(0, -4)}${path.endsWith("AAAA") ? "BBBB" : "AAAA"}`, { redirect: "manual", headers: { accept: "text/html" } });
    expect(tampered.status).toBe(404);
    expect(tampered.headers.get("location")).toBeNull();
    expect(await tampered.text()).not.toContain("walks.example");
    expect(await db.selectFrom("clicks").select("id").execute()).toHaveLength(2);

    // A course that does not track clicks: the same links, as written.
    expect((await fetch(`${baseUrl}/subscribe`, json({ email: ANN, course: "plain-notes" }))).status).toBe(202);
    const plain = await waitFor("Plain Notes lesson 1", () => fake.emails.find((e) => toAnn(e) && e.subject === "Plain Notes 1: Look around"));
    expect(hrefs(plain.html)).toContain(WALK);
    expect(hrefs(plain.html)).toContain(GUIDE);
    expect(plain.html).not.toContain("/r/");
    expect(plain.text).not.toMatch(TRACKED);
    expect(plain.text).toContain(GUIDE);
    expect(fake.duplicates()).toEqual([]);
  }, 60_000);
});
