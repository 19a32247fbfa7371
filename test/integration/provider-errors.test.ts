import { afterEach, describe, expect, it } from "vitest";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const ATTEMPTS = 4;
const DELAY_MS = 100;

/**
 * How the worker sorts provider failures, seen from the provider's side: what it was sent, when,
 * and what the ledger says afterwards.
 */
describe("provider errors", () => {
  let stack: Stack;
  afterEach(async () => {
    await stack.stop();
  });

  async function signUp(): Promise<string> {
    const res = await fetch(`${stack.baseUrl}/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "errors@example.com" }) });
    expect(res.status).toBe(202);
    const row = await stack.runtime.db.selectFrom("sends").select("id").executeTakeFirstOrThrow();
    return row.id;
  }
  const settled = (id: string) =>
    waitFor(`send ${id} to settle`, async () => {
      const row = await stack.runtime.db.selectFrom("sends").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      return row.status === "sent" || row.status === "failed" ? row : undefined;
    }, 30_000);
  const attemptsAtProvider = (id: string) => stack.fake.requests.filter((r) => r.idempotencyKey === `lessonpost-send-${id}`);

  const start = () => startStack("sqlite", { env: { SEND_ATTEMPTS: String(ATTEMPTS), SEND_RETRY_DELAY_MS: String(DELAY_MS) } });

  it("a 422 is permanent: the row fails with the provider's reason and is never retried", async () => {
    stack = await start();
    stack.fake.setFault(() => Response.json({ statusCode: 422, name: "validation_error", message: "The `to` field has an invalid domain." }, { status: 422 }));
    const id = await signUp();
    const row = await settled(id);
    expect(row.status).toBe("failed");
    expect(row.error).toContain("The `to` field has an invalid domain.");
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS * 8));
    expect(attemptsAtProvider(id)).toHaveLength(1);
  });

  it("5xx and dropped connections are retried with growing, jittered delays, then succeed", async () => {
    stack = await start();
    stack.fake.failNext(1, { status: 503 });
    stack.fake.failNext(1, { status: "disconnect" });
    stack.fake.failNext(1, { status: 500 });
    const id = await signUp();
    const row = await settled(id);
    expect(row.status).toBe("sent");
    const times = attemptsAtProvider(id).map((r) => r.time);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Exponential: the n-th retry waits delay·2^(n-1), less up to 50% jitter.
    gaps.forEach((gap, n) => expect(gap).toBeGreaterThanOrEqual(DELAY_MS * 2 ** n * 0.5 - 20));
    expect(stack.fake.emails).toHaveLength(1);
  });

  it("gives up after a bounded number of attempts and says so on the row", async () => {
    stack = await start();
    stack.fake.setFault(() => Response.json({ statusCode: 500, name: "application_error", message: "Internal server error." }, { status: 500 }));
    const id = await signUp();
    const row = await settled(id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(new RegExp(`^gave up after ${ATTEMPTS} attempts: .*Internal server error`));
    expect(attemptsAtProvider(id)).toHaveLength(ATTEMPTS);
  });

  it("a 429 waits for retry-after and does not spend an attempt", async () => {
    stack = await start();
    stack.fake.failNext(ATTEMPTS + 1, { status: 429, retryAfterSeconds: 1 });
    const id = await signUp();
    const row = await settled(id);
    expect(row.status).toBe("sent");
    const times = attemptsAtProvider(id).map((r) => r.time);
    expect(times).toHaveLength(ATTEMPTS + 2);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(950);
  });
});
