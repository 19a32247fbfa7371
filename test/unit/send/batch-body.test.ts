import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../../src/content/load.ts";
import { composeEmail } from "../../../src/render/compose.ts";
import { emailsOfBatchBody, encodeBatchBody, jsonStringContents, splitsPair, withPreEncodedText } from "../../../src/send/mailer.ts";
import type { Send } from "../../../src/store/sends.ts";
import type { Subscriber } from "../../../src/store/subscribers.ts";
import type { OutgoingEmail } from "../../../src/send/mailer.ts";
import { createOutbox } from "../../../src/send/outbox.ts";

const ann: OutgoingEmail = {
  from: "Course <course@example.com>",
  to: "ann@example.com",
  subject: "Lesson 2 — “quoted”",
  html: "<p>Hello Ann</p>",
  text: "Hello Ann",
  replyTo: "reply@example.com",
  headers: { "List-Id": "<course.example.com>" },
  idempotencyKey: "lessonpost-send-a",
  tags: [{ name: "kind", value: "lesson" }],
};
const bob: OutgoingEmail = { from: ann.from, to: "bob@example.com", subject: "Lesson 2", html: "<p>Hello Bob</p>", text: "Hello Bob", headers: {}, idempotencyKey: "lessonpost-send-b" };

describe("a batch body", () => {
  it("is Resend's batch request: the API's field names (reply_to) in the order its SDK writes them, and no idempotency key inside", () => {
    const body = JSON.parse(encodeBatchBody([ann, bob]).toString("utf8")) as Record<string, unknown>[];
    expect(Object.keys(body[0]!)).toEqual(["from", "headers", "html", "reply_to", "subject", "tags", "text", "to"]);
    expect(Object.keys(body[1]!)).toEqual(["from", "headers", "html", "subject", "text", "to"]);
    expect(body[0]).toMatchObject({ reply_to: "reply@example.com", to: "ann@example.com", subject: "Lesson 2 — “quoted”" });
  });

  it("gives back the emails it was built from, each with its own key", () => {
    expect(emailsOfBatchBody({ body: encodeBatchBody([ann, bob]), keys: [ann.idempotencyKey, bob.idempotencyKey] })).toEqual([ann, bob]);
  });

  it("built from personalised lessons' encoded pieces, is byte for byte the body their strings make", async () => {
    const course = await loadCourse("content/couples-therapy-up-close");
    const ctx = { course, appUrl: "https://lessons.example.test", secretKey: "test-secret-key-0123456789abcdef", from: "Lessons <lessons@example.test>", now: Date.now() };
    const names = [null, "Ann", 'Zoë "Z" O\'Brien \\ <b>', "👋 Bob\u2028", "Ann\r\nBcc: x@y", "\uD83D lone", "tab\there"];
    const emails = await Promise.all(
      names.map((name, i) =>
        composeEmail({ id: `send-${i}`, kind: "lesson", lesson_slug: course.lessons[i % course.lessons.length]!.slug, created_at: 1_700_000_000_000 } as Send, { id: `reader-${i}`, email: `r${i}@example.com`, name } as Subscriber, ctx),
      ),
    );
    // Copies carry no pieces, so they take the plain path: JSON.stringify of every string.
    const plain = encodeBatchBody(emails.map((email) => ({ ...email })));
    expect(encodeBatchBody(emails)).toEqual(plain);
    expect(JSON.parse(plain.toString("utf8"))).toHaveLength(names.length);
  });

  it("uses an email's pieces only while it still holds the strings they were made from", () => {
    const email = withPreEncodedText({ ...bob }, { html: bob.html, text: bob.text, htmlPieces: () => [Buffer.from("from pieces")], textPieces: () => [jsonStringContents(bob.text)] });
    expect(JSON.parse(encodeBatchBody([email]).toString("utf8"))[0].html).toBe("from pieces");
    email.html = "<p>Changed after it was built</p>";
    expect(JSON.parse(encodeBatchBody([email]).toString("utf8"))[0].html).toBe("<p>Changed after it was built</p>");
  });

  it("knows when two strings would split a surrogate pair, where their pieces cannot be joined", () => {
    const [high, low] = ["\uD83D", "\uDC4B"];
    expect(splitsPair(`a${high}`, `${low}b`)).toBe(true);
    expect(Buffer.concat([jsonStringContents(`a${high}`), jsonStringContents(`${low}b`)])).not.toEqual(jsonStringContents(`a${high}${low}b`));
    expect(splitsPair("a", `${low}b`)).toBe(false);
    expect(splitsPair(`a${high}`, "b")).toBe(false);
    expect(splitsPair("", "")).toBe(false);
  });

  it("refuses a body whose emails and keys do not pair up", () => {
    expect(() => emailsOfBatchBody({ body: encodeBatchBody([ann, bob]), keys: [ann.idempotencyKey] })).toThrow(/2 emails came with 1 keys/);
  });
});

describe("the outbox given a batch", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("files each email under its own key, once, however often the batch is retried", async () => {
    dir = mkdtempSync(join(tmpdir(), "outbox-batch-"));
    const outbox = createOutbox(dir);
    const batch = { body: encodeBatchBody([ann, bob]), keys: [ann.idempotencyKey, bob.idempotencyKey] };
    const first = await outbox.sendBatch(batch, "lessonpost-batch-1");
    expect(await outbox.sendBatch(batch, "lessonpost-batch-1")).toEqual(first);
    expect(readdirSync(dir).sort()).toEqual(["lessonpost-send-a.json", "lessonpost-send-b.json"]);
    expect(await outbox.get("lessonpost-send-a")).toMatchObject({ to: "ann@example.com", replyTo: "reply@example.com", subject: ann.subject });
  });
});
