import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atLeast, atMost, below, exactly, figure, figureTable, formatGoal, formatValue, tally, verdictOf, within } from "../../../bench/figures.ts";
import { providerThroughput } from "../../../bench/support.ts";
import { startFakeResend } from "../../support/fake-resend.ts";
import type { FakeResend } from "../../support/fake-resend.ts";

describe("a benchmark figure's verdict", () => {
  it("is computed from the value against the goal", () => {
    expect(verdictOf(figure({ name: "speed-up", value: 20, unit: "×", goal: atLeast(20) }))).toBe("met");
    expect(verdictOf(figure({ name: "speed-up", value: 19.9, unit: "×", goal: atLeast(20) }))).toBe("missed");
    expect(verdictOf(figure({ name: "idle", value: 150, unit: "MiB", goal: atMost(150) }))).toBe("met");
    expect(verdictOf(figure({ name: "p99", value: 2000, unit: "ms", goal: below(2000) }))).toBe("missed");
    expect(verdictOf(figure({ name: "429s", value: 1, unit: "", goal: exactly(0) }))).toBe("missed");
  });

  it("takes a within-goal on both sides", () => {
    expect(verdictOf(figure({ name: "peak growth", value: -10, unit: "%", goal: within(10) }))).toBe("met");
    expect(verdictOf(figure({ name: "peak growth", value: 10.5, unit: "%", goal: within(10) }))).toBe("missed");
    expect(verdictOf(figure({ name: "peak growth", value: -12, unit: "%", goal: within(10) }))).toBe("missed");
  });

  it("says a figure the run did not produce was not measured, and never met", () => {
    expect(verdictOf(figure({ name: "ratio", value: null, unit: "%", goal: atLeast(10) }))).toBe("not measured");
    expect(verdictOf(figure({ name: "ratio", value: Number.NaN, unit: "%", goal: atLeast(10) }))).toBe("not measured");
    expect(formatValue(figure({ name: "ratio", value: null, unit: "%" }))).toBe("not measured");
  });

  it("has no verdict without a goal", () => {
    expect(verdictOf(figure({ name: "p50", value: 3, unit: "ms" }))).toBe("no goal");
  });
});

describe("a figure table", () => {
  it("puts each figure beside its goal, its same-run reference and its verdict", () => {
    const table = figureTable([
      figure({ name: "no limit: emails/s", value: 2_240.4, unit: "emails/s", goal: atLeast(3_000), reference: "29,900 emails in 13.35 s" }),
      figure({ name: "peak growth", value: 4.26, unit: "%", digits: 1, goal: within(10), reference: "596 MiB at 20,000" }),
      figure({ name: "p50", value: 50, unit: "ms" }),
    ]);
    expect(table.split("\n")).toEqual([
      "| Figure | This run | Goal | Reference (same run) | Verdict |",
      "| --- | --- | --- | --- | --- |",
      "| no limit: emails/s | 2,240 emails/s | ≥ 3,000 emails/s | 29,900 emails in 13.35 s | **missed** |",
      "| peak growth | +4.3% | within ±10% | 596 MiB at 20,000 | met |",
      "| p50 | 50 ms | — | — | — |",
    ]);
  });

  it("writes why a goal is what it is after it", () => {
    expect(formatGoal(atLeast(450, "90% of the 500 emails/s ceiling"), "emails/s")).toBe("≥ 450 emails/s (90% of the 500 emails/s ceiling)");
  });

  it("counts the verdicts for the summary", () => {
    const counts = tally([figure({ name: "a", value: 1, unit: "", goal: exactly(1) }), figure({ name: "b", value: 2, unit: "", goal: exactly(1) }), figure({ name: "c", value: null, unit: "", goal: exactly(1) })]);
    expect(counts).toEqual({ met: 1, missed: 1, "not measured": 1, "no goal": 0 });
  });
});

describe("delivery speed as the provider saw it", () => {
  let fake: FakeResend;
  let clock = 0;
  beforeAll(async () => {
    fake = await startFakeResend({ now: () => clock, storeBodies: false });
  });
  afterAll(async () => {
    await fake.close();
  });

  const batch = (n: number) =>
    fetch(`${fake.url}/emails/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer re_test" },
      body: JSON.stringify(Array.from({ length: n }, (_, i) => ({ from: "Lessons <l@example.com>", to: `r${clock}-${i}@example.com`, subject: "Lesson", html: "<p>Hi</p>" }))),
    });

  it("starts the clock at the first request and counts only the emails accepted inside the interval", async () => {
    fake.reset();
    fake.setRateLimit({ requestsPerSecond: 1, window: "fixed" });
    clock = 10_000;
    expect((await batch(100)).status).toBe(200);
    clock = 10_100;
    expect((await batch(100)).status).toBe(429);
    clock = 11_000;
    expect((await batch(100)).status).toBe(200);
    clock = 12_000;
    expect((await batch(40)).status).toBe(200);

    // From the first request (10 s) to the last accepting one (12 s): the 200 emails of the two
    // requests before it; the last request's 40 are at the interval's end, not inside it.
    expect(await providerThroughput(fake.url)).toEqual({ requests: 4, emails: 240, seconds: 2, emailsInInterval: 200, emailsPerSecond: 100 });
  });
});
