import { afterEach, describe, expect, it } from "vitest";
import { createQueuesBoard } from "../../src/http/queues-board.ts";
import type { QueuesBoard } from "../../src/http/queues-board.ts";
import type { AppDeps } from "../../src/app.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { makeTestProducer } from "../support/real-producer.ts";
import type { TestProducer } from "../support/real-producer.ts";
import { uniquePrefix } from "../support/redis.ts";

/**
 * The admin console over the real queue: job counts read from Redis and the bull-board dashboard.
 * The console's own pages run without Redis in test/routes/admin-dashboard.test.ts.
 */

const ADMIN = "admin-token-for-tests-0123456789";
/** Wed 10 Dec 2025, 15:00 UTC. */
const NOW = Date.UTC(2025, 11, 10, 15, 0);

let t: TestApp | undefined;
let producer: TestProducer | undefined;
let board: QueuesBoard | undefined;
afterEach(async () => {
  await board?.close();
  await producer?.close();
  await t?.close();
  board = undefined;
  producer = undefined;
  t = undefined;
});

/** The app over the real producer, logged in; `overrides` may use the producer (its queue, its connection). */
async function setup(overrides: (producer: TestProducer) => Partial<AppDeps>) {
  t = await makeTestApp();
  t.clock.now = NOW;
  producer = makeTestProducer(t.db);
  const app = appFor({ ...t, dispatcher: producer }, { adminToken: ADMIN, ...overrides(producer) });
  const login = await app.request("/admin/login", form({ secret: ADMIN }));
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  return {
    producer,
    app,
    cookie,
    page: (path: string) => app.request(path, { headers: { cookie, accept: "text/html" } }),
    api: async <T>(path: string) => {
      const response = await app.request(path, { headers: { authorization: `Bearer ${ADMIN}` } });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

describe("queue health from Redis", () => {
  it("shows the send queue's job counts on the dashboard and in the API", async () => {
    const s = await setup((p) => ({ queueStats: () => p.sendQueue.getJobCounts() }));
    await s.producer.enqueueSends([crypto.randomUUID()]);
    const html = await (await s.page("/admin")).text();
    expect(html).toContain('data-queue="available"');
    expect(html).toContain("<th scope=\"row\">waiting</th><td>1</td>");
    expect((await s.api<{ queue: Record<string, number> | null }>("/admin/api/stats")).body.queue).toMatchObject({ waiting: 1 });
  });
});

describe("queues board", () => {
  it("serves bull-board behind the login, with a CSP that lets its page load", async () => {
    const s = await setup((p) => {
      board = createQueuesBoard({ connection: p.connection, prefix: uniquePrefix("board") });
      return { queuesBoard: board.app };
    });
    expect((await s.app.request("/admin/queues", { headers: { accept: "text/html" } })).status).toBe(302);
    expect((await s.app.request("/admin/queues/api/queues")).status).toBe(401);

    const entry = await s.page("/admin/queues");
    expect(entry.status).toBe(200);
    const html = await entry.text();
    expect(html).toContain('<base href="/admin/queues/"');
    expect(html).toContain("Lessonpost queues");
    const csp = entry.headers.get("content-security-policy")!;
    expect(csp).toContain("base-uri 'self'");
    expect(csp).toContain("script-src 'self'");
    expect((await s.page("/admin/queues/")).status).toBe(200);

    const script = /src="(static\/js\/main[^"]+)"/.exec(html)![1]!;
    const asset = await s.page(`/admin/queues/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");

    const api = await s.page("/admin/queues/api/queues?activeQueue=send&page=1&jobsPerPage=10");
    expect(api.status).toBe(200);
    const queues = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(queues).toEqual(["send", "tick"]);
    // Its own write endpoints need the same-origin proof like every other cookie write.
    const pause = await s.app.request("/admin/queues/api/queues/send/pause", { method: "PUT", headers: { cookie: s.cookie, "content-type": "application/json" }, body: "{}" });
    expect(pause.status).toBe(403);
  });
});
