import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { previewData, previewRecipient, previewUrls } from "../../../emails/_components/preview-data.ts";
import { urlBreakPieces } from "../../../emails/_components/printed-url.tsx";
import { importArticle } from "../../../src/content/import.ts";
import { loadCourse } from "../../../src/content/load.ts";
import { courseFileSchema } from "../../../src/content/schema.ts";
import type { Course } from "../../../src/content/schema.ts";
import { composeEmail } from "../../../src/render/compose.ts";
import type { ComposableSend, ComposeContext } from "../../../src/render/compose.ts";
import { renderConfirmEmail, renderGraduationEmail, renderLessonEmail, renderNewsletterEmail } from "../../../src/render/emails.ts";
import { DOT_ATOM, listIdHeader, listIdOf } from "../../../src/render/list-id.ts";
import { GRADUATION_SLUG } from "../../../src/domain/course-plan.ts";
import type { Subscriber } from "../../../src/store/subscribers.ts";
import { ARTICLE_HEALING, readArticle } from "../content/helpers.ts";

const CONTENT_DIR = resolve(import.meta.dirname, "../../../content/couples-therapy-up-close");
const reader = { id: "reader-1", email: "ann@example.com", name: "Ann" } as Subscriber;

let course: Course;
let ctx: ComposeContext;
beforeAll(async () => {
  course = await loadCourse(CONTENT_DIR);
  ctx = { course, appUrl: "https://lessons.example.com", secretKey: "k".repeat(40), from: "Lessons <lessons@lessons.example.com>", now: 1 };
});

const send = (kind: ComposableSend["kind"], lessonSlug: string | null): ComposableSend => ({ id: `send-${kind}`, kind, lesson_slug: lessonSlug, created_at: 1 });

describe("List-Id (RFC 2919)", () => {
  it("is on every lesson, graduation and newsletter email, with the course name and a stable id", async () => {
    const emails = [
      await composeEmail(send("lesson", course.lessons[0]!.slug), reader, ctx),
      await composeEmail(send("graduation", GRADUATION_SLUG), reader, ctx),
      await composeEmail(send("newsletter", null), reader, ctx, { subject: "News", markdown: "Hello.", lessonSlug: null }),
    ];
    for (const email of emails) {
      expect(email.headers["List-Id"]).toBe('"Couples Therapy, Up Close" <couples-therapy.lessons.example.com>');
      expect(email.headers["List-Unsubscribe"]).toMatch(/^<https:\/\/lessons\.example\.com\/unsubscribe\/.+>$/);
      expect(email.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    }
  });

  it("is not on the confirmation email, which answers one signup and is not list mail", async () => {
    const email = await composeEmail(send("confirm", null), reader, ctx);
    expect(email.headers["List-Id"]).toBeUndefined();
    expect(email.headers["List-Unsubscribe"]).toBeUndefined();
    // Nor is a web version: a confirmation is an action, not something to read again.
    expect(email.text).not.toContain("View in your browser");
  });

  it.each([
    ["http://localhost:3000", "couples-therapy.localhost"],
    ["http://127.0.0.1:8787", "couples-therapy.127.0.0.1"],
    ["http://[::1]:3000", "couples-therapy.localhost"],
    ["https://Lessons.Example.COM/base/", "couples-therapy.lessons.example.com"],
  ])("is a valid dot-atom for APP_URL %s", (appUrl, expected) => {
    const id = listIdOf(course, appUrl);
    expect(id).toBe(expected);
    expect(id).toMatch(DOT_ATOM);
  });

  it("comes from listId in course.yaml when set, and course.yaml refuses a listId that is not a dot-atom", () => {
    expect(listIdOf({ ...course, listId: "letters.harbour.example" }, "https://elsewhere.example")).toBe("letters.harbour.example");
    const file = { slug: "c", name: "C", description: "d", sender: { name: "S" }, postalAddress: "1 Road", schedule: {}, graduation: { subject: "s" } };
    expect(courseFileSchema.safeParse({ ...file, listId: "letters.harbour.example" }).success).toBe(true);
    for (const bad of ["no-dot", "two..dots.example", "space in.example", "<angle>.example", ".leading.example"]) {
      expect(courseFileSchema.safeParse({ ...file, listId: bad }).success).toBe(false);
    }
  });

  it("quotes an ASCII course name and encodes a non-ASCII one (RFC 2047), never letting it break the header", () => {
    expect(listIdHeader({ slug: "c", name: 'Say "hi"\r\nBcc: x@example.com', listId: undefined }, "https://l.example")).toBe('"Say \\"hi\\" Bcc: x@example.com" <c.l.example>');
    const header = listIdHeader({ slug: "c", name: "Cours de thérapie de couple, de près et en profondeur", listId: undefined }, "https://l.example");
    expect(header).toMatch(/^(=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= )+<c\.l\.example>$/);
    for (const word of header.split(" ").slice(0, -1)) expect(word.length).toBeLessThanOrEqual(75);
    const decoded = header
      .split(" ")
      .slice(0, -1)
      .map((w) => Buffer.from(w.slice(10, -2), "base64").toString("utf8"))
      .join("");
    expect(decoded).toBe("Cours de thérapie de couple, de près et en profondeur");
  });
});

describe("Reply-To", () => {
  it("is set by the shipped course and carried by every email, the confirmation included", async () => {
    expect(course.sender.replyTo).toMatch(/@/);
    for (const email of [await composeEmail(send("confirm", null), reader, ctx), await composeEmail(send("lesson", course.lessons[0]!.slug), reader, ctx)]) {
      expect(email.replyTo).toBe(course.sender.replyTo);
    }
  });
});

describe("the hidden preview text", () => {
  it("is hidden from Outlook too (mso-hide:all) in every template", () => {
    const lesson = course.lessons[0]!;
    const urls = { unsubscribeUrl: previewUrls.unsubscribe, preferencesUrl: previewUrls.preferences };
    const htmls = [
      renderConfirmEmail({ course, recipient: previewRecipient, confirmUrl: previewUrls.confirm }).html,
      renderLessonEmail({ course, lesson, recipient: previewRecipient, ...urls }).html,
      renderGraduationEmail({ course, recipient: previewRecipient, ...urls }).html,
      renderNewsletterEmail({ course, recipient: previewRecipient, subject: "News", markdown: "Hello there.", ...urls }).html,
    ];
    for (const html of htmls) {
      const preview = html.match(/<div style="([^"]*)" data-skip-in-text="true">/)?.[1];
      expect(preview).toContain("display:none");
      expect(preview).toContain("mso-hide:all");
    }
  });
});

describe("credit lines", () => {
  it("never claim an 'author named above' for the shipped article that names no author", () => {
    const unnamed = course.lessons.find((l) => l.source.name === "GoodTherapy.org")!;
    expect(unnamed.credit).toMatch(/© Copyright 2007 - 2025 GoodTherapy\.org/);
    const email = renderLessonEmail({ course, lesson: unnamed, recipient: previewRecipient, unsubscribeUrl: previewUrls.unsubscribe });
    expect(email.html).not.toMatch(/author named above/i);
    expect(email.text).not.toMatch(/author named above/i);
  });

  it("are flagged by the importer when the article names no author but its footer points at one", async () => {
    const result = importArticle(await readArticle(ARTICLE_HEALING), ARTICLE_HEALING);
    expect(result.report.warnings).toContainEqual(expect.stringContaining('the credit says "the author named above", but the article names no author'));
  });
});

describe("a long printed URL", () => {
  const url = `https://lessons.example.com/confirm/${"eyJzIjoiMTIzNDU2Nzg5MCJ9".repeat(4)}.${"a1B2c3".repeat(12)}?utm_source=x&utm_medium=email#top`;

  it("gets a break opportunity at least every 16 characters, and none inside https://", () => {
    const pieces = urlBreakPieces(url);
    expect(pieces.join("")).toBe(url);
    expect(pieces[0]).toBe("https://");
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(16);
  });

  it("copies exactly: the confirmation email prints it with <wbr> only, no zero-width spaces or soft hyphens", () => {
    const html = renderConfirmEmail({ course: previewData().course, recipient: previewRecipient, confirmUrl: url }).html;
    const printed = html.match(/Paste this address into your browser:<\/p><p[^>]*>(.*?)<\/p>/)?.[1] ?? "";
    expect(printed).toContain("<wbr/>");
    expect(printed).not.toMatch(/\u200b|\u00ad|&shy;|&#8203;/);
    expect(printed.replace(/<wbr\/>/g, "").replace(/&amp;/g, "&")).toBe(url);
  });
});

describe("newsletter preview text", () => {
  it("renders byte-identically on the cached path, and a new preview text is a new template, not a stale one", async () => {
    const { renderNewsletterEmailFast } = await import("../../../src/render/personalize.ts");
    const base = { course, recipient: previewRecipient, subject: "News", markdown: "The body starts here.", unsubscribeUrl: previewUrls.unsubscribe, preferencesUrl: previewUrls.preferences };
    for (const preview of [undefined, "First preview", "Second preview"]) {
      const input = { ...base, ...(preview ? { preview } : {}) };
      const fast = renderNewsletterEmailFast(input);
      expect(fast).toEqual(renderNewsletterEmail(input));
      expect(fast.html).toContain(`data-skip-in-text="true">${preview ?? "The body starts here."}`);
    }
  });
});
