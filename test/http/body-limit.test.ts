import { serve } from "@hono/node-server";
import type { ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smallBodyLimit } from "../../src/http/body-limit.ts";

// Over a real socket: Content-Length and chunked transfer are what Node's HTTP server sees, which
// app.request() (a Request object with no length header) cannot show.
const LIMIT = 1024;
let server: ServerType;
let base: string;

beforeAll(async () => {
  const app = new Hono();
  app.use(
    smallBodyLimit(LIMIT, () => {
      throw new Error("too large");
    }),
  );
  app.onError((error, c) => c.text(error.message, error.message === "too large" ? 413 : 500));
  app.all("/echo", async (c) => c.text(`${c.req.method} ${(await c.req.text()).length}`));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** A body sent in chunks with no Content-Length, as a client streaming an upload sends it. */
function chunked(totalBytes: number): RequestInit {
  const chunk = new TextEncoder().encode("x".repeat(256));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      const piece = chunk.subarray(0, Math.min(chunk.length, totalBytes - sent));
      sent += piece.length;
      controller.enqueue(piece);
    },
  });
  return { method: "POST", body, duplex: "half" } as RequestInit;
}

describe("smallBodyLimit", () => {
  it("passes a body whose declared length is within the limit, whole", async () => {
    const res = await fetch(`${base}/echo`, { method: "POST", body: "y".repeat(LIMIT) });
    expect(await res.text()).toBe(`POST ${LIMIT}`);
    expect(res.status).toBe(200);
  });

  it("refuses a body whose declared length is over the limit before reading it", async () => {
    const res = await fetch(`${base}/echo`, { method: "POST", body: "y".repeat(LIMIT + 1) });
    expect(res.status).toBe(413);
  });

  it("counts a chunked body: passes it within the limit and refuses it past the limit", async () => {
    const small = await fetch(`${base}/echo`, chunked(LIMIT));
    expect(await small.text()).toBe(`POST ${LIMIT}`);
    const large = await fetch(`${base}/echo`, chunked(LIMIT * 4));
    expect(large.status).toBe(413);
  });

  it("lets requests without a body through", async () => {
    const res = await fetch(`${base}/echo`);
    expect(await res.text()).toBe("GET 0");
  });
});
