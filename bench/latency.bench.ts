import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchContentDir, benchRedisPrefix, deleteRedisKeys, freePort, percentile, round, startProcess } from "./support.ts";

/**
 * Signup to inbox: the whole service (`npm start`: HTTP, send worker, tick) and the fake Resend in
 * their own processes; the time from sending the signup form to the provider accepting the
 * confirmation email, per signup.
 */
export interface LatencyBenchResult {
  signups: number;
  /** Clients sending signups, each one after the other. */
  concurrency: number;
  /** Each client's pause after an answer before its next signup. */
  pauseMs: number;
  /** From the first signup sent to the last one answered. */
  sendingSeconds: number;
  /** The load that resulted: signups answered per second over sendingSeconds. */
  signupsPerSecond: number;
  /** The fake provider's added latency per request. */
  providerLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const API_KEY = "re_bench_key";

export async function runLatencyBench(options: { signups?: number; concurrency?: number; pauseMs?: number } = {}): Promise<LatencyBenchResult> {
  const signups = options.signups ?? 300;
  const concurrency = options.concurrency ?? 4;
  const pauseMs = options.pauseMs ?? 20;
  const providerLatencyMs = 20;
  const dir = mkdtempSync(join(tmpdir(), "bench-latency-"));
  const fake = await startProcess("test/support/fake-resend-cli.ts", ["--port", "0", "--api-key", API_KEY, "--no-bodies", "--latency", String(providerLatencyMs)], {}, /http:\/\/127\.0\.0\.1:\d+/);
  const fakeUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(fake.output())![0];
  const prefix = benchRedisPrefix("latency");
  const port = await freePort();
  const service = await startProcess(
    "src/main.ts",
    [],
    {
      NODE_ENV: "production",
      CONTENT_DIR: benchContentDir(dir),
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      RESEND_API_KEY: API_KEY,
      RESEND_BASE_URL: fakeUrl,
      RESEND_RATE_LIMIT: "100",
      SECRET_KEY: "benchmark-secret-key-0123456789abcdef",
      APP_URL: `http://127.0.0.1:${port}`,
      SIGNUP_LIMIT_IP_PER_MINUTE: "100000",
      SIGNUP_LIMIT_IP_PER_HOUR: "100000",
      LOG_LEVEL: "info",
    },
    /listening on/,
  );

  const started = new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  let seen = 0;
  const poll = async () => {
    const { emails } = (await (await fetch(`${fakeUrl}/_fake/emails?since=${seen}&bodies=0`)).json()) as { emails: { to: string[]; receivedAt: number }[] };
    seen += emails.length;
    for (const e of emails) {
      const t0 = started.get(e.to[0]!);
      if (t0 !== undefined) latencies.push(e.receivedAt - t0);
    }
  };
  const sendingStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < signups) {
        const email = `latency${next++}@bench.example`;
        started.set(email, Date.now());
        const res = await fetch(`http://127.0.0.1:${port}/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email }) });
        if (res.status !== 202) throw new Error(`signup answered ${res.status}`);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  const sendingSeconds = (performance.now() - sendingStarted) / 1000;
  const deadline = Date.now() + 60_000;
  while (latencies.length < signups && Date.now() < deadline) {
    await poll();
    await new Promise((r) => setTimeout(r, 50));
  }
  await service.stop();
  await fake.stop();
  await deleteRedisKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
  if (latencies.length < signups) throw new Error(`only ${latencies.length} of ${signups} confirmations arrived`);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    signups,
    concurrency,
    pauseMs,
    sendingSeconds: round(sendingSeconds, 1),
    signupsPerSecond: round(signups / sendingSeconds),
    providerLatencyMs,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1)!),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runLatencyBench({ signups: Number(process.env.SIGNUPS ?? 300) })));
}
