import type { ChildProcess } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { buildServer, builtEntry } from "../scripts/build-server.ts";
import type { Course } from "../src/content/schema.ts";
import type { Database } from "../src/store/database.ts";

/** Shared pieces of the benchmarks: machine facts, timing, percentiles, bulk data. */

export function machine() {
  return { cores: cpus().length, cpu: cpus()[0]?.model.trim() ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/**
 * Readers straight into the tables in multi-row inserts (the signup path is measured on its own):
 * `due` of them have their next lesson due at `now`, the rest days away.
 */
export async function seedReaders(db: Database, course: Course, options: { total: number; due: number; now: number; onProgress?: (done: number) => void }): Promise<void> {
  const day = 24 * 3600_000;
  const lesson2 = course.lessons[1]!;
  for (let start = 0; start < options.total; start += 500) {
    const n = Math.min(500, options.total - start);
    const subscribers = Array.from({ length: n }, (_, k) => {
      const i = start + k;
      return {
        id: `s${String(i).padStart(8, "0")}`,
        email: `reader${i}@bench.example`,
        name: i % 3 ? `Reader ${i}` : null,
        timezone: i % 2 ? "Europe/Paris" : "America/New_York",
        status: "active" as const,
        created_at: options.now - 8 * day,
        updated_at: options.now - 8 * day,
        confirmed_at: options.now - 8 * day,
        unsubscribed_at: null,
        confirmation_sent_at: null,
        consent_at: options.now - 8 * day,
        consent_ip: null,
        consent_user_agent: null,
        consent_form: "bench",
        consent_text_version: "bench",
      };
    });
    await db.insertInto("subscribers").values(subscribers).execute();
    await db
      .insertInto("enrollments")
      .values(
        subscribers.map((s, k) => {
          const i = start + k;
          const isDue = i < options.due;
          return {
            id: `e${String(i).padStart(8, "0")}`,
            subscriber_id: s.id,
            course_slug: course.slug,
            status: "active" as const,
            started_at: isDue ? options.now - 8 * day : options.now - day,
            next_slug: lesson2.slug,
            next_due_at: isDue ? options.now - 60_000 : options.now + 6 * day,
            last_day: 0,
            last_sent_at: options.now - 8 * day,
            completed_at: null,
            created_at: options.now - 8 * day,
            updated_at: options.now - 8 * day,
          };
        }),
      )
      .execute();
    options.onProgress?.(start + n);
  }
}

/**
 * The same readers, loaded through better-sqlite3 in one transaction: seconds instead of minutes
 * for a million rows. Only for a fresh SQLite file with the schema migrated.
 */
export async function seedSqliteFast(path: string, course: Course, options: { total: number; due: number; now: number }): Promise<void> {
  const { default: SQLite } = await import("better-sqlite3");
  const sqlite = new SQLite(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = OFF");
  const day = 24 * 3600_000;
  const insertSubscriber = sqlite.prepare(
    "insert into subscribers (id, email, name, timezone, status, created_at, updated_at, confirmed_at, consent_at, consent_form, consent_text_version) values (?, ?, ?, ?, 'active', ?, ?, ?, ?, 'bench', 'bench')",
  );
  const insertEnrollment = sqlite.prepare(
    "insert into enrollments (id, subscriber_id, course_slug, status, started_at, next_slug, next_due_at, last_day, last_sent_at, created_at, updated_at) values (?, ?, ?, 'active', ?, ?, ?, 0, ?, ?, ?)",
  );
  const lesson2 = course.lessons[1]!.slug;
  sqlite.transaction(() => {
    for (let i = 0; i < options.total; i++) {
      const id = `s${String(i).padStart(8, "0")}`;
      const joined = options.now - 8 * day;
      insertSubscriber.run(id, `reader${i}@bench.example`, i % 3 ? `Reader ${i}` : null, i % 2 ? "Europe/Paris" : "America/New_York", joined, joined, joined, joined);
      const isDue = i < options.due;
      insertEnrollment.run(`e${String(i).padStart(8, "0")}`, id, course.slug, isDue ? joined : options.now - day, lesson2, isDue ? options.now - 60_000 : options.now + 6 * day, joined, joined, joined);
    }
  })();
  sqlite.close();
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakMiB(): number;
  stop(): Promise<void>;
}

/** Starts a TypeScript entry in its own Node process (the project's Node), returning when `ready` is printed. */
/**
 * The V8 flags of package.json's start scripts, so a benchmark measures the process `npm start`
 * runs (BENCH_NODE_FLAGS="" measures Node's defaults instead).
 */
export const SERVICE_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=50", "--enable-source-maps"];

let built: Promise<string[]> | undefined;

export async function startProcess(entry: string, args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 30_000): Promise<Proc> {
  const { spawn } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const flags = process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(" ").filter(Boolean) : SERVICE_NODE_FLAGS;
  // The service's entry points run as `npm start` runs them, from the bundle (built once per run);
  // the fake provider and other helpers run from source.
  const bundle = builtEntry(entry);
  if (bundle) await (built ??= buildServer());
  const command = bundle ? [...flags, bundle] : [...flags, "--import", "tsx", entry];
  const child = spawn(process.execPath, [...profile, ...command, ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`${entry} exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${entry} not ready after ${timeoutMs} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    peakMiB: () => {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
        return Math.round(kb / 1024);
      } catch {
        return 0;
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(url);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
}

/**
 * The shipped course with a postal address in place of its placeholder, for benchmark processes
 * that run with NODE_ENV=production (which refuses to start on the placeholder).
 */
/** The folder of the course the benchmarks run, under a content dir. */
export const BENCH_COURSE = "couples-therapy-up-close";

export function benchContentDir(parent: string): string {
  const dir = join(parent, "content");
  cpSync("content", dir, { recursive: true });
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const courseFile = join(dir, entry.name, "course.yaml");
    if (!entry.isDirectory() || !existsSync(courseFile)) continue;
    writeFileSync(courseFile, readFileSync(courseFile, "utf8").replace(/^postalAddress:.*$/m, "postalAddress: Benchmark Ltd, 1 Harbour Road, Portsmouth, UK"));
  }
  return dir;
}

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A fresh database for a benchmark's server: a SQLite file in `dir`, or a PostgreSQL schema of its
 * own (selected through the connection's search_path); `drop` removes the schema afterwards.
 */
export async function benchDatabase(engine: "sqlite" | "postgres", dir: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === "sqlite") return { url: `sqlite:${join(dir, "bench.db")}`, drop: async () => undefined };
  const schema = `bench_${name}_${Date.now().toString(36)}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema ${schema}`);
  return { url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, drop: () => admin(`drop schema if exists ${schema} cascade`) };
}

/**
 * The Redis prefix of one benchmark run: BENCH_REDIS_PREFIX (default "lpbench"), the benchmark's
 * name and the time, so runs on a shared Redis never meet.
 */
export function benchRedisPrefix(name: string): string {
  return `${process.env.BENCH_REDIS_PREFIX ?? "lpbench"}:${name}:${Date.now()}`;
}

/**
 * The keys under a prefix and the bytes Redis reports for them (MEMORY USAGE, key by key), so a
 * figure about what a run put in Redis is not moved by other clients of the same instance.
 */
export async function redisKeyStats(url: string, prefix: string): Promise<{ keys: number; bytes: number; byKind: Record<string, number> }> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(url);
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    let bytes = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const pipeline = redis.pipeline();
      for (const key of keys.slice(i, i + 500)) pipeline.memory("USAGE", key);
      for (const [error, used] of (await pipeline.exec()) ?? []) if (!error) bytes += Number(used ?? 0);
    }
    // What the keys are, ids folded: "<prefix>:send:batch-<uuid>" counts as "send:batch-<id>".
    const byKind: Record<string, number> = {};
    for (const key of keys) {
      const kind = key
        .slice(prefix.length + 1)
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
        .replace(/\d+/g, "<n>");
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    return { keys: keys.length, bytes, byKind };
  } finally {
    redis.disconnect();
  }
}

/** One process's memory, from /proc/<pid>/status, in KiB. */
export interface ProcessMemory {
  pid: number;
  command: string;
  rssKiB: number;
  anonKiB: number;
  fileKiB: number;
  peakKiB: number;
}

function readStatus(pid: number): ProcessMemory | undefined {
  let status: string;
  let command: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return undefined; // exited meanwhile
  }
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { pid, command, rssKiB: kib("VmRSS"), anonKiB: kib("RssAnon"), fileKiB: kib("RssFile"), peakKiB: kib("VmHWM") };
}

/** The pid and every process below it, found through each process's parent in /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // The command in parentheses may hold spaces and parentheses itself; the parent pid follows the last ")".
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/**
 * The memory of a service's process tree: the node processes summed, and any npm wrapper apart
 * (it is not the service, and `npm start` adds it in production only if the operator uses npm).
 */
export function treeMemory(root: number): { service: ProcessMemory[]; wrapper: ProcessMemory[]; rssKiB: number; anonKiB: number } {
  const all = processTree(root).map(readStatus).filter((p): p is ProcessMemory => p !== undefined);
  const isWrapper = (p: ProcessMemory) => /(^|[/\s])npm(-cli\.js)?(\s|$)/.test(p.command) || /^(\/bin\/)?sh -c/.test(p.command);
  const service = all.filter((p) => !isWrapper(p));
  return {
    service,
    wrapper: all.filter(isWrapper),
    rssKiB: service.reduce((n, p) => n + p.rssKiB, 0),
    anonKiB: service.reduce((n, p) => n + p.anonKiB, 0),
  };
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. Unlike
 * a rate, the CPU a piece of work costs barely moves when other processes share the cores.
 */
export function cpuMs(pid: number): number {
  try {
    // The command name (field 2) may hold spaces and parentheses: count the fields after its last ")".
    // utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProviderThroughput {
  /** API requests the fake saw (rate-limited ones included). */
  requests: number;
  emails: number;
  /** From the first request's arrival to the arrival of the last request that added emails. */
  seconds: number;
  /** Emails added by the requests that arrived in that interval (the last request's own are after it). */
  emailsInInterval: number;
  emailsPerSecond: number;
}

/**
 * Delivery speed as the provider saw it, from the fake Resend's request log (start it without
 * --no-log): the clock starts at the first request, not when the sender was started or its jobs
 * queued, and only the emails accepted inside the measured interval are counted.
 */
export async function providerThroughput(fakeUrl: string): Promise<ProviderThroughput> {
  const { requests } = (await (await fetch(`${fakeUrl}/_fake/requests`)).json()) as { requests: { method: string; time: number; emails: number; path: string }[] };
  const api = requests.filter((r) => r.method === "POST" && (r.path === "/emails" || r.path === "/emails/batch")).sort((a, b) => a.time - b.time);
  const accepting = api.filter((r) => r.emails > 0);
  const emails = accepting.reduce((n, r) => n + r.emails, 0);
  if (accepting.length < 2) throw new Error(`the fake Resend logged ${accepting.length} accepting requests; a rate needs two (is it running with --no-log?)`);
  const start = api[0]!.time;
  const end = accepting.at(-1)!.time;
  const emailsInInterval = accepting.filter((r) => r.time < end).reduce((n, r) => n + r.emails, 0);
  const seconds = (end - start) / 1000;
  return { requests: api.length, emails, seconds: round(seconds, 2), emailsInInterval, emailsPerSecond: seconds > 0 ? round(emailsInInterval / seconds) : NaN };
}
