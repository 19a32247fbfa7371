import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { benchContentDir, benchDatabase, cpuMs, deleteRedisKeys, freePort, round, startProcess } from "./support.ts";
import type { Proc } from "./support.ts";

/**
 * Signup under load: the HTTP process alone (`npm run start:http`) in its own process (or two of
 * them sharing one port), autocannon in this one, every request a new address (a real signup:
 * subscriber, consent record, ledger row, job in Redis). Reported: accepted signups per second and
 * latency percentiles, beside the same-run ceiling: a hello-world Hono server (bench/hello-server.ts)
 * that parses the same JSON body, hit by the same autocannon settings just before. The machine and
 * its other load move both figures; the ratio is what the goal is stated in.
 */
export interface SignupBenchResult {
  engine: "sqlite" | "postgres";
  /** `start:http` processes sharing the port (HTTP_REUSE_PORT). */
  processes: number;
  seconds: number;
  connections: number;
  signupsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The hello-world ceiling, same run, same settings. */
  helloPerSecond: number;
  helloP99Ms: number;
  /** signupsPerSecond / helloPerSecond. */
  ratio: number;
  /**
   * CPU time (user + system) the server process(es) spent per accepted signup, and the hello
   * server per answer: far steadier than the rates when other work shares the machine.
   */
  cpuUsPerSignup: number;
  helloCpuUsPerRequest: number;
  non2xx: number;
  errors: number;
}

/** Goal (issue #14): on SQLite, signups at ≥ 10% of the hello-world ceiling with p99 ≤ 40 ms at 32 connections. */
export const SIGNUP_GOAL = { ratio: 0.1, p99Ms: 40 } as const;

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

async function waitForPort(port: number, path: string, init?: RequestInit): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}${path}`, init).then((r) => r.status < 500).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on port ${port}`);
}

/** User + system CPU time of a process so far, in microseconds. */
const cpuUs = (pid: number | undefined) => (pid === undefined ? NaN : cpuMs(pid) * 1000);

async function hammer(port: number, seconds: number, connections: number) {
  let counter = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: "/subscribe",
        headers: { "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `load${counter++}-${process.pid}@bench.example`, timezone: "Europe/Paris" }) }),
      },
    ],
  });
}

/** The ceiling: hello-world Hono, same body, same autocannon settings. */
export interface HelloResult {
  helloPerSecond: number;
  helloP99Ms: number;
  helloCpuUsPerRequest: number;
}

export async function runHelloBench(options: { seconds?: number; connections?: number } = {}): Promise<HelloResult> {
  const seconds = options.seconds ?? 10;
  const port = await freePort();
  const hello = await startProcess("bench/hello-server.ts", [], { NODE_ENV: "production", PORT: String(port) }, /ready on/);
  try {
    await waitForPort(port, "/subscribe", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const cpuBefore = cpuUs(hello.child.pid);
    const result = await hammer(port, seconds, options.connections ?? 32);
    const cpu = cpuUs(hello.child.pid) - cpuBefore;
    return { helloPerSecond: round(result["2xx"] / seconds), helloP99Ms: result.latency.p99, helloCpuUsPerRequest: round(cpu / Math.max(1, result["2xx"])) };
  } finally {
    await hello.stop();
  }
}

export async function runSignupBench(
  engine: "sqlite" | "postgres",
  options: {
    seconds?: number;
    connections?: number;
    processes?: number;
    hello?: HelloResult;
    /** Another checkout's entry (an absolute path), to compare a change with its base in the same run. */
    entry?: string;
    /** More environment for the server, to compare settings in the same run. */
    env?: Record<string, string>;
  } = {},
): Promise<SignupBenchResult> {
  const seconds = options.seconds ?? 10;
  const connections = options.connections ?? 32;
  const processes = options.processes ?? 1;
  const hello = options.hello ?? (await runHelloBench({ seconds, connections }));
  const dir = mkdtempSync(join(tmpdir(), "bench-signup-"));
  const database = await benchDatabase(engine, dir, "signup");
  const prefix = `lpbench:signup:${Date.now()}`;
  const port = await freePort();
  const env = {
    NODE_ENV: "production",
    CONTENT_DIR: benchContentDir(dir),
    APP_URL: "https://lessons.example.test",
    PORT: String(port),
    HTTP_REUSE_PORT: processes > 1 ? "true" : "false",
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    SECRET_KEY: "benchmark-secret-key-0123456789abcdef",
    SIGNUP_LIMIT_IP_PER_MINUTE: "100000000",
    SIGNUP_LIMIT_IP_PER_HOUR: "100000000",
    LOG_LEVEL: "warn",
    ...options.env,
  };
  const servers: Proc[] = [];
  try {
    // One at a time: the first migrates the database, the next finds it migrated.
    for (let i = 0; i < processes; i++) {
      servers.push(await startProcess(options.entry ?? "src/main-http.ts", [], env, /(?:)/));
      // The server logs at warn level: wait for the port to answer instead of a log line.
      await waitForPort(port, "/healthz");
    }
    const cpuBefore = servers.reduce((sum, server) => sum + cpuUs(server.child.pid), 0);
    const result = await hammer(port, seconds, connections);
    const cpu = servers.reduce((sum, server) => sum + cpuUs(server.child.pid), 0) - cpuBefore;
    const signupsPerSecond = round(result["2xx"] / seconds);
    return {
      engine,
      processes,
      seconds,
      connections,
      signupsPerSecond,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      ...hello,
      ratio: round(signupsPerSecond / hello.helloPerSecond, 3),
      cpuUsPerSignup: round(cpu / Math.max(1, result["2xx"])),
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    for (const server of servers) await server.stop();
    await deleteRedisKeys(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.env.SECONDS ?? 10);
  // Each row measures its own ceiling just before it: the machine's other load moves both.
  for (const spec of (process.env.ENGINES ?? "sqlite,postgres,sqlite*2").split(",")) {
    const [engine, n] = spec.split("*") as ["sqlite" | "postgres", string | undefined];
    console.log(JSON.stringify(await runSignupBench(engine, { seconds, processes: Number(n ?? 1) })));
  }
}
