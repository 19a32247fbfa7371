import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCourse } from "../src/content/load.ts";
import { scheduleVersion } from "../src/domain/course-plan.ts";
import { openDatabase } from "../src/store/connect.ts";
import { storeScheduleVersion } from "../src/store/course-state.ts";
import { BENCH_COURSE, benchContentDir, benchRedisPrefix, cpuMs, deleteRedisKeys, providerThroughput, seedSqliteFast, startProcess } from "./support.ts";

/**
 * Delivery: N readers with a lesson due now, one worker process (`npm run start:workers`), the
 * fake Resend in its own process with a request limit and latency. Emails per second as the
 * provider saw them: the clock runs from the arrival of the first request to the arrival of the
 * last one that added emails, and the emails counted are those of the requests inside that
 * interval (bench/support.ts providerThroughput). Also: 429s seen, duplicates, the worker's peak memory.
 */
export interface DeliveryBenchResult {
  emails: number;
  providerRequestsPerSecond: number | null;
  latencyMs: number;
  /** From the first provider request to the last accepting one. */
  seconds: number;
  /** Emails accepted by the requests that arrived in that interval. */
  emailsInInterval: number;
  emailsPerSecond: number;
  requests: number;
  duplicates: number;
  rateLimited: number;
  workerPeakMiB: number;
  /**
   * The worker's CPU time (user + system) per 1,000 emails, from the provider's first accepted
   * email to the last: less noisy than emails/s on a shared machine, and it leaves out start-up.
   */
  workerCpuMsPer1000: number;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const API_KEY = "re_bench_key";

export async function runDeliveryBench(options: { emails: number; rate: number | null; latencyMs: number; concurrency?: number; log?: (s: string) => void }): Promise<DeliveryBenchResult> {
  const log = options.log ?? ((s: string) => console.log(s));
  const dir = mkdtempSync(join(tmpdir(), "bench-delivery-"));
  const path = join(dir, "bench.db");
  const db = await openDatabase(`sqlite:${path}`);
  const contentDir = benchContentDir(dir);
  const course = await loadCourse(join(contentDir, BENCH_COURSE));
  const now = Date.now();
  await storeScheduleVersion(db, course.slug, await scheduleVersion(course, undefined), now);
  await db.destroy();
  await seedSqliteFast(path, course, { total: options.emails, due: options.emails, now });

  // The request log stays on: the throughput is read from it (a few hundred small records).
  const fakeArgs = ["--port", "0", "--latency", String(options.latencyMs), "--api-key", API_KEY, "--no-bodies", ...(options.rate ? ["--rate", String(options.rate)] : [])];
  const fake = await startProcess("test/support/fake-resend-cli.ts", fakeArgs, {}, /http:\/\/127\.0\.0\.1:\d+/);
  const fakeUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(fake.output())![0];
  const prefix = benchRedisPrefix("delivery");
  log(`delivery: ${options.emails} emails, provider limit ${options.rate ?? "none"} req/s, latency ${options.latencyMs} ms`);
  const worker = await startProcess(
    "src/main-workers.ts",
    [],
    {
      NODE_ENV: "production",
      CONTENT_DIR: contentDir,
      DATABASE_URL: `sqlite:${path}`,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      RESEND_API_KEY: API_KEY,
      RESEND_BASE_URL: fakeUrl,
      RESEND_RATE_LIMIT: String(options.rate ?? 10_000),
      SEND_CONCURRENCY: String(options.concurrency ?? 8),
      SECRET_KEY: "benchmark-secret-key-0123456789abcdef",
      APP_URL: "https://lessons.example.test",
      TICK_MS: "200",
      LOG_LEVEL: "warn",
    },
    /.*/,
  );

  const count = async () => ((await (await fetch(`${fakeUrl}/_fake/emails?since=1000000000&bodies=0`)).json()) as { total: number }).total;
  const deadline = Date.now() + 10 * 60_000;
  // The CPU clock starts once the provider has accepted its first emails, so start-up is left out.
  let cpuStart: { ms: number; emails: number } | undefined;
  for (;;) {
    const n = await count();
    if (cpuStart === undefined && n > 0) cpuStart = { ms: cpuMs(worker.child.pid!), emails: n };
    if (n >= options.emails) break;
    if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`only ${n} of ${options.emails} emails after 10 minutes`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const cpuEnd = { ms: cpuMs(worker.child.pid!), emails: await count() };
  const throughput = await providerThroughput(fakeUrl);
  const stats = (await (await fetch(`${fakeUrl}/_fake/stats`)).json()) as { requests: number; byOutcome: Record<string, number>; duplicates: number };
  const peak = worker.peakMiB();
  await worker.stop();
  await fake.stop();
  await deleteRedisKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
  if (stats.duplicates > 0) throw new Error(`the provider saw ${stats.duplicates} duplicate emails`);
  return {
    emails: options.emails,
    providerRequestsPerSecond: options.rate,
    latencyMs: options.latencyMs,
    seconds: throughput.seconds,
    emailsInInterval: throughput.emailsInInterval,
    emailsPerSecond: throughput.emailsPerSecond,
    requests: stats.requests,
    duplicates: stats.duplicates,
    rateLimited: stats.byOutcome.rate_limited ?? 0,
    workerPeakMiB: peak,
    workerCpuMsPer1000: Math.round(((cpuEnd.ms - cpuStart!.ms) / (cpuEnd.emails - cpuStart!.emails)) * 1000),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runDeliveryBench({ emails: Number(process.env.EMAILS ?? 10_000), rate: process.env.RATE ? Number(process.env.RATE) : 5, latencyMs: Number(process.env.LATENCY ?? 50) })));
}
