import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCourse } from "../src/content/load.ts";
import { scheduleVersion } from "../src/domain/course-plan.ts";
import { openDatabase } from "../src/store/connect.ts";
import { storeScheduleVersion } from "../src/store/course-state.ts";
import {
  BENCH_COURSE,
  benchContentDir,
  benchRedisPrefix,
  cpuMs,
  deleteRedisKeys,
  freePort,
  providerThroughput,
  round,
  seedSqliteFast,
  startProcess,
  treeMemory,
} from "./support.ts";

/**
 * Memory of `npm start` (HTTP, send worker and tick in one process), on SQLite (the default):
 *
 * - idle: resident memory summed over the service's process tree, 5 s after /healthz first answers;
 * - peak while a newsletter goes to N confirmed readers (seeded straight into the database), sampled
 *   every 50 ms from the admin API call until the fake Resend (no rate limit) has accepted all N;
 *   with the delivery rate as the provider saw it (bench/support.ts providerThroughput).
 *
 * The service is started through startProcess, the same command `npm start` runs (node with the start
 * script's flags, no npm wrapper in between; if one ever appears in the tree it is reported apart).
 * BENCH_MEMORY_READERS=20000,50000,100000 sets the audiences.
 */
export interface MemoryBenchRun {
  readers: number;
  /** The processes summed at idle (the service's node process, and any it starts), each with its RSS. */
  idleProcesses: { name: string; rssMiB: number }[];
  /** Resident memory summed over the tree, 5 s after /healthz answered. */
  idleMiB: number;
  idleAnonMiB: number;
  /** Highest sum seen by the 50 ms sampler while the newsletter went out. */
  peakMiB: number;
  peakAnonMiB: number;
  /** The kernel's own high-water mark (VmHWM) of the service's processes, summed: catches a peak between samples. */
  highWaterMiB: number;
  samples: number;
  /** An npm wrapper's RSS, if the service was started through npm (0: it was not). */
  wrapperMiB: number;
  /** From the admin API call until the provider had accepted every email. */
  sendSeconds: number;
  /** CPU time (user + system) the service spent from the admin API call to the last acceptance, per 1,000 emails. */
  cpuMsPerThousand: number;
  /** From the admin API call to the provider's first request. */
  firstEmailSeconds: number;
  emailsPerSecond: number;
  emailsInInterval: number;
  deliverySeconds: number;
  requests: number;
  duplicates: number;
  seedSeconds: number;
}

export interface MemoryBenchResult {
  engine: "sqlite";
  providerLatencyMs: number;
  sampleEveryMs: number;
  idleWaitMs: number;
  runs: MemoryBenchRun[];
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const API_KEY = "re_bench_key";
const ADMIN = "benchmark-admin-token-0123456789";
const SAMPLE_EVERY_MS = 50;
const IDLE_WAIT_MS = 5_000;
const PROVIDER_LATENCY_MS = 20;
const MiB = (kib: number) => round(kib / 1024);

const NEWSLETTER = `Hello,

This is the monthly letter: what changed in the course, two questions readers asked, and what comes next.

## What changed

The second lesson has a new exercise. It takes ten minutes and works best done together, on paper.

## Your questions

**Is it too late to start?** No. The lessons arrive on your schedule, whenever you joined.

**Can I share it?** Forward this email, or send the signup page; please do not share your own links.

Thank you for reading.
`;

/** "node … src/main.ts" or "esbuild": enough to tell the processes of the tree apart. */
function shortName(command: string): string {
  const [exe = "", ...args] = command.split(" ");
  const name = exe.split("/").at(-1) ?? exe;
  const script = args.find((a) => /\.(ts|js|mjs)$/.test(a));
  return script ? `${name} ${script}` : name;
}

export function memoryReadersFromEnv(): number[] {
  const raw = process.env.BENCH_MEMORY_READERS ?? "20000,50000,100000";
  const readers = raw.split(",").map((s) => Number(s.trim()));
  if (readers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_MEMORY_READERS must be whole numbers separated by commas, got ${JSON.stringify(raw)}`);
  return readers;
}

async function runOnce(readers: number, log: (s: string) => void): Promise<MemoryBenchRun> {
  const dir = mkdtempSync(join(tmpdir(), "bench-memory-"));
  const path = join(dir, "bench.db");
  const contentDir = benchContentDir(dir);
  const course = await loadCourse(join(contentDir, BENCH_COURSE));
  const now = Date.now();
  const seedStarted = performance.now();
  const db = await openDatabase(`sqlite:${path}`);
  // As in a running deployment: the schedule is stored, so start-up does not re-time every enrollment.
  await storeScheduleVersion(db, course.slug, await scheduleVersion(course, undefined), now);
  await db.destroy();
  // Confirmed, enrolled readers, none with a lesson due: the newsletter is the only thing to send.
  await seedSqliteFast(path, course, { total: readers, due: 0, now });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const fake = await startProcess("test/support/fake-resend-cli.ts", ["--port", "0", "--latency", String(PROVIDER_LATENCY_MS), "--api-key", API_KEY, "--no-bodies"], {}, /http:\/\/127\.0\.0\.1:\d+/);
  const fakeUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(fake.output())![0];
  const prefix = benchRedisPrefix("memory");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let service: Awaited<ReturnType<typeof startProcess>> | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    service = await startProcess(
      "src/main.ts",
      [],
      {
        NODE_ENV: "production",
        CONTENT_DIR: contentDir,
        PORT: String(port),
        APP_URL: base,
        DATABASE_URL: `sqlite:${path}`,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        RESEND_API_KEY: API_KEY,
        RESEND_BASE_URL: fakeUrl,
        // The fake has no limit; the sender's own pacing is set as high as the config allows.
        RESEND_RATE_LIMIT: "10000",
        SECRET_KEY: "benchmark-secret-key-0123456789abcdef",
        ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: "warn",
        ...(process.env.BENCH_EXTRA_ENV ? (JSON.parse(process.env.BENCH_EXTRA_ENV) as Record<string, string>) : {}),
      },
      /(?:)/,
    );
    const pid = service.child.pid!;
    // The service logs at warn level: wait for /healthz instead of a log line.
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok).catch(() => false)) break;
      if (service.child.exitCode !== null) throw new Error(`the service exited:\n${service.output()}`);
      if (i > 300) throw new Error(`/healthz did not answer in 30 s:\n${service.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
    const idle = treeMemory(pid);

    let peak = idle.rssKiB;
    let peakAnon = idle.anonKiB;
    let samples = 0;
    let wrapperKiB = idle.wrapper.reduce((n, p) => n + p.rssKiB, 0);
    const sample = () => {
      const current = treeMemory(pid);
      samples++;
      peak = Math.max(peak, current.rssKiB);
      peakAnon = Math.max(peakAnon, current.anonKiB);
      wrapperKiB = Math.max(wrapperKiB, current.wrapper.reduce((n, p) => n + p.rssKiB, 0));
      return current;
    };
    sampler = setInterval(sample, SAMPLE_EVERY_MS);

    log(`  ${readers.toLocaleString("en-US")} readers: idle ${MiB(idle.rssKiB)} MiB; newsletter…`);
    const triggered = Date.now();
    const cpuBefore = cpuMs(pid);
    const res = await fetch(`${base}/admin/api/newsletters`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ course: course.slug, subject: "News from the course", preview: "What changed, and your questions", markdown: NEWSLETTER, audience: "all" }),
    });
    if (res.status !== 201) throw new Error(`the newsletter was answered ${res.status}: ${await res.text()}`);

    const count = async () => ((await (await fetch(`${fakeUrl}/_fake/emails?since=1000000000&bodies=0`)).json()) as { total: number }).total;
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const n = await count();
      if (n >= readers) break;
      if (service.child.exitCode !== null) throw new Error(`the service exited:\n${service.output()}`);
      if (Date.now() > deadline) throw new Error(`only ${n} of ${readers} emails after 15 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const sendSeconds = (Date.now() - triggered) / 1000;
    const sendCpuMs = cpuMs(pid) - cpuBefore;
    clearInterval(sampler);
    const last = sample();
    const highWaterKiB = last.service.reduce((n, p) => n + p.peakKiB, 0);

    const throughput = await providerThroughput(fakeUrl);
    const { requests } = (await (await fetch(`${fakeUrl}/_fake/requests`)).json()) as { requests: { method: string; time: number }[] };
    const firstRequest = Math.min(...requests.filter((r) => r.method === "POST").map((r) => r.time));
    const stats = (await (await fetch(`${fakeUrl}/_fake/stats`)).json()) as { duplicates: number; emails: number };
    if (stats.duplicates > 0) throw new Error(`the provider saw ${stats.duplicates} duplicate emails`);
    if (stats.emails !== readers) throw new Error(`the provider accepted ${stats.emails} emails for ${readers} readers`);
    return {
      readers,
      idleProcesses: idle.service.map((p) => ({ name: shortName(p.command), rssMiB: MiB(p.rssKiB) })),
      idleMiB: MiB(idle.rssKiB),
      idleAnonMiB: MiB(idle.anonKiB),
      peakMiB: MiB(peak),
      peakAnonMiB: MiB(peakAnon),
      highWaterMiB: MiB(highWaterKiB),
      samples,
      wrapperMiB: MiB(wrapperKiB),
      sendSeconds: round(sendSeconds, 1),
      firstEmailSeconds: round((firstRequest - triggered) / 1000, 2),
      cpuMsPerThousand: round((sendCpuMs / readers) * 1000),
      emailsPerSecond: throughput.emailsPerSecond,
      emailsInInterval: throughput.emailsInInterval,
      deliverySeconds: throughput.seconds,
      requests: throughput.requests,
      duplicates: stats.duplicates,
      seedSeconds: round(seedSeconds, 1),
    };
  } finally {
    clearInterval(sampler);
    await service?.stop();
    await fake.stop();
    await deleteRedisKeys(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runMemoryBench(options: { readers?: number[]; log?: (s: string) => void } = {}): Promise<MemoryBenchResult> {
  const log = options.log ?? ((s: string) => console.log(s));
  const runs: MemoryBenchRun[] = [];
  for (const readers of options.readers ?? memoryReadersFromEnv()) runs.push(await runOnce(readers, log));
  return { engine: "sqlite", providerLatencyMs: PROVIDER_LATENCY_MS, sampleEveryMs: SAMPLE_EVERY_MS, idleWaitMs: IDLE_WAIT_MS, runs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runMemoryBench(), null, 2));
}
