import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { Queue } from "bullmq";
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { QUEUES } from "../queue/queues.ts";

const SYSTEM_FONTS = { "font-sans": "system-ui, sans-serif", "font-mono": "ui-monospace, monospace" };

/**
 * bull-board's page template (not configurable) links a Google Fonts stylesheet, which our CSP
 * blocks (a console error) and which would tell Google who opens the console. Its entry page is
 * rewritten here: that link goes, and the page gets an h1 (the board's React UI has none; it sits
 * outside the root the UI renders into, so it stays, visually hidden).
 */
export function withoutThirdParties(page: string): string {
  return page
    .replace(/<link[^>]*href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^"]*"[^>]*>\s*/g, "")
    .replace(/<body([^>]*)>/, '<body$1><h1 style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap">Lessonpost queues</h1>');
}

const ownPageOnly: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.get("content-type")?.startsWith("text/html")) return;
  const page = withoutThirdParties(await c.res.text());
  const headers = new Headers(c.res.headers);
  headers.delete("content-length");
  c.res = new Response(page, { status: c.res.status, headers });
};

/** Where the admin router serves the board; bull-board writes it into its page as <base href>. */
export const QUEUES_BOARD_PATH = "/admin/queues";

export interface QueuesBoard {
  /** Serves every path under /admin/queues; it is handed full, unrewritten requests. */
  app: Hono;
  close(): Promise<void>;
}

/**
 * bull-board over the send and tick queues. Node-only (it reads its UI from node_modules and
 * renders it with ejs), so it is built here and handed to the web-standard app as a dependency;
 * the admin router mounts it behind the login. Its queues share the producer's fail-fast
 * connection: while Redis is down the board says so instead of hanging.
 */
export function createQueuesBoard(options: { connection: Redis; prefix: string }): QueuesBoard {
  const queues = [QUEUES.send, QUEUES.tick].map((name) => {
    const queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
    queue.on("error", () => {});
    return queue;
  });
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: "Lessonpost queues",
        // The docs icon links to another site and is one of the board's unnamed buttons.
        hideDocsLink: true,
        // Fonts the page has without loading any: the board's IBM Plex comes from Google, which we don't load.
        theme: { light: SYSTEM_FONTS, dark: SYSTEM_FONTS },
      },
    },
  });
  // strict: false so /admin/queues/ (the board's own <base href>) finds the same page as /admin/queues.
  const app = new Hono({ strict: false });
  app.use(`${QUEUES_BOARD_PATH}/*`, ownPageOnly);
  app.use(QUEUES_BOARD_PATH, ownPageOnly);
  app.route(QUEUES_BOARD_PATH, serverAdapter.registerPlugin());
  return {
    app,
    async close() {
      await Promise.all(queues.map((queue) => queue.close()));
    },
  };
}
