import { afterEach, describe, expect, it } from "vitest";
import { ENGINES } from "../support/databases.ts";
import type { FakeEmail } from "../support/fake-resend.ts";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * One reader's way through two courses of one install, over HTTP against the running service and
 * the fake Resend: join one course and confirm, join the second without a second confirmation,
 * leave the second from its own email's footer while the first goes on, graduate from the first,
 * and take its offer of the second (course.yaml `next:`) by the page's POST.
 * test/fixtures/content/two-courses: morning-pages (Dawn Letters, next: evening-review) and
 * evening-review (Dusk Notes); lesson 2 on day 2, graduation on day 4.
 */
const CONTENT_DIR = "test/fixtures/content/two-courses";
const ANN = "ann@example.com";

/** Her emails are addressed "Ann <ann@example.com>". */
const toAnn = (e: FakeEmail) => e.to[0]?.endsWith(`<${ANN}>`) === true;
const of = (emails: readonly FakeEmail[], subject: string) => emails.find((e) => toAnn(e) && e.subject === subject);
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe.each(ENGINES)("a reader in two courses (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it("joins both with one confirmation, gets each course's mail under its own name, leaves one, and joins it again from the other's graduation", async () => {
    stack = await startStack(engine, { env: { CONTENT_DIR, COURSE_DAY_SECONDS: "1" } });
    const { baseUrl, fake, runtime } = stack;
    const { db } = runtime;

    // With two courses, a signup must say which.
    const unnamed = await fetch(`${baseUrl}/subscribe`, json({ email: ANN }));
    expect(unnamed.status).toBe(422);
    expect(((await unnamed.json()) as { error: { code: string } }).error.code).toBe("course_required");

    expect((await fetch(`${baseUrl}/subscribe`, json({ email: ANN, name: "Ann", course: "morning-pages", timezone: "UTC" }))).status).toBe(202);
    const confirmation = await waitFor("the confirmation email", () => fake.emails.find((e) => toAnn(e) && /\/confirm\//.test(e.text ?? "")));
    expect(confirmation.from).toBe('"Dawn Letters" <lessons@example.test>');
    expect((await formPost(`${baseUrl}${linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/)}`)).status).toBe(200);

    const morning1 = await waitFor("Morning Pages lesson 1", () => of(fake.emails, "Morning Pages 1: First light"));
    expect(morning1.from).toBe('"Dawn Letters" <lessons@example.test>');
    expect(morning1.reply_to).toEqual(["dawn@dawn-letters.example"]);
    expect(morning1.headers["List-Id"]).toBe('"Morning Pages" <morning-pages.dawn-letters.example>');
    expect(morning1.text).toContain("Dawn Letters Ltd, 1 Sunrise Road, Brighton, UK");

    // Already confirmed: the second course starts at once, with no second confirmation.
    expect((await fetch(`${baseUrl}/subscribe`, json({ email: ANN, course: "evening-review" }))).status).toBe(202);
    const evening1 = await waitFor("Evening Review lesson 1", () => of(fake.emails, "Evening Review 1: Look back"));
    expect(fake.emails.filter((e) => toAnn(e) && /\/confirm\//.test(e.text ?? ""))).toHaveLength(1);
    expect(evening1.from).toBe('"Dusk Notes" <lessons@example.test>');
    expect(evening1.reply_to).toEqual(["dusk@dusk-notes.example"]);
    expect(evening1.headers["List-Id"]).toBe('"Evening Review" <evening-review.dusk-notes.example>');
    expect(evening1.text).toContain("Dusk Notes GmbH, 2 Abendweg, Berlin, Germany");
    const optIns = await db.selectFrom("consent_events").select(["kind", "course_slug"]).where("kind", "=", "opt_in").orderBy("at").execute();
    expect(optIns.map((e) => e.course_slug)).toEqual(["morning-pages", "evening-review"]);

    // Leaving Evening Review from its own email's footer: Morning Pages goes on.
    const footerLink = evening1.text?.match(/https:\/\/lessons\.example\.test\/unsubscribe\/[\w.-]+\?course=evening-review/)?.[0];
    expect(footerLink).toBeDefined();
    const choices = await (await fetch(`${baseUrl}${new URL(footerLink!).pathname}${new URL(footerLink!).search}`)).text();
    expect(choices).toContain("Stop Evening Review.");
    const left = await formPost(`${baseUrl}${new URL(footerLink!).pathname}`, { scope: "course", course: "evening-review" });
    expect(left.status).toBe(200);
    const leftAt = Date.now();
    const enrollment = (slug: string) => db.selectFrom("enrollments").selectAll().where("course_slug", "=", slug).executeTakeFirstOrThrow();
    expect((await enrollment("evening-review")).status).toBe("cancelled");
    expect((await db.selectFrom("subscribers").select("status").executeTakeFirstOrThrow()).status).toBe("active");

    const graduation = await waitFor("the Morning Pages graduation", () => of(fake.emails, "You finished Morning Pages"), 30_000);
    expect(of(fake.emails, "Morning Pages 2: Keep going")).toBeDefined();
    // Nothing of the course she left was queued after she left it.
    const eveningId = (await enrollment("evening-review")).id;
    const queuedAfter = await db.selectFrom("sends").select("lesson_slug").where("enrollment_id", "=", eveningId).where("created_at", ">", leftAt).execute();
    expect(queuedAfter).toEqual([]);

    // The graduation offers the next course; the page shows it and changes nothing until its POST.
    const joinLink = graduation.text?.match(/https:\/\/lessons\.example\.test\/join\/[\w.-]+/)?.[0];
    expect(joinLink).toBeDefined();
    const offer = await fetch(`${baseUrl}${new URL(joinLink!).pathname}`);
    expect(offer.status).toBe(200);
    expect(await offer.text()).toContain("Evening Review");
    expect((await enrollment("evening-review")).status).toBe("cancelled");
    const joinedAt = Date.now();
    expect((await formPost(`${baseUrl}${new URL(joinLink!).pathname}`)).status).toBe(200);
    expect((await enrollment("evening-review")).status).not.toBe("cancelled");
    const next = await waitFor("Evening Review's next email after joining again", () =>
      fake.emails.find((e) => toAnn(e) && e.from.startsWith('"Dusk Notes"') && e.receivedAt >= joinedAt),
    30_000);
    expect(["Evening Review 2: Let go", "You finished Evening Review"]).toContain(next.subject);
    expect(fake.duplicates()).toEqual([]);
  }, 90_000);
});
