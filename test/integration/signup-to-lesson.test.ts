import { afterEach, describe, expect, it } from "vitest";
import { ENGINES } from "../support/databases.ts";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * The spine, over real HTTP: sign up → confirmation email at the provider → GET the confirm page
 * → POST confirm → lesson 1 at the provider. Once per database engine.
 */
describe.each(ENGINES)("signup to lesson 1 (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it("walks the whole flow and lesson 1 carries everything a provider and a reader need", async () => {
    stack = await startStack(engine);
    const { baseUrl, fake, runtime } = stack;

    const signup = await formPost(`${baseUrl}/subscribe`, { email: "reader@example.com", name: "Robin", timezone: "Europe/Paris" });
    expect(signup.status).toBe(200);
    expect(await signup.text()).toContain("Check your inbox");

    const confirmation = await waitFor("the confirmation email", () => fake.emails.find((e) => e.subject.startsWith("Confirm")));
    expect(confirmation.to).toEqual(['"Robin" <reader@example.com>']);
    expect(confirmation.idempotencyKey).toMatch(/^lessonpost-send-/);
    const confirmPath = linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/);
    expect(confirmation.html).toContain(confirmPath);

    const page = await fetch(`${baseUrl}${confirmPath}`);
    expect(page.status).toBe(200);
    const pageHtml = await page.text();
    expect(pageHtml).toContain('method="post"');
    expect(pageHtml).toContain(`action="${confirmPath}"`);
    const afterGet = await runtime.db.selectFrom("subscribers").select("status").where("email", "=", "reader@example.com").executeTakeFirstOrThrow();
    expect(afterGet.status).toBe("pending");

    const confirm = await formPost(`${baseUrl}${confirmPath}`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain("on its way");

    const firstLesson = runtime.catalogue.primary.lessons[0]!;
    const lesson = await waitFor("lesson 1", () => fake.emails.find((e) => e.subject === firstLesson.subject));
    expect(lesson.html).toBeTruthy();
    expect(lesson.text).toBeTruthy();
    expect(lesson.text).toContain(firstLesson.author);
    expect(lesson.headers["List-Unsubscribe"]).toMatch(/^<https:\/\/lessons\.example\.test\/unsubscribe\/[\w.-]+>$/);
    expect(lesson.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    // Confirm hands lesson 1 to the queue itself, but a scheduler tick landing in between may pick the
    // fresh row up first and send it in a batch; either way the key comes from the ledger, never at random.
    expect(lesson.idempotencyKey).toMatch(/^lessonpost-(send|batch)-[0-9a-f-]{36}$/);
    const unsubscribeUrl = lesson.headers["List-Unsubscribe"]!.slice(1, -1);
    expect(lesson.html).toContain(unsubscribeUrl);
    expect(lesson.text).toContain(unsubscribeUrl);

    // The provider has lesson 1; the worker records its answer a moment later.
    const ledger = () => runtime.db.selectFrom("sends").select(["kind", "status", "lesson_slug", "provider_id"]).orderBy("created_at").execute();
    await waitFor("the ledger to record both sends", async () => ((await ledger()).every((s) => s.status !== "queued" && s.status !== "sending") ? true : undefined));
    expect(await ledger()).toEqual([
      { kind: "confirm", status: "sent", lesson_slug: null, provider_id: confirmation.id },
      { kind: "lesson", status: "sent", lesson_slug: firstLesson.slug, provider_id: lesson.id },
    ]);
    expect(fake.duplicates()).toEqual([]);

    // The one-click POST a mailbox provider makes stops everything after lesson 1.
    const oneClick = await fetch(unsubscribeUrl.replace("https://lessons.example.test", baseUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toBe("");
    const after = await runtime.db.selectFrom("subscribers").select("status").where("email", "=", "reader@example.com").executeTakeFirstOrThrow();
    expect(after.status).toBe("unsubscribed");
    const enrollment = await runtime.db.selectFrom("enrollments").select(["status", "next_due_at"]).executeTakeFirstOrThrow();
    expect(enrollment).toEqual({ status: "cancelled", next_due_at: null });
  });
});
