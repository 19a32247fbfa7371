import { beforeAll, describe, expect, it } from "vitest";
import type { Catalogue } from "../../../src/content/catalogue.ts";
import { loadCatalogue } from "../../../src/content/load.ts";
import { GRADUATION_SLUG } from "../../../src/domain/course-plan.ts";
import { composeEmail, fromFor, joinNextUrlFor } from "../../../src/render/compose.ts";
import type { ComposableSend, ComposeContext } from "../../../src/render/compose.ts";
import type { Subscriber } from "../../../src/store/subscribers.ts";
import { verifyToken } from "../../../src/tokens.ts";
import { hrefs, visibleText } from "./fixtures.ts";

/** Two courses in one install, each email with its own course's identity (test/fixtures/content/two-courses). */
const reader = { id: "reader-1", email: "ann@example.com", name: "Ann" } as Subscriber;
const SECRET = "k".repeat(40);
let catalogue: Catalogue;
beforeAll(async () => {
  catalogue = await loadCatalogue("test/fixtures/content/two-courses");
});
const ctxFor = (slug: string): ComposeContext => ({ course: catalogue.get(slug)!, catalogue, appUrl: "https://lessons.example.com", secretKey: SECRET, from: "Lessonpost <lessons@lessons.example.com>", now: 1 });
const send = (kind: ComposableSend["kind"], lessonSlug: string | null, id = `send-${kind}`): ComposableSend => ({ id, kind, lesson_slug: lessonSlug, created_at: 1 });

describe("each course's email speaks for its own course", () => {
  it("sends from the course's sender name at EMAIL_FROM's address, with its Reply-To, List-Id, publisher and footer line", async () => {
    const morning = await composeEmail(send("lesson", "first-light"), reader, ctxFor("morning-pages"));
    const evening = await composeEmail(send("lesson", "look-back"), reader, ctxFor("evening-review"));
    expect(morning).toMatchObject({ from: '"Dawn Letters" <lessons@lessons.example.com>', replyTo: "dawn@dawn-letters.example", subject: "Morning Pages 1: First light" });
    expect(evening).toMatchObject({ from: '"Dusk Notes" <lessons@lessons.example.com>', replyTo: "dusk@dusk-notes.example", subject: "Evening Review 1: Look back" });
    expect(morning.headers["List-Id"]).toBe('"Morning Pages" <morning-pages.dawn-letters.example>');
    expect(evening.headers["List-Id"]).toBe('"Evening Review" <evening-review.dusk-notes.example>');
    for (const part of [visibleText(morning.html), morning.text]) {
      expect(part).toContain("You get this because you joined Morning Pages at dawn-letters.example.");
      expect(part).toContain("Dawn Letters Ltd, 1 Sunrise Road, Brighton, UK");
      expect(part).not.toMatch(/Dusk|Lessonpost/);
    }
    for (const part of [visibleText(evening.html), evening.text]) {
      expect(part).toContain("an email course from Dusk Notes");
      expect(part).toContain("Dusk Notes GmbH, 2 Abendweg, Berlin, Germany");
      expect(part).not.toMatch(/Dawn|Lessonpost/);
    }
  });

  it("names the course in the confirmation email's From and footer too", async () => {
    const email = await composeEmail(send("confirm", null), reader, ctxFor("evening-review"));
    expect(email.from).toBe('"Dusk Notes" <lessons@lessons.example.com>');
    expect(email.text).toContain("a free 2-lesson email course from Dusk Notes");
    expect(email.text).not.toContain("Lessonpost");
  });

  it("keeps a bare EMAIL_FROM address under the course's sender name", () => {
    expect(fromFor("lessons@lessons.example.com", catalogue.get("morning-pages")!)).toBe('"Dawn Letters" <lessons@lessons.example.com>');
  });
});

describe("chaining in the graduation email", () => {
  it("offers the next course as a one-click link to its join page, in both parts", async () => {
    const email = await composeEmail(send("graduation", GRADUATION_SLUG, "grad-row-1"), reader, ctxFor("morning-pages"));
    const joinUrl = await joinNextUrlFor(ctxFor("morning-pages"), "grad-row-1");
    expect(joinUrl).toMatch(/^https:\/\/lessons\.example\.com\/join\/.+/);
    expect(hrefs(email.html)).toContain(joinUrl);
    expect(visibleText(email.html)).toContain("Join Evening Review");
    expect(email.text).toContain(`Join Evening Review:\n${joinUrl}`);
    // The token names this graduation's ledger row, for the join page to look up.
    const token = joinUrl.split("/join/")[1]!;
    expect(await verifyToken(SECRET, token, "join-next")).toMatchObject({ ok: true, claims: { subject: "grad-row-1" } });
  });

  it("offers nothing when the course has no next, or the next course is not in the catalogue", async () => {
    const evening = await composeEmail(send("graduation", GRADUATION_SLUG), reader, ctxFor("evening-review"));
    expect(evening.text).not.toContain("/join/");
    expect(hrefs(evening.html).some((href) => href.includes("/join/"))).toBe(false);
    const alone = await composeEmail(send("graduation", GRADUATION_SLUG), reader, { ...ctxFor("morning-pages"), catalogue: undefined });
    expect(alone.text).not.toContain("/join/");
  });
});
