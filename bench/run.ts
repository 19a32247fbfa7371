// The render benchmark must load React first, with NODE_ENV=production (see render.bench.ts).
import { runRenderBench } from "./render.bench.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { runDeliveryBench } from "./delivery.bench.ts";
import { runImportBench } from "./import.bench.ts";
import { runLatencyBench } from "./latency.bench.ts";
import { runSchedulerBench } from "./scheduler.bench.ts";
import { runSignupBench, SIGNUP_GOAL } from "./signup.bench.ts";
import { machine } from "./support.ts";

/**
 * `npm run bench`: every benchmark in turn, then BENCHMARKS.md with the figures, the targets and
 * the machine they ran on. `BENCH_ONLY=render,signup,scheduler,delivery,latency,import` runs a subset
 * (the file then lists only those). Needs Redis and PostgreSQL, like the tests.
 */
const only = new Set((process.env.BENCH_ONLY ?? "render,signup,scheduler,delivery,latency,import").split(","));
const log = (s: string) => console.log(s);
const sections: string[] = [];
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

if (only.has("render")) {
  log("render…");
  const r = await runRenderBench({});
  sections.push(`## Render: personalised lesson emails per second

| Path | Emails/s (median) | Emails/s (best round) |
| --- | --- | --- |
| naive: one React render per reader | ${fmt(r.naive.emailsPerSecond)} | ${fmt(r.naive.bestEmailsPerSecond)} |
| production: one render per lesson version, then personalise (templates cached) | ${fmt(r.production.emailsPerSecond)} | ${fmt(r.production.bestEmailsPerSecond)} |
| production, every round from an empty template cache | ${fmt(r.productionColdCache.emailsPerSecond)} | ${fmt(r.productionColdCache.bestEmailsPerSecond)} |

Speed-up ${r.speedup.toFixed(1)}× with templates cached (${r.coldCacheSpeedup.toFixed(1)}× from an empty cache); target ≥ ${r.target}×: ${verdict(r.meetsTarget)}.
React build: ${r.reactBuild}. ${fmt(r.readers)} readers × ${r.rounds} rounds over ${r.lessons} lessons; ${fmt(r.compared)} readers compared byte for byte with the per-reader render: all identical; ${r.fallbacks} fallbacks.`);
}

if (only.has("signup")) {
  const rows: string[] = [];
  let met = false;
  for (const [engine, processes] of [["sqlite", 1], ["postgres", 1], ["sqlite", 2]] as const) {
    log(`signup (${engine}, ${processes} process${processes > 1 ? "es" : ""})…`);
    const s = await runSignupBench(engine, { seconds: 15, processes });
    rows.push(`| ${engine} | ${processes} | ${fmt(s.signupsPerSecond)} | ${s.p50Ms} | ${s.p99Ms} | ${fmt(s.helloPerSecond)} | ${(s.ratio * 100).toFixed(1)}% | ${s.non2xx} | ${s.errors} |`);
    if (engine === "sqlite" && processes === 1) met = s.ratio >= SIGNUP_GOAL.ratio && s.p99Ms <= SIGNUP_GOAL.p99Ms;
  }
  sections.push(`## Signup: throughput and latency under load

\`npm run start:http\` in its own process (or two sharing the port with \`HTTP_REUSE_PORT=true\`); autocannon (32 connections, 15 s)
in another; every request a new address (subscriber, consent record, ledger row, job in Redis, Redis-backed rate limits).
Reference in the same run, just before each row: a hello-world Hono server (bench/hello-server.ts) parsing the same JSON body.

| Database | Processes | Signups/s | p50 ms | p99 ms | Hello-world/s | Signups / hello | non-2xx | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Target on SQLite (one process): ≥ ${SIGNUP_GOAL.ratio * 100}% of the hello-world ceiling with p99 ≤ ${SIGNUP_GOAL.p99Ms} ms: ${verdict(met)}.`);
}

if (only.has("scheduler")) {
  log("scheduler…");
  const s = await runSchedulerBench({ log });
  sections.push(`## Scheduler: due rows to queued jobs

${fmt(s.enrolled)} enrolled readers in ${s.engine}, ${fmt(s.due)} of them due. Time to turn every due reader into a ledger row and a queued provider job
(batches of 100, one BullMQ job per batch): ${s.seconds} s, **${fmt(s.emailsPerSecond)} emails/s** (target ≥ 20,000/s: ${verdict(s.emailsPerSecond >= 20_000)}).
Jobs in Redis: ${fmt(s.jobs)}. Redis memory: ${fmt(s.redisBytesBefore)} bytes before, ${fmt(s.redisBytesAfter)} after (≈ ${fmt(s.redisBytesPerJob)} bytes per job); the 900,000 readers not due cost nothing in Redis.`);
}

if (only.has("delivery")) {
  log("delivery (5 req/s)…");
  const limited = await runDeliveryBench({ emails: 10_000, rate: 5, latencyMs: 50, log });
  log("delivery (no limit)…");
  const open = await runDeliveryBench({ emails: 30_000, rate: null, latencyMs: 20, log });
  sections.push(`## Delivery throughput against the fake Resend

One worker process (\`npm run start:workers\`), the fake Resend in its own process; emails go through the batch endpoint (100 per request).

| Provider limit | Latency | Emails | Emails/s | Requests | 429s | Worker peak RSS |
| --- | --- | --- | --- | --- | --- | --- |
| 5 req/s | ${limited.latencyMs} ms | ${fmt(limited.emails)} | ${fmt(limited.emailsPerSecond)} | ${limited.requests} | ${limited.rateLimited} | ${limited.workerPeakMiB} MiB |
| none | ${open.latencyMs} ms | ${fmt(open.emails)} | ${fmt(open.emailsPerSecond)} | ${open.requests} | ${open.rateLimited} | ${open.workerPeakMiB} MiB |

Targets: ≥ 450 emails/s at 5 req/s: ${verdict(limited.emailsPerSecond >= 450)}; ≥ 3,000 emails/s with no limit: ${verdict(open.emailsPerSecond >= 3000)}; zero 429s: ${verdict(limited.rateLimited + open.rateLimited === 0)}.`);
}

if (only.has("latency")) {
  log("latency…");
  const l = await runLatencyBench({ signups: 300 });
  sections.push(`## Signup to inbox

\`npm start\` (HTTP, send worker, tick) and the fake Resend in their own processes; ${l.signups} signups, ${l.concurrency} at a time. Time from sending the form to the
provider accepting the confirmation email: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (target p99 < 2 s: ${verdict(l.p99Ms < 2000)}).`);
}

if (only.has("import")) {
  const rows: string[] = [];
  const verdicts: boolean[] = [];
  let described = "";
  for (const engine of ["sqlite", "postgres"] as const) {
    log(`import (24 MB CSV, ${engine})…`);
    const i = await runImportBench(engine, { megabytes: 24, log });
    described = `${fmt(i.rows)} readers, ${i.fileMiB} MiB`;
    rows.push(`| ${engine} | ${i.seconds} | ${i.rssBeforeMiB} → ${i.rssPeakMiB} | **${i.rssGrowthMiB}** | ${i.anonGrowthMiB} | ${i.idleHealthP50Ms} / ${i.idleHealthMaxMs} | ${i.healthP50Ms} / **${i.healthMaxMs}** | ${i.healthProbes} |`);
    verdicts.push(i.rssGrowthMiB < 100, i.healthMaxMs < 200);
  }
  sections.push(`## CSV import: a 24 MB file through the admin console

\`npm run start:http\`; the file (${described}) posted to \`/admin/import\` as a browser's multipart form, enrolling every reader.
Meanwhile this process samples the server's resident memory every 25 ms and asks \`/healthz\` one request after another. Reference in the
same run: the same server, probed the same way for 3 s with nothing to do, just before the import. RSS counts the pages of
SQLite's memory-mapped database file too (file-backed, reclaimable by the kernel); RssAnon is the process's own memory.

| Database | Import s | RSS MiB before → peak | RSS growth MiB | of which the process's own (RssAnon) MiB | idle /healthz p50 / max ms | during import p50 / max ms | probes |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Targets: RSS growth < 100 MiB and /healthz < 200 ms throughout: ${verdict(verdicts.every(Boolean))}.`);
}

const m = machine();
const header = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, load average at the end ${loadavg()
  .map((n) => n.toFixed(2))
  .join(" / ")}.
Each benchmark is separate from the tests and runs its processes on this machine only (loopback). Figures vary with what else the machine is doing; the notes under
each table say what bounds it.
`;
// What bounds each figure is written by hand in bench/notes.md and carried into every new file.
const notes = existsSync("bench/notes.md") ? `\n${readFileSync("bench/notes.md", "utf8")}` : "";
writeFileSync("BENCHMARKS.md", `${header}\n${sections.join("\n\n")}\n${notes}`);
log("wrote BENCHMARKS.md");
