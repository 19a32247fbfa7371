import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, ROOT, runEntry } from "../support/processes.ts";
import type { Child } from "../support/processes.ts";
import { deleteKeys, uniquePrefix } from "../support/redis.ts";
import { formPost, waitFor } from "../support/stack.ts";

/**
 * `npm start` as a newcomer runs it: no RESEND_API_KEY, no SECRET_KEY, defaults everywhere (only
 * the port, data paths and Redis prefix are moved aside so the test cannot touch a real install).
 * Every email lands in the outbox, which the browser can read at /outbox.
 */
describe("zero-configuration start", () => {
  let child: Child | undefined;
  let dir: string | undefined;
  const prefix = uniquePrefix("zero");
  afterEach(async () => {
    if (child && child.process.exitCode === null) child.process.kill("SIGKILL");
    await child?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
  });

  it("runs the whole flow against the outbox and says so at start-up", async () => {
    dir = mkdtempSync(join(tmpdir(), "lessonpost-zero-"));
    const port = await freePort();
    child = runEntry("src/main.ts", { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`, OUTBOX_DIR: join(dir, "outbox"), REDIS_PREFIX: prefix });
    const base = `http://127.0.0.1:${port}`;
    await waitFor("the server to listen", () => (child!.output().includes("listening on") ? true : undefined), 20_000);
    expect(child.output()).toContain("RESEND_API_KEY is not set");
    expect(child.output()).toContain("/outbox");
    expect(child.output()).toContain("SECRET_KEY is not set");

    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toEqual({ ok: true, checks: { database: "ok", redis: "ok" } });

    // The service runs from the bundle in dist/; its stylesheets and scripts travel inside it.
    for (const name of ["app.css", "signup.js"]) {
      const asset = await fetch(`${base}/assets/${name}`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).toBe(readFileSync(join(ROOT, "src/http/assets", name), "utf8"));
    }

    await formPost(`${base}/subscribe`, { email: "newcomer@example.com", timezone: "Europe/Lisbon" });
    const confirmId = await waitFor("the confirmation in the outbox", async () => {
      const list = await (await fetch(`${base}/outbox`)).text();
      return list.match(/href="\/outbox\/([\w-]+)">Confirm/)?.[1];
    });
    const detail = await (await fetch(`${base}/outbox/${confirmId}`)).text();
    const confirmPath = detail.match(/http:\/\/localhost:\d+(\/confirm\/[\w.-]+)/)?.[1];
    expect(confirmPath).toBeTruthy();
    const confirmed = await formPost(`${base}${confirmPath}`);
    expect(confirmed.status).toBe(200);

    const lessonId = await waitFor("lesson 1 in the outbox", async () => {
      const list = await (await fetch(`${base}/outbox`)).text();
      const links = [...list.matchAll(/href="\/outbox\/([\w-]+)">/g)].map((m) => m[1]);
      return links.length >= 2 ? links.find((id) => id !== confirmId) : undefined;
    });
    const lessonHtml = await fetch(`${base}/outbox/${lessonId}/html`);
    expect(lessonHtml.headers.get("content-security-policy")).toContain("sandbox");
    expect(await lessonHtml.text()).toContain("/unsubscribe/");

    child.process.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
  });
});
