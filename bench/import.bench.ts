import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchContentDir, benchDatabase, deleteRedisKeys, freePort, round, startProcess } from "./support.ts";

/**
 * A 24 MB CSV through the admin console's import (`POST /admin/import`, multipart, as a browser
 * sends it) into `npm run start:http`, on SQLite and on PostgreSQL. While it runs, this process samples the server's
 * resident memory and asks `/healthz` one request after another. The reference, in the same run and
 * the same server: the same /healthz probing for a while with nothing to do, before the import.
 */
export interface ImportBenchResult {
  engine: "sqlite" | "postgres";
  fileMiB: number;
  rows: number;
  imported: number;
  seconds: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssGrowthMiB: number;
  /** The part of the growth that is the process's own memory, not pages of the mapped database file. */
  anonGrowthMiB: number;
  healthMaxMs: number;
  healthP50Ms: number;
  healthProbes: number;
  idleHealthMaxMs: number;
  idleHealthP50Ms: number;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ADMIN = "benchmark-admin-token-0123456789";

function statusMiB(pid: number, field: "VmRSS" | "RssAnon" | "RssFile"): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    // The server has exited (the import failed or timed out); the caller reports that, not this.
    return 0;
  }
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return kb / 1024;
}
const rssMiB = (pid: number) => statusMiB(pid, "VmRSS");

function writeCsv(path: string, targetBytes: number): number {
  const zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", ""];
  const lines = ["email,name,timezone"];
  let size = lines[0]!.length + 1;
  let rows = 0;
  while (size < targetBytes) {
    const line = `reader${rows}@import.bench.example,"Reader ${rows}, imported",${zones[rows % zones.length]}`;
    lines.push(line);
    size += line.length + 1;
    rows += 1;
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  return rows;
}

async function probeHealth(port: number, until: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!until()) {
    const started = performance.now();
    await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.arrayBuffer());
    times.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  return times.sort((a, b) => a - b);
}

function upload(port: number, file: string): Promise<string> {
  const boundary = "----lessonpost-bench";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nBenchmark list\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="enroll"\r\n\r\nyes\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="readers.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/admin/import",
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN}`,
          origin: `http://127.0.0.1:${port}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(head.length + statSync(file).size + tail.length),
        },
      },
      (res) => {
        let page = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (page += chunk));
        res.on("end", () => resolve(page));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.write(head);
    const body = createReadStream(file);
    body.on("error", reject);
    body.on("end", () => req.end(tail));
    body.pipe(req, { end: false });
  });
}

export async function runImportBench(engine: "sqlite" | "postgres", options: { megabytes?: number; log?: (s: string) => void } = {}): Promise<ImportBenchResult> {
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "bench-import-"));
  const database = await benchDatabase(engine, dir, "import");
  const file = join(dir, "readers.csv");
  const rows = writeCsv(file, (options.megabytes ?? 24) * 2 ** 20);
  const prefix = `lpbench:import:${Date.now()}`;
  const port = await freePort();
  const server = await startProcess(
    "src/main-http.ts",
    [],
    {
      NODE_ENV: "production",
      PORT: String(port),
      // Production refuses the shipped placeholder postal address and a missing APP_URL.
      CONTENT_DIR: benchContentDir(dir),
      APP_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      SECRET_KEY: "benchmark-secret-key-0123456789abcdef",
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: "warn",
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    },
    /(?:)/,
  );
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    for (let i = 0; i < 100; i++) {
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pid = server.child.pid!;
    // Reference: the same probing with nothing else happening, long enough to settle start-up.
    const idleUntil = performance.now() + 3_000;
    const idle = await probeHealth(port, () => performance.now() > idleUntil);
    const rssBefore = rssMiB(pid);
    const anonBefore = statusMiB(pid, "RssAnon");

    log(`  importing ${rows.toLocaleString("en-US")} rows (${round(statSync(file).size / 2 ** 20, 1)} MiB)…`);
    let done = false;
    let peak = rssBefore;
    let anonPeak = anonBefore;
    sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(pid));
      anonPeak = Math.max(anonPeak, statusMiB(pid, "RssAnon"));
    }, 25);
    const started = performance.now();
    const importing = upload(port, file).finally(() => (done = true));
    const [page, health] = await Promise.all([importing, probeHealth(port, () => done)]);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssMiB(pid));
    const imported = Number(/<strong>(\d+)<\/strong> of (\d+) rows imported/.exec(page)?.[1] ?? NaN);
    if (imported !== rows) throw new Error(`import bench: expected ${rows} rows imported, the page says:\n${page.slice(-2000)}`);
    return {
      engine,
      fileMiB: round(statSync(file).size / 2 ** 20, 1),
      rows,
      imported,
      seconds: round(seconds, 1),
      rssBeforeMiB: Math.round(rssBefore),
      rssPeakMiB: Math.round(peak),
      rssGrowthMiB: Math.round(peak - rssBefore),
      anonGrowthMiB: Math.round(anonPeak - anonBefore),
      healthMaxMs: Math.round(health.at(-1) ?? NaN),
      healthP50Ms: Math.round(health[Math.floor(health.length / 2)] ?? NaN),
      healthProbes: health.length,
      idleHealthMaxMs: Math.round(idle.at(-1) ?? NaN),
      idleHealthP50Ms: Math.round(idle[Math.floor(idle.length / 2)] ?? NaN),
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
    await deleteRedisKeys(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}
