import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Resend } from "resend";
import type { CreateEmailOptions } from "resend";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFakeResend, startFakeResend } from "./fake-resend.ts";
import type { FakeResend, FakeStats } from "./fake-resend.ts";

const FROM = "Lessonpost <lessons@lessonpost.test>";

function email(overrides: Partial<Record<string, unknown>> = {}): CreateEmailOptions {
  return {
    from: FROM,
    to: "reader@example.com",
    subject: "Lesson 1: Hello",
    html: "<p>Hello</p>",
    text: "Hello",
    ...overrides,
  } as CreateEmailOptions;
}

describe("fake Resend through the real SDK", () => {
  let fake: FakeResend;
  let resend: Resend;

  beforeAll(async () => {
    fake = await startFakeResend();
    resend = new Resend("re_test", { baseUrl: fake.url });
  });
  afterEach(() => {
    fake.reset();
    fake.setLatency(0);
    fake.setRateLimit(null);
    fake.setApiKey(null);
  });
  afterAll(async () => {
    await fake.close();
  });

  it("accepts an email and records its fields, headers and bodies", async () => {
    const { data, error } = await resend.emails.send(
      email({
        to: ["Reader <Reader@Example.com>", "second@example.com"],
        replyTo: "help@lessonpost.test",
        headers: { "X-Lessonpost-Send-Id": "send-1", "List-Unsubscribe": "<https://l.test/u/1>" },
        tags: [{ name: "course", value: "ts-basics" }],
      }),
      { idempotencyKey: "lesson/1/reader" },
    );
    expect(error).toBeNull();
    expect(data?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.emails).toHaveLength(1);
    const [sent] = fake.emails;
    expect(sent).toMatchObject({
      id: data?.id,
      from: FROM,
      to: ["Reader <Reader@Example.com>", "second@example.com"],
      subject: "Lesson 1: Hello",
      html: "<p>Hello</p>",
      text: "Hello",
      reply_to: ["help@lessonpost.test"],
      headers: { "X-Lessonpost-Send-Id": "send-1", "List-Unsubscribe": "<https://l.test/u/1>" },
      tags: [{ name: "course", value: "ts-basics" }],
      idempotencyKey: "lesson/1/reader",
      batch: false,
    });
    expect(sent?.receivedAt).toBeGreaterThan(Date.now() - 10_000);
    expect(fake.requests).toMatchObject([{ method: "POST", path: "/emails", status: 200, idempotencyKey: "lesson/1/reader", outcome: "accepted" }]);

    const fetched = await resend.emails.get(data?.id ?? "");
    expect(fetched.error).toBeNull();
    expect(fetched.data).toMatchObject({ id: data?.id, subject: "Lesson 1: Hello", html: "<p>Hello</p>" });
  });

  it("is found through RESEND_BASE_URL as the SDK reads it", async () => {
    const previous = process.env.RESEND_BASE_URL;
    process.env.RESEND_BASE_URL = fake.url;
    try {
      const { error } = await new Resend("re_test").emails.send(email());
      expect(error).toBeNull();
    } finally {
      if (previous === undefined) delete process.env.RESEND_BASE_URL;
      else process.env.RESEND_BASE_URL = previous;
    }
    expect(fake.emails).toHaveLength(1);
  });

  it("records a batch of 3 in order, flagged as batch", async () => {
    const { data, error } = await resend.batch.send([
      email({ to: "a@example.com" }),
      email({ to: "b@example.com" }),
      email({ to: "c@example.com", text: undefined }),
    ]);
    expect(error).toBeNull();
    expect(data?.data).toHaveLength(3);
    expect(fake.emails.map((e) => [e.to[0], e.batch, e.batchIndex])).toEqual([
      ["a@example.com", true, 0],
      ["b@example.com", true, 1],
      ["c@example.com", true, 2],
    ]);
    expect(fake.emails.map((e) => e.id)).toEqual(data?.data.map((d) => d.id));
  });

  it("rejects a batch of 101 and records nothing", async () => {
    const batch = Array.from({ length: 101 }, (_, i) => email({ to: `r${i}@example.com` }));
    const { data, error } = await resend.batch.send(batch);
    expect(data).toBeNull();
    expect(error).toMatchObject({ statusCode: 422, name: "validation_error" });
    expect(error?.message).toMatch(/100/);
    expect(fake.emails).toHaveLength(0);

    const ok = await resend.batch.send(batch.slice(0, 100));
    expect(ok.error).toBeNull();
    expect(fake.emails).toHaveLength(100);
  });

  it("fails a strict batch as a whole but accepts the valid part of a permissive one", async () => {
    const batch = [email({ to: "a@example.com" }), email({ to: "not-an-address" }), email({ to: "c@example.com" })];
    const strict = await resend.batch.send(batch);
    expect(strict.error).toMatchObject({ statusCode: 422, name: "validation_error" });
    expect(strict.error?.message).toContain("emails[1]");
    expect(fake.emails).toHaveLength(0);

    const permissive = await resend.batch.send(batch, { batchValidation: "permissive" });
    expect(permissive.error).toBeNull();
    expect(permissive.data?.data).toHaveLength(2);
    expect(permissive.data?.errors).toEqual([{ index: 1, message: expect.stringContaining("Invalid `to` field") }]);
    expect(fake.emails.map((e) => e.to[0])).toEqual(["a@example.com", "c@example.com"]);
    expect(fake.requests.map((r) => [r.outcome, r.emails])).toEqual([
      ["rejected", 0],
      ["partially_accepted", 2],
    ]);
  });

  it("refuses attachments and scheduled_at in a batch", async () => {
    const withAttachment = await resend.batch.send([{ ...email(), attachments: [{ filename: "a.txt", content: "hi" }] } as never]);
    expect(withAttachment.error).toMatchObject({ statusCode: 422, name: "validation_error" });
    const scheduled = await resend.batch.send([{ ...email(), scheduledAt: "in 1 hour" } as never]);
    expect(scheduled.error).toMatchObject({ statusCode: 422, name: "validation_error" });
    expect(fake.emails).toHaveLength(0);
  });

  it.each([
    ["an invalid to address", { to: "reader-at-example.com" }, "validation_error", /Invalid `to` field/],
    ["an invalid from address", { from: "Lessonpost" }, "validation_error", /Invalid `from` field/],
    ["an empty recipient list", { to: [] }, "validation_error", /Invalid `to` field/],
    ["51 recipients", { to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) }, "validation_error", /50/],
    ["a missing from", { from: undefined }, "missing_required_field", /Missing `from` field/],
    ["a missing to", { to: undefined }, "missing_required_field", /Missing `to` field/],
    ["a missing subject", { subject: undefined }, "missing_required_field", /Missing `subject` field/],
    ["neither html nor text", { html: undefined, text: undefined }, "missing_required_field", /Missing `html` or `text` field/],
    ["a header value with CRLF", { headers: { "X-Lessonpost-Send-Id": "a\r\nBcc: victim@example.com" } }, "validation_error", /line breaks/],
    ["a header value with a bare LF", { headers: { "X-Note": "a\nb" } }, "validation_error", /line breaks/],
    ["a non-string header value", { headers: { "X-Count": 3 } }, "validation_error", /must be a string/],
    ["a tag with spaces", { tags: [{ name: "course name", value: "x" }] }, "validation_error", /tags/],
  ])("answers 422 to %s", async (_label, overrides, name, message) => {
    const { data, error, headers } = await resend.emails.send(email(overrides));
    expect(data).toBeNull();
    expect(error).toMatchObject({ statusCode: 422, name });
    expect(error?.message).toMatch(message);
    expect(headers?.["content-type"]).toContain("application/json");
    expect(fake.emails).toHaveLength(0);
  });

  it("surfaces an injected 429 with retry-after, then recovers", async () => {
    fake.failNext(1, { status: 429, retryAfterSeconds: 7 });
    const first = await resend.emails.send(email());
    expect(first.error).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
    expect(first.headers?.["retry-after"]).toBe("7");
    expect(first.headers?.["ratelimit-remaining"]).toBe("0");
    expect(fake.emails).toHaveLength(0);

    const second = await resend.emails.send(email());
    expect(second.error).toBeNull();
    expect(fake.emails).toHaveLength(1);
  });

  it("surfaces injected 5xx errors, JSON or not, for exactly n requests", async () => {
    fake.failNext(2, { status: 500 });
    fake.failNext(1, { status: 502, body: "<html>Bad gateway</html>" });
    const a = await resend.emails.send(email());
    const b = await resend.emails.send(email());
    const c = await resend.emails.send(email());
    const d = await resend.emails.send(email());
    expect(a.error).toMatchObject({ statusCode: 500, name: "internal_server_error" });
    expect(b.error).toMatchObject({ statusCode: 500 });
    // The SDK maps a non-JSON error body to application_error with the HTTP status.
    expect(c.error).toMatchObject({ statusCode: 502, name: "application_error" });
    expect(d.error).toBeNull();
    expect(fake.emails).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([500, 500, 502, 200]);
  });

  it("drops the connection on a disconnect fault", async () => {
    fake.failNext(1, { status: "disconnect" });
    const { error } = await resend.emails.send(email());
    expect(error).toMatchObject({ name: "application_error", statusCode: null });
    expect(fake.emails).toHaveLength(0);
  });

  it("lets a fault hook answer arbitrary responses", async () => {
    fake.setFault((req) =>
      req.seq === 2 ? new Response(JSON.stringify({ statusCode: 451, name: "validation_error", message: "nope" }), { status: 451 }) : undefined,
    );
    const first = await resend.emails.send(email());
    const second = await resend.emails.send(email());
    expect(first.error).toBeNull();
    expect(second.error).toMatchObject({ statusCode: 451, message: "nope" });
  });

  describe("idempotency", () => {
    it("replays the original response for the same key and body, without a second email", async () => {
      const first = await resend.emails.send(email(), { idempotencyKey: "welcome/42" });
      const again = await resend.emails.send(email(), { idempotencyKey: "welcome/42" });
      expect(first.error).toBeNull();
      expect(again.error).toBeNull();
      expect(again.data?.id).toBe(first.data?.id);
      expect(fake.emails).toHaveLength(1);
      expect(fake.requests.map((r) => [r.outcome, r.emails])).toEqual([
        ["accepted", 1],
        ["replayed", 0],
      ]);
      expect(fake.duplicates()).toEqual([]);
    });

    it("treats a re-built payload with other key order as the same body", async () => {
      const first = await resend.emails.send(email({ headers: { A: "1", B: "2" } }), { idempotencyKey: "k" });
      const again = await resend.emails.send(email({ headers: { B: "2", A: "1" } }), { idempotencyKey: "k" });
      expect(again.data?.id).toBe(first.data?.id);
      expect(fake.emails).toHaveLength(1);
    });

    it("answers 409 invalid_idempotent_request for the same key with a different body", async () => {
      await resend.emails.send(email(), { idempotencyKey: "welcome/42" });
      const { error } = await resend.emails.send(email({ subject: "Something else" }), { idempotencyKey: "welcome/42" });
      expect(error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
      const batchReuse = await resend.batch.send([email()], { idempotencyKey: "welcome/42" });
      expect(batchReuse.error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
      expect(fake.emails).toHaveLength(1);
    });

    it("answers 409 concurrent_idempotent_requests while the first is in flight", async () => {
      fake.setLatency(150);
      const [a, b] = await Promise.all([
        resend.emails.send(email(), { idempotencyKey: "race" }),
        resend.emails.send(email(), { idempotencyKey: "race" }),
      ]);
      const errors = [a.error, b.error].filter((e) => e !== null);
      expect(errors).toEqual([expect.objectContaining({ statusCode: 409, name: "concurrent_idempotent_requests" })]);
      expect(fake.emails).toHaveLength(1);
      // Once the first finished, the same request replays.
      const c = await resend.emails.send(email(), { idempotencyKey: "race" });
      expect(c.data?.id).toBe(fake.emails[0]?.id);
    });

    it("replays batches too", async () => {
      const batch = [email({ to: "a@example.com" }), email({ to: "b@example.com" })];
      const first = await resend.batch.send(batch, { idempotencyKey: "digest/7" });
      const again = await resend.batch.send(batch, { idempotencyKey: "digest/7" });
      expect(again.data).toEqual(first.data);
      expect(fake.emails).toHaveLength(2);
      const otherMode = await resend.batch.send(batch, { idempotencyKey: "digest/7", batchValidation: "permissive" });
      expect(otherMode.error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
    });

    it("does not store failures: a retry after a 500 or a 422 is processed afresh", async () => {
      fake.failNext(1, { status: 500 });
      const failed = await resend.emails.send(email(), { idempotencyKey: "retry-me" });
      expect(failed.error?.statusCode).toBe(500);
      const retried = await resend.emails.send(email(), { idempotencyKey: "retry-me" });
      expect(retried.error).toBeNull();
      expect(fake.emails).toHaveLength(1);

      const invalid = await resend.emails.send(email({ to: "bad" }), { idempotencyKey: "fix-me" });
      expect(invalid.error?.name).toBe("validation_error");
      const fixed = await resend.emails.send(email(), { idempotencyKey: "fix-me" });
      expect(fixed.error).toBeNull();
      expect(fake.emails).toHaveLength(2);
    });

    it("models a lost response: afterAccept sends, fails the call, and the keyed retry replays", async () => {
      fake.failNext(1, { status: 503, afterAccept: true });
      const lost = await resend.emails.send(email(), { idempotencyKey: "lost/1" });
      expect(lost.error?.statusCode).toBe(503);
      expect(fake.emails).toHaveLength(1);
      const retry = await resend.emails.send(email(), { idempotencyKey: "lost/1" });
      expect(retry.data?.id).toBe(fake.emails[0]?.id);
      expect(fake.emails).toHaveLength(1);

      // Without a key the same retry is a second delivery, and duplicates() says so.
      fake.failNext(1, { status: "disconnect", afterAccept: true });
      const lostAgain = await resend.emails.send(email({ subject: "Lesson 2" }));
      expect(lostAgain.error?.statusCode).toBeNull();
      await resend.emails.send(email({ subject: "Lesson 2" }));
      expect(fake.emails).toHaveLength(3);
      expect(fake.duplicates()).toEqual([
        expect.objectContaining({ reason: "recipient-subject", key: "reader@example.com|Lesson 2", emails: [fake.emails[1], fake.emails[2]] }),
      ]);
    });

    it("rejects keys longer than 256 characters", async () => {
      const { error } = await resend.emails.send(email(), { idempotencyKey: "k".repeat(257) });
      expect(error).toMatchObject({ statusCode: 400, name: "invalid_idempotency_key" });
      const ok = await resend.emails.send(email(), { idempotencyKey: "k".repeat(256) });
      expect(ok.error).toBeNull();
    });
  });

  describe("rate limit", () => {
    it("answers 429 with retry-after past the per-second limit and counts requests per second", async () => {
      fake.setRateLimit({ requestsPerSecond: 3 });
      // Whole batch fired at once; retry if it straddled a second boundary so the test is not flaky.
      for (let attempt = 0; ; attempt++) {
        fake.reset();
        const results = await Promise.all(Array.from({ length: 5 }, () => resend.emails.send(email())));
        if (fake.requestsPerSecondSeen().length > 1 && attempt < 3) continue;
        const limited = results.filter((r) => r.error !== null);
        expect(results.filter((r) => r.error === null)).toHaveLength(3);
        expect(limited).toHaveLength(2);
        for (const r of limited) {
          expect(r.error).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
          expect(r.headers?.["retry-after"]).toBe("1");
          expect(r.headers?.["ratelimit-limit"]).toBe("3");
          expect(r.headers?.["ratelimit-remaining"]).toBe("0");
        }
        expect(fake.requestsPerSecondSeen()).toEqual([{ second: expect.any(Number), requests: 5, rateLimited: 2, emails: 3 }]);
        break;
      }
    });
  });

  describe("API key", () => {
    it("answers 401 missing_api_key, 403 invalid_api_key, and accepts the right key", async () => {
      fake.setApiKey("re_right");
      const missing = await fetch(`${fake.url}/emails`, { method: "POST", body: JSON.stringify(email()), headers: { "content-type": "application/json" } });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ statusCode: 401, name: "missing_api_key" });

      const wrong = await new Resend("re_wrong", { baseUrl: fake.url }).emails.send(email());
      expect(wrong.error).toMatchObject({ statusCode: 403, name: "invalid_api_key" });
      const right = await new Resend("re_right", { baseUrl: fake.url }).emails.send(email());
      expect(right.error).toBeNull();
      expect(fake.emails).toHaveLength(1);
    });
  });

  it("reset() forgets emails, requests, keys and faults", async () => {
    await resend.emails.send(email(), { idempotencyKey: "once" });
    fake.failNext(5, { status: 500 });
    fake.reset();
    expect(fake.emails).toHaveLength(0);
    expect(fake.requests).toHaveLength(0);
    expect(fake.requestsPerSecondSeen()).toEqual([]);
    const again = await resend.emails.send(email(), { idempotencyKey: "once" });
    expect(again.error).toBeNull();
    expect(fake.emails).toHaveLength(1);
    expect(fake.requests[0]?.outcome).toBe("accepted");
  });
});

describe("fake Resend with a controlled clock", () => {
  let clock = Date.UTC(2030, 0, 1, 12, 0, 0);
  let fake: FakeResend;
  let resend: Resend;
  beforeAll(async () => {
    fake = await startFakeResend({ now: () => clock, rateLimit: { requestsPerSecond: 2 } });
    resend = new Resend("re_test", { baseUrl: fake.url });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.close();
  });

  it("uses fixed wall-clock windows: the budget refills at the next second", async () => {
    clock = Date.UTC(2030, 0, 1, 12, 0, 0) + 900;
    const first = [await resend.emails.send(email()), await resend.emails.send(email()), await resend.emails.send(email())];
    expect(first.map((r) => r.error?.statusCode ?? 200)).toEqual([200, 200, 429]);
    clock += 100;
    const next = [await resend.emails.send(email()), await resend.emails.send(email()), await resend.emails.send(email())];
    expect(next.map((r) => r.error?.statusCode ?? 200)).toEqual([200, 200, 429]);
    const second = Math.floor(clock / 1000);
    expect(fake.requestsPerSecondSeen()).toEqual([
      { second: second - 1, requests: 3, rateLimited: 1, emails: 2 },
      { second, requests: 3, rateLimited: 1, emails: 2 },
    ]);
    expect(fake.stats().maxRequestsInAnySecond).toBe(3);
  });

  it("uses a sliding window when asked: no burst across a second boundary", async () => {
    fake.setRateLimit({ requestsPerSecond: 2, window: "sliding" });
    try {
      clock = Date.UTC(2030, 0, 1, 12, 0, 10) + 900;
      await resend.emails.send(email());
      await resend.emails.send(email());
      clock += 200;
      const blocked = await resend.emails.send(email());
      expect(blocked.error?.statusCode).toBe(429);
      clock += 800;
      const allowed = await resend.emails.send(email());
      expect(allowed.error).toBeNull();
    } finally {
      fake.setRateLimit({ requestsPerSecond: 2 });
    }
  });

  it("uses a token bucket when asked: a second's worth at once, then the rate, refilled over time", async () => {
    fake.setRateLimit({ requestsPerSecond: 2, window: "bucket" });
    try {
      clock = Date.UTC(2030, 0, 1, 12, 0, 20) + 100;
      const burst = [await resend.emails.send(email()), await resend.emails.send(email()), await resend.emails.send(email())];
      expect(burst.map((r) => r.error?.statusCode ?? 200)).toEqual([200, 200, 429]);
      // Half a second refills one token (2 a second), whatever the wall-clock second is.
      clock += 499;
      expect((await resend.emails.send(email())).error?.statusCode).toBe(429);
      clock += 1;
      expect((await resend.emails.send(email())).error).toBeNull();
      expect((await resend.emails.send(email())).error?.statusCode).toBe(429);
      // Idle time fills the bucket to one second's worth, never more.
      clock += 10_000;
      const after = [await resend.emails.send(email()), await resend.emails.send(email()), await resend.emails.send(email())];
      expect(after.map((r) => r.error?.statusCode ?? 200)).toEqual([200, 200, 429]);
      // A larger bucket admits a larger burst, at the same rate.
      fake.setRateLimit({ requestsPerSecond: 2, window: "bucket", burst: 4 });
      const big = [];
      for (let i = 0; i < 5; i++) big.push((await resend.emails.send(email())).error?.statusCode ?? 200);
      expect(big).toEqual([200, 200, 200, 200, 429]);
    } finally {
      fake.setRateLimit({ requestsPerSecond: 2 });
    }
  });

  it("forgets idempotency keys after 24 hours", async () => {
    clock = Date.UTC(2030, 0, 2);
    const first = await resend.emails.send(email(), { idempotencyKey: "daily" });
    clock += 24 * 60 * 60 * 1000 - 1;
    const replay = await resend.emails.send(email(), { idempotencyKey: "daily" });
    expect(replay.data?.id).toBe(first.data?.id);
    clock += 1;
    const fresh = await resend.emails.send(email(), { idempotencyKey: "daily" });
    expect(fresh.error).toBeNull();
    expect(fresh.data?.id).not.toBe(first.data?.id);
    expect(fake.emails).toHaveLength(2);
    expect(fake.duplicates()).toEqual(
      expect.arrayContaining([expect.objectContaining({ reason: "idempotency-key", key: "daily#", emails: [...fake.emails] })]),
    );
  });
});

describe("duplicate detection", () => {
  it("groups by idempotency key when the provider ignores keys, and by send-id header", async () => {
    const fake = createFakeResend({ honorIdempotency: false });
    const post = (body: unknown, key?: string) =>
      fake.app.request("/emails", {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
      });
    const base = { from: FROM, to: "reader@example.com", subject: "Lesson 1", html: "<p>1</p>" };
    expect((await post(base, "k1")).status).toBe(200);
    expect((await post(base, "k1")).status).toBe(200);
    // Same send id delivered twice, even with a changed subject, is one logical email twice.
    await post({ ...base, subject: "Lesson 2", headers: { "X-Lessonpost-Send-Id": "s2" } });
    await post({ ...base, to: "READER@example.com", subject: "Lesson 2 (fixed)", headers: { "x-lessonpost-send-id": "s2" } });
    // Distinct send ids with the same subject are distinct sends.
    await post({ ...base, subject: "Digest", headers: { "X-Lessonpost-Send-Id": "d1" } });
    await post({ ...base, subject: "Digest", headers: { "X-Lessonpost-Send-Id": "d2" } });

    const groups = fake.duplicates();
    expect(groups.map((g) => [g.reason, g.key, g.emails.map((e) => fake.emails.indexOf(e))])).toEqual([
      ["idempotency-key", "k1#", [0, 1]],
      ["recipient-subject", "reader@example.com|Lesson 1", [0, 1]],
      ["send-id", "s2|reader@example.com", [2, 3]],
    ]);
    expect(fake.stats().duplicates).toBe(2);
  });
});

describe("control endpoints", () => {
  it("serve emails, stats, faults, config and reset in-process", async () => {
    const fake = createFakeResend();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fake.app.request(path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const send = (subject: string) =>
      call("POST", "/emails", { from: FROM, to: "r@example.com", subject, text: "x" });

    expect((await send("one")).status).toBe(200);
    expect((await send("two")).status).toBe(200);
    const all = await call("GET", "/_fake/emails");
    expect(all.json.total).toBe(2);
    const later = await call("GET", "/_fake/emails?since=1&bodies=0");
    expect(later.json.emails).toEqual([expect.objectContaining({ subject: "two" })]);
    expect((later.json.emails as { text?: string }[])[0]?.text).toBeUndefined();

    expect((await call("POST", "/_fake/fault", { count: 2, status: 503 })).json).toMatchObject({ ok: true, queued: 2 });
    expect((await send("three")).status).toBe(503);
    expect((await call("POST", "/_fake/fault", { status: 777 })).status).toBe(400);

    await call("POST", "/_fake/config", { rateLimit: { requestsPerSecond: 1000 }, apiKey: "re_ctl" });
    // The API key is checked before faults, so the second queued 503 is still waiting.
    expect((await send("four")).status).toBe(401);
    await call("POST", "/_fake/config", { apiKey: null, rateLimit: null });
    expect((await send("five")).status).toBe(503);
    expect((await send("six")).status).toBe(200);

    const stats = (await call("GET", "/_fake/stats")).json as unknown as FakeStats;
    expect(stats).toMatchObject({ emails: 3, requests: 6, byStatus: { "200": 3, "503": 2, "401": 1 }, duplicates: 0 });
    expect(stats.perSecond.reduce((n, s) => n + s.requests, 0)).toBe(6);

    await call("POST", "/_fake/reset");
    expect((await call("GET", "/_fake/stats")).json).toMatchObject({ emails: 0, requests: 0 });
    expect(fake.emails).toHaveLength(0);
  });

  describe("standalone CLI process", () => {
    let child: ChildProcess | undefined;
    afterEach(async () => {
      if (child && child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    });

    it("prints its URL and is steerable over HTTP from another process", async () => {
      const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
      const cli = fileURLToPath(new URL("./fake-resend-cli.ts", import.meta.url));
      child = spawn(process.execPath, [tsx, cli, "--port", "0", "--rate", "50", "--latency", "5"], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child?.stdout?.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const line = /^(http:\/\/\S+)$/m.exec(out);
          if (line?.[1]) resolve(line[1]);
        });
        child?.once("exit", (code) => reject(new Error(`CLI exited with ${code}: ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const resend = new Resend("re_test", { baseUrl: url });
      const sent = await resend.emails.send(email(), { idempotencyKey: "cli/1" });
      expect(sent.error).toBeNull();
      expect(sent.headers?.["ratelimit-limit"]).toBe("50");

      const fault = await fetch(`${url}/_fake/fault`, { method: "POST", body: JSON.stringify({ status: 500 }), headers: { "content-type": "application/json" } });
      expect(fault.status).toBe(200);
      const failed = await resend.emails.send(email({ subject: "second" }));
      expect(failed.error?.statusCode).toBe(500);

      const emails = (await (await fetch(`${url}/_fake/emails`)).json()) as { total: number; emails: { id: string; idempotencyKey: string }[] };
      expect(emails.total).toBe(1);
      expect(emails.emails[0]).toMatchObject({ id: sent.data?.id, idempotencyKey: "cli/1" });

      const stats = (await (await fetch(`${url}/_fake/stats`)).json()) as FakeStats;
      expect(stats).toMatchObject({ emails: 1, requests: 2, duplicates: 0, config: { latencyMs: 5, rateLimit: { requestsPerSecond: 50 } } });

      expect((await fetch(`${url}/_fake/reset`, { method: "POST" })).status).toBe(200);
      expect(((await (await fetch(`${url}/_fake/stats`)).json()) as FakeStats).emails).toBe(0);

      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      expect(code).toBe(0);
    });
  });
});
