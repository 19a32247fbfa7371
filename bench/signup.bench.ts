import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { benchContentDir, benchDatabase, deleteRedisKeys, freePort, round, startProcess } from "./support.ts";

/**
 * Signup under load: the HTTP process alone (`npm run start:http`) in its own process, autocannon
 * in this one, every request a new address (a real signup: subscriber, consent record, ledger row,
 * job in Redis). Reported: accepted signups per second and latency percentiles.
 */
export interface SignupBenchResult {
  engine: "sqlite" | "postgres";
  seconds: number;
  connections: number;
  signupsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export async function runSignupBench(engine: "sqlite" | "postgres", options: { seconds?: number; connections?: number } = {}): Promise<SignupBenchResult> {
  const seconds = options.seconds ?? 10;
  const connections = options.connections ?? 32;
  const dir = mkdtempSync(join(tmpdir(), "bench-signup-"));
  const database = await benchDatabase(engine, dir, "signup");
  const prefix = `lpbench:signup:${Date.now()}`;
  const port = await freePort();
  const server = await startProcess(
    "src/main-http.ts",
    [],
    {
      NODE_ENV: "production",
      CONTENT_DIR: benchContentDir(dir),
      APP_URL: "https://lessons.example.test",
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      SECRET_KEY: "benchmark-secret-key-0123456789abcdef",
      SIGNUP_LIMIT_IP_PER_MINUTE: "100000000",
      SIGNUP_LIMIT_IP_PER_HOUR: "100000000",
      LOG_LEVEL: "warn",
    },
    /(?:)/,
  );
  // The server logs at warn level: wait for the port to answer instead of a log line.
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  let counter = 0;
  const result = await autocannon({
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
  await server.stop();
  await deleteRedisKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
  await database.drop();
  const ok = result["2xx"];
  return {
    engine,
    seconds,
    connections,
    signupsPerSecond: round(ok / seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const engine of (process.env.ENGINES ?? "sqlite,postgres").split(",") as ("sqlite" | "postgres")[]) {
    console.log(JSON.stringify(await runSignupBench(engine, { seconds: Number(process.env.SECONDS ?? 10) })));
  }
}
