import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { Queue } from "bullmq";
import { Hono } from "hono";
import type { Redis } from "ioredis";
import { QUEUES } from "../queue/queues.ts";

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
    options: { uiConfig: { boardTitle: "Lessonpost queues" } },
  });
  // strict: false so /admin/queues/ (the board's own <base href>) finds the same page as /admin/queues.
  const app = new Hono({ strict: false }).route(QUEUES_BOARD_PATH, serverAdapter.registerPlugin());
  return {
    app,
    async close() {
      await Promise.all(queues.map((queue) => queue.close()));
    },
  };
}
