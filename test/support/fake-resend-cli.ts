/**
 * Runs the fake Resend API as its own process, for multi-process tests and benchmarks:
 *
 *   npx tsx test/support/fake-resend-cli.ts --port 3010 [--rate 5] [--window fixed|sliding]
 *     [--latency 20] [--api-key re_test] [--no-bodies] [--no-log]
 *
 * The first stdout line is the base URL (use --port 0 for a free port and read it from there).
 * Steer and inspect it over HTTP: GET /_fake/emails?since=N&bodies=0, GET /_fake/requests,
 * GET /_fake/stats, POST /_fake/reset, POST /_fake/fault, POST /_fake/config.
 */
import { parseArgs } from "node:util";
import { startFakeResend } from "./fake-resend.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3010" },
    host: { type: "string", default: "127.0.0.1" },
    rate: { type: "string" },
    window: { type: "string", default: "fixed" },
    latency: { type: "string", default: "0" },
    "api-key": { type: "string" },
    // Long benchmarks would otherwise hold every rendered body and request record in memory.
    "no-bodies": { type: "boolean", default: false },
    "no-log": { type: "boolean", default: false },
  },
  strict: true,
});

function number(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`fake-resend: --${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

if (values.window !== "fixed" && values.window !== "sliding") {
  console.error(`fake-resend: --window must be fixed or sliding, got ${JSON.stringify(values.window)}`);
  process.exit(2);
}

const fake = await startFakeResend({
  port: number("port", values.port),
  hostname: values.host,
  rateLimit: values.rate !== undefined ? { requestsPerSecond: number("rate", values.rate), window: values.window } : null,
  latencyMs: number("latency", values.latency),
  apiKey: values["api-key"] ?? null,
  storeBodies: !values["no-bodies"],
  logRequests: !values["no-log"],
});

console.log(fake.url);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await fake.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
