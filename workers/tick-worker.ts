import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Course } from "../src/content/schema.ts";
import type { Logger } from "../src/log.ts";
import type { Dispatcher } from "../src/queue/dispatcher.ts";
import { QUEUES, REOFFER_AFTER_MS, TICK_SCHEDULER_ID, tickJobOptions } from "../src/queue/queues.ts";
import { queueDueEmails } from "../src/scheduler/due-emails.ts";
import type { Database } from "../src/store/database.ts";
import { findUnqueuedSends } from "../src/store/sends.ts";

export interface TickDeps {
  db: Database;
  course: Course;
  dispatcher: Dispatcher;
  log: Logger;
  connection: Redis;
  prefix: string;
  tickMs: number;
  courseDaySeconds?: number | undefined;
  /** How long a handed-over row may wait before it is offered to Redis again. */
  reofferAfterMs?: number;
}

export interface TickResult {
  queued: number;
  reoffered: number;
}

const BATCH = 1000;

/**
 * One scheduler pass: due enrollments become ledger rows, and every row Redis may not hold
 * (never handed over, or lost with a Redis restart) is offered again under its deterministic job id.
 */
export async function runTick(deps: Omit<TickDeps, "connection" | "prefix" | "tickMs">, now: number): Promise<TickResult> {
  const created = await queueDueEmails(deps.db, deps.course, now, { daySeconds: deps.courseDaySeconds, limit: BATCH });
  const pending = await findUnqueuedSends(deps.db, now, deps.reofferAfterMs ?? REOFFER_AFTER_MS, BATCH);
  const ids = [...new Set([...created, ...pending])];
  await deps.dispatcher.enqueueSends(ids);
  return { queued: created.length, reoffered: ids.length - created.length };
}

export interface TickWorker {
  worker: Worker;
  close(): Promise<void>;
}

/**
 * The tick runs as a BullMQ job scheduler, so with many worker processes exactly one of them
 * handles each tick (concurrency 1 here, one scheduled job per interval in Redis).
 */
export function createTickWorker(deps: TickDeps): TickWorker {
  const queue = new Queue(QUEUES.tick, { connection: deps.connection, prefix: deps.prefix, defaultJobOptions: tickJobOptions });
  queue.on("error", (error) => deps.log.warn("tick queue connection problem", { error: error.message }));
  const upsert = () => queue.upsertJobScheduler(TICK_SCHEDULER_ID, { every: deps.tickMs }, { name: "tick", opts: tickJobOptions });

  const worker = new Worker(
    QUEUES.tick,
    async () => {
      const result = await runTick(deps, Date.now());
      if (result.queued + result.reoffered > 0) deps.log.info("tick", { ...result });
      return result;
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, autorun: false },
  );
  worker.on("error", (error) => deps.log.error("tick worker error", { error: error.message }));
  worker.on("failed", (_job, error) => deps.log.error("tick failed", { error: error.message }));

  // Redis here may keep nothing on disk: after a restart the scheduler entry is gone, so it is
  // re-declared whenever the connection comes back (upsert is idempotent).
  const onReady = () => void upsert().catch((error: Error) => deps.log.warn("could not declare tick scheduler", { error: error.message }));
  deps.connection.on("ready", onReady);
  onReady();

  return {
    worker,
    async close() {
      deps.connection.off("ready", onReady);
      await worker.close();
      await queue.close();
    },
  };
}
