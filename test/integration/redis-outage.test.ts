import { afterEach, describe, expect, it } from "vitest";
import { freePort, startRedisServer } from "../support/processes.ts";
import { startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * Redis carries work, the database holds facts: a signup made while Redis is down is kept, and
 * its confirmation goes out once Redis is back. Uses a private redis-server so it can be killed.
 */
describe("Redis outage at signup", () => {
  let stack: Stack | undefined;
  let redis: { stop(): Promise<void> } | undefined;
  afterEach(async () => {
    await stack?.stop();
    await redis?.stop();
    stack = undefined;
    redis = undefined;
  });

  it("keeps the signup and sends its confirmation when Redis returns", async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    stack = await startStack("sqlite", { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    await redis.stop();

    const res = await fetch(`${stack.baseUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "patient@example.com" }),
    });
    expect(res.status).toBe(202);
    const send = await stack.runtime.db.selectFrom("sends").selectAll().executeTakeFirstOrThrow();
    expect(send).toMatchObject({ kind: "confirm", status: "queued", enqueued_at: null });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stack.fake.emails).toHaveLength(0);

    redis = await startRedisServer(port);
    const email = await waitFor("the confirmation after Redis came back", () => stack!.fake.emails[0], 30_000);
    expect(email.to).toEqual(["patient@example.com"]);
    expect(email.subject).toMatch(/^Confirm/);
    const settled = await waitFor("the ledger row to settle", async () => {
      const row = await stack!.runtime.db.selectFrom("sends").selectAll().where("id", "=", send.id).executeTakeFirstOrThrow();
      return row.status === "sent" ? row : undefined;
    });
    expect(settled.provider_id).toBe(email.id);
    expect(stack.fake.emails).toHaveLength(1);
  });
});
