import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newWebhookSecret } from "../../src/send/webhook-delivery.ts";
import { createWebhookSender } from "../../src/send/webhook-sender.ts";

/** The sender against a real socket on loopback: signing, redirects, timeouts, private targets. */

let server: Server;
let base: string;
const hits: string[] = [];
let last: { headers: Record<string, string>; body: string } | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? "");
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      last = { headers: req.headers as Record<string, string>, body };
      if (req.url === "/redirect") res.writeHead(307, { location: `${base}/elsewhere` }).end();
      else if (req.url === "/slow") setTimeout(() => res.writeHead(204).end(), 2_000);
      else if (req.url === "/drip") {
        res.writeHead(200);
        const timer = setInterval(() => res.write("."), 100);
        res.on("close", () => clearInterval(timer));
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const secret = newWebhookSecret();
const message = (path: string) => ({ url: `${base}${path}`, secret, messageId: "evt_1", body: '{"type":"webhook.test","timestamp":"2026-11-28T10:00:00.000Z","data":{}}' });

describe("the webhook sender", () => {
  it("posts a body that the standardwebhooks package verifies with the endpoint's secret", async () => {
    const result = await createWebhookSender({ allowPrivate: true }).send(message("/ok"));
    expect(result).toMatchObject({ ok: true, statusCode: 204, error: null });
    expect(new Webhook(secret).verify(last!.body, last!.headers)).toEqual({ type: "webhook.test", timestamp: "2026-11-28T10:00:00.000Z", data: {} });
    expect(last!.headers["webhook-id"]).toBe("evt_1");
  });

  it("never follows a redirect: a 3xx is a failure that names where it pointed", async () => {
    hits.length = 0;
    const result = await createWebhookSender({ allowPrivate: true }).send(message("/redirect"));
    expect(result).toMatchObject({ ok: false, statusCode: 307 });
    expect(result.error).toContain("not followed");
    expect(hits).toEqual(["/redirect"]);
  });

  it("gives up on a receiver that does not answer in time, or drips its answer past the deadline", async () => {
    const sender = createWebhookSender({ allowPrivate: true, timeoutMs: 300 });
    const slow = await sender.send(message("/slow"));
    expect(slow).toMatchObject({ ok: false, statusCode: null });
    expect(slow.error).toMatch(/within 300 ms/);
    const drip = await sender.send(message("/drip"));
    expect(drip.durationMs).toBeLessThan(1_500);
  });

  it("refuses a loopback target, by name or by address, without WEBHOOKS_ALLOW_PRIVATE_TARGETS", async () => {
    hits.length = 0;
    const sender = createWebhookSender({ allowPrivate: false });
    const byAddress = await sender.send(message("/ok"));
    expect(byAddress).toMatchObject({ ok: false, statusCode: null });
    const byName = await sender.send({ ...message("/ok"), url: `http://localhost:${new URL(base).port}/ok` });
    expect(byName).toMatchObject({ ok: false, statusCode: null });
    expect(byName.error).toMatch(/non-public/);
    expect(hits).toEqual([]);
  });
});
