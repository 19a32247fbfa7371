import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { registerWebhook } from "../../src/commands/webhook-endpoints.ts";
import { emit } from "../../src/commands/emit-event.ts";
import { silentLogger } from "../../src/log.ts";
import { workerConnection } from "../../src/queue/redis.ts";
import { createWebhookSender } from "../../src/send/webhook-sender.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { catalogueOf } from "../../src/content/catalogue.ts";
import { loadCourse } from "../../src/content/load.ts";
import { createWebhookWorker } from "../../workers/webhook-worker.ts";
import type { WebhookWorker } from "../../workers/webhook-worker.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../support/redis.ts";
import { formPost, linkPath, startStack, TEST_SECRET, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * Acceptance 2 of issue #13: a receiver on loopback verifies every delivery with the
 * standardwebhooks package and sees each reader's subscriber.confirmed, lesson.sent (each lesson)
 * and course.completed exactly once and in order, and a retry with the same webhook-id after it
 * answers 500 once.
 */

const ADMIN = "admin-token-for-webhook-tests-0123";
const CONTENT_DIR = "test/fixtures/content/minimal";

interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Which delivery the receiver fails (500) the first time it sees it. */
  failOnce: (payload: { type: string }) => boolean;
  /** Set: every request gets this answer (a receiver that is down). */
  always?: number | undefined;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let failed = false;
  const receiver: Receiver = { url: "", received, failOnce: () => false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const payload = JSON.parse(body) as { type: string };
      const answered = receiver.always ?? (!failed && receiver.failOnce(payload) ? 500 : 204);
      if (answered === 500) failed = true;
      received.push({ id: String(req.headers["webhook-id"]), headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

describe.each(ENGINES)("outgoing webhooks (%s)", (engine) => {
  let stack: Stack | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await stack?.stop();
    await receiver?.close();
    stack = undefined;
    receiver = undefined;
  });

  it("delivers each reader's confirmed, lessons and completed exactly once, in order, signed, and retries a 500 under the same webhook-id", async () => {
    receiver = await startReceiver();
    stack = await startStack(engine, { env: { CONTENT_DIR, COURSE_DAY_SECONDS: "0.25", TICK_MS: "100", ADMIN_TOKEN: ADMIN, WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true" } });
    const { baseUrl, fake, runtime } = stack;
    const lessons = runtime.catalogue.primary.lessons.map((l) => l.slug);
    // The first lesson.sent the receiver sees is answered 500 once: the reader's later events must wait for its retry.
    receiver.failOnce = (payload) => payload.type === "lesson.sent";

    const registered = await fetch(`${baseUrl}/admin/api/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ url: receiver.url, events: ["subscriber.confirmed", "lesson.sent", "course.completed"] }),
    });
    expect(registered.status).toBe(201);
    const { id: endpointId, secret } = (await registered.json()) as { id: string; secret: string };
    const verifier = new Webhook(secret);

    const readers = ["ann@example.com", "bob@example.com"];
    for (const email of readers) {
      const res = await fetch(`${baseUrl}/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, timezone: "UTC" }) });
      expect(res.status).toBe(202);
    }
    for (const email of readers) {
      const confirmation = await waitFor(`the confirmation to ${email}`, () => fake.emails.find((e) => e.to[0] === email));
      const res = await formPost(`${baseUrl}${linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/)}`);
      expect(res.status).toBe(200);
    }

    const accepted = () => receiver!.received.filter((r) => r.answered === 204);
    await waitFor(
      "every reader's course.completed",
      () => (accepted().filter((r) => (JSON.parse(r.body) as { type: string }).type === "course.completed").length === readers.length ? true : undefined),
      45_000,
    );

    // Every delivery, the refused one included, is signed with the endpoint's secret.
    for (const r of receiver.received) {
      expect(() => verifier.verify(r.body, { "webhook-id": r.id, "webhook-timestamp": String(r.headers["webhook-timestamp"]), "webhook-signature": String(r.headers["webhook-signature"]) })).not.toThrow();
    }
    expect(() => verifier.verify(receiver!.received[0]!.body.replace("}", ' }'), { "webhook-id": receiver!.received[0]!.id, "webhook-timestamp": String(receiver!.received[0]!.headers["webhook-timestamp"]), "webhook-signature": String(receiver!.received[0]!.headers["webhook-signature"]) })).toThrow();

    // The 500 was retried under the same webhook-id, and then accepted.
    const refused = receiver.received.filter((r) => r.answered === 500);
    expect(refused).toHaveLength(1);
    const retried = receiver.received.filter((r) => r.id === refused[0]!.id);
    expect(retried.map((r) => r.answered)).toEqual([500, 204]);
    expect(retried[1]!.body).toBe(retried[0]!.body);

    // Exactly once each (no webhook-id accepted twice), in order per reader.
    const ids = accepted().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const byReader = new Map<string, string[]>();
    for (const r of accepted()) {
      const payload = JSON.parse(r.body) as { type: string; timestamp: string; data: { email?: string; lesson?: string; course?: string } };
      expect(payload.data.course === undefined || payload.data.course === "fixture-course").toBe(true);
      const label = payload.type === "lesson.sent" ? `lesson.sent:${payload.data.lesson}` : payload.type;
      byReader.set(payload.data.email!, [...(byReader.get(payload.data.email!) ?? []), label]);
    }
    const expected = ["subscriber.confirmed", ...lessons.map((slug) => `lesson.sent:${slug}`), "course.completed"];
    expect(Object.fromEntries(byReader)).toEqual(Object.fromEntries(readers.map((email) => [email, expected])));

    // The delivery log shows the refusal and the success, with codes and durations.
    const log = (await (await fetch(`${baseUrl}/admin/api/webhooks/${endpointId}/deliveries`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      items: { eventId: string; status: string; attempts: number; responseCode: number; tries?: { responseCode: number; durationMs: number }[] }[];
    };
    expect(log.items).toHaveLength(readers.length * expected.length);
    expect(log.items.every((d) => d.status === "delivered" && d.responseCode === 204)).toBe(true);
    const twice = log.items.find((d) => d.eventId === refused[0]!.id)!;
    expect(twice.attempts).toBe(2);
    expect(twice.tries!.map((t) => t.responseCode)).toEqual([500, 204]);
  }, 90_000);
});

describe.each(ENGINES)("the webhook worker on its own (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let worker: WebhookWorker | undefined;
  let receiver: Receiver | undefined;
  let prefix: string;
  const connection = () => workerConnection(REDIS_URL);
  let redis: ReturnType<typeof connection> | undefined;

  afterEach(async () => {
    await worker?.close();
    redis?.disconnect();
    await receiver?.close();
    await db.destroy();
    await testDb.drop();
    await deleteKeys(prefix);
    worker = undefined;
    receiver = undefined;
  });

  async function setUp(answer: number, options: { reofferAfterMs?: number; disableAfterMs?: number } = {}) {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    prefix = uniquePrefix(engine);
    receiver = await startReceiver();
    const fixed = receiver;
    // Every answer is `answer`: a receiver that is down, or one that is fine.
    fixed.always = answer;
    const services = { db, log: silentLogger, now: Date.now, secretKey: TEST_SECRET, appUrl: "https://x.test", catalogue: catalogueOf([await loadCourse(CONTENT_DIR)]) };
    const { endpoint } = await registerWebhook(services, { allowPrivateTargets: true }, { url: fixed.url, events: ["sending.paused"] });
    redis = connection();
    worker = createWebhookWorker({
      db,
      log: silentLogger,
      connection: redis,
      prefix,
      sender: createWebhookSender({ allowPrivate: true, timeoutMs: 2_000 }),
      secretKey: TEST_SECRET,
      offerEveryMs: 50,
      reofferAfterMs: options.reofferAfterMs ?? 60_000,
      retryDelaysMs: [50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50],
      disableAfterMs: options.disableAfterMs ?? 24 * 3600_000,
    });
    return { services, endpoint };
  }

  it("disables an endpoint that has failed for the whole window and fails what it had pending, shown with the reason", async () => {
    const { services, endpoint } = await setUp(500, { disableAfterMs: 400 });
    const received = receiver!.received;
    await emit(services, { type: "sending.paused", data: { reason: "complaint rate 0.31%" } });
    await emit(services, { type: "sending.paused", data: { reason: "again" } });
    void worker!.worker.run();
    const disabled = await waitFor("the endpoint to be disabled", async () => {
      const row = await db.selectFrom("webhook_endpoints").selectAll().where("id", "=", endpoint.id).executeTakeFirstOrThrow();
      return row.enabled === 0 ? row : undefined;
    });
    expect(disabled.disabled_reason).toMatch(/^failing since .* \(24 h\)$/);
    const deliveries = await db.selectFrom("webhook_deliveries").select(["status", "attempts"]).execute();
    expect(deliveries.map((d) => d.status)).toEqual(["failed", "failed"]);
    expect(received.length).toBeGreaterThanOrEqual(2);
    // Nothing is delivered to a disabled endpoint, and a new event is not even queued for it.
    expect(await emit(services, { type: "sending.paused", data: {} })).toEqual({ deliveryIds: [] });
  });

  it("offers again a delivery that Redis lost, once it has waited REOFFER_AFTER_MS", async () => {
    const { services } = await setUp(204, { reofferAfterMs: 300 });
    const recorded = await emit(services, { type: "sending.paused", data: { reason: "test" } });
    // As if handed to Redis just now, and the job then lost with a restart.
    await db.updateTable("webhook_deliveries").set({ enqueued_at: Date.now() }).execute();
    void worker!.worker.run();
    const delivered = await waitFor("the delivery to be recorded as delivered", async () => {
      const rows = await db.selectFrom("webhook_deliveries").select(["id", "status"]).execute();
      return rows.every((r) => r.status === "delivered") ? rows : undefined;
    });
    expect(delivered).toEqual([{ id: recorded!.deliveryIds[0], status: "delivered" }]);
    expect(receiver!.received).toHaveLength(1);
  });
});
