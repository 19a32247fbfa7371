import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { emailsOfBatchBody, encodeBatchBody } from "../../../src/send/mailer.ts";
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
