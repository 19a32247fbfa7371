import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Catalogue } from "../src/content/catalogue.ts";
import { silentLogger } from "../src/log.ts";
import type { Logger } from "../src/log.ts";
import type { Dispatcher } from "../src/queue/dispatcher.ts";
import { BATCH_SIZE, QUEUES, REOFFER_AFTER_MS, TICK_LOCK_KEY, TICK_SCHEDULER_ID, tickJobOptions } from "../src/queue/queues.ts";
import { advanceBroadcasts, BROADCAST_PAGE } from "../src/commands/advance-broadcasts.ts";
import { queueDueEmails } from "../src/commands/queue-due-emails.ts";
import { remindUnconfirmed } from "../src/commands/remind-unconfirmed.ts";
import { rescheduleEnrollments } from "../src/commands/reschedule-enrollments.ts";
import { sendingPausedForTick } from "../src/commands/sending-guard.ts";
import { GUARDED_KINDS } from "../src/domain/sending-guard.ts";
import { scheduleVersion } from "../src/domain/course-plan.ts";
import { pausedCourseSlugs, storedScheduleVersion, storeScheduleVersion } from "../src/store/course-state.ts";
import type { Database } from "../src/store/database.ts";
import { resumeExpiredPauses } from "../src/store/enrollments.ts";
import { findUnqueuedSends } from "../src/store/sends.ts";

export interface TickDeps {
  db: Database;
  catalogue: Catalogue;
  dispatcher: Required<Dispatcher>;
  log: Logger;
  connection: Redis;
  prefix: string;
  tickMs: number;
  courseDaySeconds?: number | undefined;
  /** How long a handed-over row may wait before it is offered to Redis again. */
  reofferAfterMs?: number | undefined;
  /** CONFIRM_REMINDER_HOURS (boot passes it, default 24); unset or 0: no reminders. */
  confirmReminderHours?: number | undefined;
}

export interface TickResult {
  rescheduled: number;
  /** Newsletter ledger rows created this tick. */
  newsletter: number;
  /** Confirmation reminders created this tick. */
  reminders: number;
  queued: number;
  batches: number;
  offered: number;
}

/** Rows per database round trip; a tick keeps going until the due backlog is drained. */
const PAGE = 1000;
/** A tick that runs longer than this hands the rest to the next tick. */
const TICK_BUDGET_MS = 10_000;

/**
 * One scheduler pass: due enrollments become ledger rows, grouped into provider batches; then every
 * row Redis may not hold (never handed over, or lost with a Redis restart) is offered again under
 * its deterministic job id.
 */
export async function runTick(
  deps: Pick<TickDeps, "db" | "catalogue" | "dispatcher" | "courseDaySeconds" | "reofferAfterMs" | "confirmReminderHours"> & Partial<Pick<TickDeps, "log">>,
  now: number,
): Promise<TickResult> {
  const started = Date.now();
  const pausedCourses = await pausedCourseSlugs(deps.db);
  // Every command in this pass sees the tick's one clock.
  const services = { db: deps.db, catalogue: deps.catalogue, courseDaySeconds: deps.courseDaySeconds, now: () => now };
  const result: TickResult = { queued: 0, batches: 0, offered: 0, rescheduled: 0, newsletter: 0, reminders: 0 };
  // The complaint-rate guard (checked here at most once a minute): while it holds, no lesson or
  // newsletter row is made or offered; confirmations and their reminders still are.
  const sendingPaused = await sendingPausedForTick({ ...services, log: deps.log ?? silentLogger });

  await resumeExpiredPauses(deps.db, now);

  // Every course of the catalogue is ticked. After a course edit (or a new COURSE_DAY_SECONDS)
  // each reader of that course has their next email re-timed once: one schedule version per course.
  for (const course of deps.catalogue.courses) {
    const version = await scheduleVersion(course, deps.courseDaySeconds);
    if ((await storedScheduleVersion(deps.db, course.slug)) !== version) {
      result.rescheduled += await rescheduleEnrollments(services, course);
      await storeScheduleVersion(deps.db, course.slug, version, now);
    }
  }

  // One pass over every running course at once: the one-lesson-a-day rule compares a reader's
  // courses, so their due lessons are best decided together.
  const running = deps.catalogue.courses.map((c) => c.slug).filter((slug) => !pausedCourses.includes(slug));
  if (running.length > 0 && !sendingPaused) {
    for (;;) {
      const created = await queueDueEmails(services, { limit: PAGE, batchSize: BATCH_SIZE, courseSlugs: running });
      result.batches += created.batchIds.length;
      result.queued += created.sendIds.length;
      if (created.sendIds.length < PAGE || Date.now() - started > TICK_BUDGET_MS) break;
    }
  }

  while (!sendingPaused) {
    const advanced = await advanceBroadcasts(services, { batchSize: BATCH_SIZE });
    result.newsletter += advanced.rows;
    if (advanced.rows < BROADCAST_PAGE || Date.now() - started > TICK_BUDGET_MS) break;
  }

  // Reminders are born unqueued, so the re-offer pass below hands them to Redis in this same tick.
  for (;;) {
    const reminded = await remindUnconfirmed(services, { afterHours: deps.confirmReminderHours ?? 0 });
    result.reminders += reminded.sendIds.length;
    if (reminded.sendIds.length === 0 || Date.now() - started > TICK_BUDGET_MS) break;
  }

  for (;;) {
    const waiting = await findUnqueuedSends(deps.db, now, deps.reofferAfterMs ?? REOFFER_AFTER_MS, PAGE * 10, pausedCourses, sendingPaused ? GUARDED_KINDS : []);
    const batchIds = [...new Set(waiting.flatMap((r) => (r.batch_id ? [r.batch_id] : [])))];
    const sendIds = waiting.flatMap((r) => (r.batch_id ? [] : [r.id]));
    await deps.dispatcher.enqueueBatches(batchIds);
    await deps.dispatcher.enqueueSends(sendIds);
    result.offered += waiting.length;
    if (waiting.length < PAGE * 10 || Date.now() - started > TICK_BUDGET_MS) break;
  }
  return result;
}

export interface TickWorker {
  worker: Worker;
  close(): Promise<void>;
}

// Deletes the lock only if this process still holds it.
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * The tick runs as a BullMQ job scheduler: one job per interval, whichever worker process takes
 * it. A Redis lock keeps two ticks from overlapping when one runs long; the database's conditional
 * updates and unique ledger keys keep even overlapping ticks from queuing anything twice.
 */
export function createTickWorker(deps: TickDeps): TickWorker {
  const queue = new Queue(QUEUES.tick, { connection: deps.connection, prefix: deps.prefix, defaultJobOptions: tickJobOptions });
  queue.on("error", (error) => deps.log.warn("tick queue connection problem", { error: error.message }));
  const upsert = () => queue.upsertJobScheduler(TICK_SCHEDULER_ID, { every: deps.tickMs }, { name: "tick", opts: tickJobOptions });
  const lockKey = `${deps.prefix}:${TICK_LOCK_KEY}`;

  const worker = new Worker(
    QUEUES.tick,
    async () => {
      const token = crypto.randomUUID();
      const acquired = await deps.connection.set(lockKey, token, "PX", TICK_BUDGET_MS * 3, "NX");
      if (acquired !== "OK") return { skipped: "another tick is running" };
      try {
        const result = await runTick(deps, Date.now());
        if (result.queued + result.offered + result.newsletter + result.reminders > 0) deps.log.info("tick", { ...result });
        return result;
      } finally {
        await deps.connection.eval(RELEASE, 1, lockKey, token);
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, autorun: false },
  );
  worker.on("error", (error) => deps.log.error("tick worker error", { error: error.message }));
  worker.on("failed", (_job, error) => deps.log.error("tick failed", { error: error.message }));

  // Redis may keep nothing on disk: after a restart the scheduler entry is gone, so it is
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
