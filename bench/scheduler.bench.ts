import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCourse } from "../src/content/load.ts";
import { createProducer } from "../src/queue/producer.ts";
import { openDatabase } from "../src/store/connect.ts";
import { runTick } from "../workers/tick-worker.ts";
import { scheduleVersion } from "../src/domain/course-plan.ts";
import { storeScheduleVersion } from "../src/store/course-state.ts";
import { BENCH_COURSE, benchRedisPrefix, redisKeyStats, round, seedReaders, seedSqliteFast } from "./support.ts";
import { catalogueOf } from "../src/content/catalogue.ts";

/**
 * Scheduler: 1,000,000 enrolled readers, 100,000 of them due. How fast do due rows become queued
 * provider jobs (ledger rows in batches of 100, one BullMQ job per batch), and what does Redis hold
 * under the run's prefix before and after (keys counted and sized one by one, so other clients of
 * the same Redis do not move the figure)? The readers not due should add no key at all.
 */
export interface SchedulerBenchResult {
  engine: string;
  enrolled: number;
  due: number;
  notDue: number;
  seconds: number;
  emailsPerSecond: number;
  jobs: number;
  redisKeysBefore: number;
  redisKeysAfter: number;
  /** Keys after the run, by kind (digits folded): one `<queue>:<n>` hash per job, and the queue's own. */
  redisKeyKinds: Record<string, number>;
  redisBytesBefore: number;
  redisBytesAfter: number;
  redisBytesPerJob: number;
}

export async function runSchedulerBench(options: { databaseUrl?: string; enrolled?: number; due?: number; redisUrl?: string; log?: (s: string) => void } = {}): Promise<SchedulerBenchResult> {
  const log = options.log ?? ((s: string) => console.log(s));
  const enrolled = options.enrolled ?? 1_000_000;
  const due = options.due ?? 100_000;
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const dir = mkdtempSync(join(tmpdir(), "bench-scheduler-"));
  const url = options.databaseUrl ?? `sqlite:${join(dir, "bench.db")}`;
  let db = await openDatabase(url);
  const course = await loadCourse(`content/${BENCH_COURSE}`);
  const prefix = benchRedisPrefix("sched");
  const now = Date.now();
  log(`seeding ${enrolled.toLocaleString()} readers (${due.toLocaleString()} due) in ${url.split(":")[0]}…`);
  const seedStart = performance.now();
  if (url.startsWith("sqlite:")) await seedSqliteFast(url.slice("sqlite:".length), course, { total: enrolled, due, now });
  else await seedReaders(db, course, { total: enrolled, due, now, onProgress: (n) => n % 100_000 === 0 && log(`  ${n.toLocaleString()}`) });
  log(`  seeded in ${round((performance.now() - seedStart) / 1000, 1)} s`);
  // A running deployment's connection has seen its tables grow; open afresh so SQLite's planner has
  // statistics for the million rows just written (connect.ts refreshes them on open and hourly).
  await db.destroy();
  db = await openDatabase(url);

  const producer = createProducer({ redisUrl, prefix, db });
  await producer.ping();
  // Steady state: the once-per-schedule-change re-timing is not part of turning due rows into jobs.
  await storeScheduleVersion(db, course.slug, await scheduleVersion(course, undefined), now);
  const before = await redisKeyStats(redisUrl, prefix);

  const started = performance.now();
  let queued = 0;
  // Ticks until every due reader has a queued job; each tick drains as much as its budget allows.
  while (queued < due) {
    const tickStart = performance.now();
    const result = await runTick({ db, catalogue: catalogueOf([course]), dispatcher: producer }, now);
    log(`  tick: ${result.queued} queued, ${result.offered} offered to Redis in ${round(performance.now() - tickStart)} ms`);
    queued += result.queued;
    if (result.queued === 0 && result.offered === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const jobs = await producer.sendQueue.count();
  const after = await redisKeyStats(redisUrl, prefix);

  await producer.sendQueue.obliterate({ force: true });
  await producer.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  return {
    engine: url.split(":")[0]!,
    enrolled,
    due: queued,
    notDue: enrolled - due,
    seconds: round(seconds, 2),
    emailsPerSecond: round(queued / seconds),
    jobs,
    redisKeysBefore: before.keys,
    redisKeysAfter: after.keys,
    redisKeyKinds: after.byKind,
    redisBytesBefore: before.bytes,
    redisBytesAfter: after.bytes,
    redisBytesPerJob: jobs ? round((after.bytes - before.bytes) / jobs) : 0,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runSchedulerBench({ enrolled: Number(process.env.ENROLLED ?? 1_000_000), due: Number(process.env.DUE ?? 100_000), databaseUrl: process.env.DATABASE_URL });
  console.log(JSON.stringify(result, null, 2));
}
