import { catalogueOf } from "../../src/content/catalogue.ts";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadCourse } from "../../src/content/load.ts";
import { silentLogger } from "../../src/log.ts";
import { confirmToken, unsubscribeToken } from "../../src/tokens.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * 10,000 generated bad requests at every public endpoint. Seeded: a failure prints its seed and
 * path, and `FUZZ_SEED=<seed>` replays it exactly. The service must answer every one without a
 * 5xx, and a request it rejects must leave no row behind.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RUNS = 10_000;

const nasty = fc.oneof(
  fc.constantFrom(
    "'; DROP TABLE subscribers; --",
    "\" OR 1=1 --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a@b.c\r\nBcc: victim@example.com",
    "\u0000\u0001\u0002",
    "\u202e\u200b\ufeff",
    "👩‍👩‍👧‍👦@example.com",
    "ann@bücher.example",
    "%00%0d%0a",
    "{{7*7}}",
    "../../etc/passwd",
    "null",
    "[]",
    "A".repeat(300),
  ),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.emailAddress(),
);

const fieldValue = fc.oneof(nasty, fc.integer(), fc.boolean(), fc.constant(null), fc.array(nasty, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 3 }));
const fields = fc.dictionary(fc.constantFrom("email", "name", "timezone", "website", "scope", "confirm", "List-Unsubscribe", "type", "data", fc.sample(fc.string({ maxLength: 10 }), 1)[0]!), fieldValue, { maxKeys: 6 });

type Body = { kind: "json"; value: unknown } | { kind: "form"; value: Record<string, unknown> } | { kind: "raw"; value: string } | { kind: "bytes"; value: Uint8Array } | { kind: "huge"; size: number } | { kind: "none" };
const body: fc.Arbitrary<Body> = fc.oneof(
  fields.map((value) => ({ kind: "json" as const, value })),
  fc.oneof(nasty, fc.integer(), fc.array(fields, { maxLength: 2 })).map((value) => ({ kind: "json" as const, value })),
  fields.map((value) => ({ kind: "form" as const, value })),
  nasty.map((value) => ({ kind: "raw" as const, value })),
  fc.uint8Array({ maxLength: 256 }).map((value) => ({ kind: "bytes" as const, value })),
  fc.integer({ min: 60_000, max: 300_000 }).map((size) => ({ kind: "huge" as const, size })),
  fc.constant({ kind: "none" as const }),
);

const contentType = fc.constantFrom(undefined, "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "application/xml", "application/json; charset=utf-16", "garbage/???");

describe("fuzzing the public endpoints", () => {
  let t: TestApp;
  let app: ReturnType<typeof createApp>;
  let tokens: { confirm: string; unsubscribe: string };

  beforeAll(async () => {
    t = await makeTestApp();
    app = createApp({ db: t.db, catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]), log: silentLogger, appUrl: "http://localhost", secretKey: TEST_SECRET, webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", clientIp: () => "203.0.113.9" });
    await app.request("/subscribe", form({ email: "seed@example.com" }));
    const id = (await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow()).id;
    tokens = { confirm: await confirmToken(TEST_SECRET, id), unsubscribe: await unsubscribeToken(TEST_SECRET, id) };
  });
  afterAll(async () => {
    await t.close();
  });

  const counts = async () => {
    const n = async (table: "subscribers" | "sends" | "consent_events" | "webhook_events" | "enrollments" | "suppressions") =>
      Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    return [await n("subscribers"), await n("sends"), await n("consent_events"), await n("webhook_events"), await n("enrollments"), await n("suppressions")].join(",");
  };

  it(`answers ${RUNS} bad requests without a 5xx and keeps rejected ones out of the database (seed ${SEED})`, async () => {
    const token = fc.oneof(fc.constant("valid-unsubscribe"), fc.constant("valid-confirm"), nasty.map((s) => encodeURIComponent(s)), fc.base64String({ maxLength: 80 }));
    const path = fc.oneof(
      fc.constant("/subscribe"),
      token.map((x) => `/confirm/${x}`),
      token.map((x) => `/unsubscribe/${x}`),
      token.map((x) => `/unsubscribe/${x}/undo`),
      token.map((x) => `/preferences/${x}`),
      fc.tuple(token, fc.constantFrom("pause", "resume", "timezone", "delete", "data.json")).map(([x, action]) => `/preferences/${x}/${action}`),
      fc.constant("/webhooks/resend"),
    );
    const request = fc.record({
      method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH"),
      path,
      body,
      contentType,
      origin: fc.constantFrom(undefined, "http://localhost", "https://evil.example", "null"),
      svix: fc.option(fc.record({ id: nasty, timestamp: fc.oneof(fc.integer().map(String), nasty), signature: nasty }), { nil: undefined }),
    });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const url = r.path.replace("valid-unsubscribe", tokens.unsubscribe).replace("valid-confirm", tokens.confirm);
        const headers: Record<string, string> = {};
        if (r.contentType) headers["content-type"] = r.contentType;
        if (r.origin) headers.origin = r.origin;
        if (r.svix) Object.assign(headers, { "svix-id": r.svix.id, "svix-timestamp": r.svix.timestamp, "svix-signature": r.svix.signature });
        let payload: BodyInit | undefined;
        if (r.body.kind === "json") payload = JSON.stringify(r.body.value) ?? "null";
        else if (r.body.kind === "form") payload = new URLSearchParams(Object.entries(r.body.value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v) ?? ""])).toString();
        else if (r.body.kind === "raw") payload = r.body.value;
        else if (r.body.kind === "bytes") payload = new Uint8Array(r.body.value);
        else if (r.body.kind === "huge") payload = "x".repeat(r.body.size);
        const safeHeaders = Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
        const before = await counts();
        const res = await app.request(url, { method: r.method, headers: safeHeaders, ...(payload !== undefined && r.method !== "GET" ? { body: payload } : {}) });
        await res.arrayBuffer();
        if (res.status >= 500) throw new Error(`${r.method} ${url} answered ${res.status}`);
        if (res.status >= 400) expect(await counts(), `${r.method} ${url} (${res.status}) left rows behind`).toBe(before);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
