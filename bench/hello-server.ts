import { serve } from "@hono/node-server";
import { Hono } from "hono";

/**
 * The same-run ceiling for the signup benchmark: Hono on @hono/node-server, the same POST with the
 * same JSON body parsed, a 202 with a small JSON answer, and nothing else (no database, no Redis).
 * Whatever the machine and Node do to HTTP shows here too, so signup is reported as a share of it.
 */
const app = new Hono().post("/subscribe", async (c) => {
  const body = (await c.req.json()) as { email?: unknown };
  return c.json({ ok: typeof body.email === "string" }, 202);
});

const port = Number(process.env.PORT ?? 0);
const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info) => console.log(`ready on ${info.port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
