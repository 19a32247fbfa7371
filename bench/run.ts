// The render benchmark must load React first, with NODE_ENV=production (see render.bench.ts).
import { runRenderBench } from "./render.bench.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { runDeliveryBench } from "./delivery.bench.ts";
import { atLeast, atMost, below, exactly, figure, figureLines, figureTable, formatNumber, tally, verdictOf, within } from "./figures.ts";
import type { Figure } from "./figures.ts";
import { runImportBench } from "./import.bench.ts";
import { runLatencyBench } from "./latency.bench.ts";
import { memoryReadersFromEnv, runMemoryBench } from "./memory.bench.ts";
import { runSchedulerBench } from "./scheduler.bench.ts";
import { runSignupBench, SIGNUP_GOAL } from "./signup.bench.ts";
import { machine } from "./support.ts";

/**
 * `npm run bench`: every benchmark in turn, each figure printed beside its goal and its reference
 * from the same run, with a verdict computed from the figure (bench/figures.ts); then BENCHMARKS.md
 * with the same tables, the machine they ran on, and bench/notes.md (what bounds each figure; no
 * figures of its own). `BENCH_ONLY=render,signup,scheduler,delivery,latency,import,memory` runs a
 * subset (the file then lists only those); BENCH_OUT=path writes the file elsewhere. For comparing
 * a setting, BENCH_EXTRA_ENV='{"SEND_CONCURRENCY":"10"}' adds variables to the service the memory
 * benchmark starts. Needs Redis and PostgreSQL, like the tests.
 */
const ALL = ["render", "signup", "scheduler", "delivery", "latency", "import", "memory"];
const only = new Set((process.env.BENCH_ONLY ?? ALL.join(",")).split(",").map((s) => s.trim()));
const unknown = [...only].filter((name) => !ALL.includes(name));
if (unknown.length) throw new Error(`BENCH_ONLY: unknown benchmark ${unknown.join(", ")}; known: ${ALL.join(", ")}`);

const log = (s: string) => console.log(s);
const fmt = (n: number, digits = 0) => formatNumber(n, digits);
const sections: string[] = [];
const everyFigure: { section: string; figure: Figure }[] = [];
const started = performance.now();

/** Prints a section's figures now and keeps its markdown for BENCHMARKS.md. */
function report(title: string, intro: string, figures: Figure[], after = ""): void {
  const indent = (text: string) => `  ${text.replace(/\n/g, "\n  ")}`;
  log(`\n${title}\n${indent(intro)}\n\n${figureLines(figures)}${after ? `\n${indent(after)}` : ""}\n`);
  sections.push([`## ${title}`, intro, figureTable(figures), after].filter(Boolean).join("\n\n"));
  everyFigure.push(...figures.map((f) => ({ section: title, figure: f })));
}

if (only.has("render")) {
  log("render…");
  const r = await runRenderBench({});
  const medians = `medians of ${r.rounds} rounds`;
  report(
    "Render: personalised lesson emails per second",
    `${fmt(r.readers)} readers × ${r.rounds} rounds over ${r.lessons} lessons, React's ${r.reactBuild} build. The reference is the naive path, one React render per reader, timed in the same
process between the production path's rounds.`,
    [
      figure({ name: "naive: one React render per reader", value: r.naive.emailsPerSecond, unit: "emails/s", reference: "this is the reference" }),
      figure({ name: "production, templates cached", value: r.production.emailsPerSecond, unit: "emails/s", reference: `naive ${fmt(r.naive.emailsPerSecond)}/s` }),
      figure({
        name: "production, every round from an empty template cache",
        value: r.productionColdCache.emailsPerSecond,
        unit: "emails/s",
        reference: `naive ${fmt(r.naive.emailsPerSecond)}/s; ${r.productionColdCache.templatesBuilt} templates built per round`,
      }),
      figure({ name: "speed-up, templates cached", value: r.speedup, unit: "×", digits: 1, goal: atLeast(r.target, "vs the naive per-reader render"), reference: `naive path, ${medians}` }),
      figure({ name: "speed-up from an empty template cache", value: r.coldCacheSpeedup, unit: "×", digits: 1, reference: `naive path, ${medians}` }),
      figure({ name: "readers that fell back to a per-reader render", value: r.fallbacks, unit: "", reference: `over ${r.rounds} rounds` }),
    ],
    `Best rounds (least disturbed by other work on the machine): naive ${fmt(r.naive.bestEmailsPerSecond)}/s, production ${fmt(r.production.bestEmailsPerSecond)}/s, from an empty cache ${fmt(r.productionColdCache.bestEmailsPerSecond)}/s.
${fmt(r.compared)} readers (every hostile name among them) compared byte for byte with the naive render: all identical (the benchmark stops on any difference).`,
  );
}

if (only.has("signup")) {
  const figures: Figure[] = [];
  let settings = "";
  for (const [engine, processes] of [["sqlite", 1], ["postgres", 1], ["sqlite", 2]] as const) {
    const label = `${engine}${processes > 1 ? `, ${processes} processes` : ""}`;
    log(`signup (${label})…`);
    const s = await runSignupBench(engine, { seconds: 15, processes });
    settings = `${s.connections} connections, ${s.seconds} s`;
    const hello = `hello-world ${fmt(s.helloPerSecond)} req/s, p99 ${fmt(s.helloP99Ms)} ms, ${fmt(s.helloCpuUsPerRequest)} µs CPU per answer`;
    // The goals are the issue's: one process on SQLite, the default.
    const goals = engine === "sqlite" && processes === 1;
    figures.push(
      figure({ name: `${label}: signups/s`, value: s.signupsPerSecond, unit: "signups/s", reference: hello }),
      figure({ name: `${label}: share of the hello-world ceiling`, value: s.ratio * 100, unit: "%", digits: 1, ...(goals ? { goal: atLeast(SIGNUP_GOAL.ratio * 100) } : {}), reference: hello }),
      figure({ name: `${label}: p99 latency`, value: s.p99Ms, unit: "ms", ...(goals ? { goal: atMost(SIGNUP_GOAL.p99Ms) } : {}), reference: `p50 ${fmt(s.p50Ms)} ms; hello-world p99 ${fmt(s.helloP99Ms)} ms` }),
      figure({ name: `${label}: server CPU per signup`, value: s.cpuUsPerSignup, unit: "µs", reference: `hello-world ${fmt(s.helloCpuUsPerRequest)} µs per answer` }),
      figure({ name: `${label}: non-2xx answers and errors`, value: s.non2xx + s.errors, unit: "", goal: exactly(0) }),
    );
  }
  report(
    "Signup: throughput and latency under load",
    `\`npm run start:http\` in its own process (or two sharing the port with \`HTTP_REUSE_PORT=true\`); autocannon (${settings}) in this one;
every request a new address (subscriber, consent record, ledger row, job in Redis, Redis-backed rate limits raised out of the way).
Reference in the same run, just before each row: a hello-world Hono server (bench/hello-server.ts) parsing the same JSON body, hit
with the same autocannon settings. CPU per signup is the server processes' user + system time over the accepted signups: it moves
far less than the rates when something else shares the machine.`,
    figures,
  );
}

if (only.has("scheduler")) {
  log("scheduler…");
  const s = await runSchedulerBench({ log });
  const added = s.redisKeysAfter - s.redisKeysBefore;
  const kinds = Object.entries(s.redisKeyKinds)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `\`${kind}\` × ${fmt(n)}`)
    .join(", ");
  report(
    "Scheduler: due rows to queued jobs",
    `${fmt(s.enrolled)} enrolled readers in ${s.engine}, ${fmt(s.due)} of them due, ${fmt(s.notDue)} not. Time to turn every due reader into a ledger row
and a queued provider job (batches of 100, one BullMQ job per batch). Redis is read under the run's own prefix, key by key (MEMORY USAGE),
before and after, so other clients of the same Redis do not count.`,
    [
      figure({ name: "due readers queued per second", value: s.emailsPerSecond, unit: "emails/s", goal: atLeast(20_000, "at 1,000,000 readers"), reference: `${fmt(s.due)} in ${s.seconds} s` }),
      figure({
        name: "Redis keys added beyond one per queued job",
        value: added - s.jobs,
        unit: "",
        goal: atMost(10, `the queue's own keys; none per reader not due`),
        reference: `${fmt(s.redisKeysBefore)} before, ${fmt(s.redisKeysAfter)} after, ${fmt(s.jobs)} jobs`,
      }),
      figure({ name: "Redis bytes per queued job", value: s.redisBytesPerJob, unit: "bytes", reference: `${fmt(s.redisBytesBefore)} → ${fmt(s.redisBytesAfter)} bytes under the prefix` }),
    ],
    `Keys under the prefix after the run: ${kinds}.`,
  );
}

if (only.has("delivery")) {
  log("delivery (5 req/s)…");
  const limited = await runDeliveryBench({ emails: 10_000, rate: 5, latencyMs: 50, log });
  log("delivery (no limit)…");
  const open = await runDeliveryBench({ emails: 30_000, rate: null, latencyMs: 20, log });
  const ceiling = (limited.providerRequestsPerSecond ?? 0) * 100;
  const interval = (d: typeof limited) => `${fmt(d.emailsInInterval)} emails in ${d.seconds} s`;
  report(
    "Delivery throughput against the fake Resend",
    `One worker process (\`npm run start:workers\`), the fake Resend in its own process; emails go through the batch endpoint (100 per request).
The clock runs from the provider's first request to the arrival of its last accepting request; the emails counted are those accepted by
the requests inside that interval. 5 req/s run: ${fmt(limited.emails)} emails, ${limited.latencyMs} ms provider latency, ${fmt(limited.requests)} requests.
No-limit run: ${fmt(open.emails)} emails, ${open.latencyMs} ms latency, ${fmt(open.requests)} requests.`,
    [
      figure({
        name: "5 req/s limit: emails/s",
        value: limited.emailsPerSecond,
        unit: "emails/s",
        goal: atLeast(ceiling * 0.9, `90% of the ${fmt(ceiling)} emails/s ceiling`),
        reference: `ceiling: the fake's ${limited.providerRequestsPerSecond} req/s × 100 per batch; ${interval(limited)}`,
      }),
      figure({ name: "5 req/s limit: 429 answers", value: limited.rateLimited, unit: "", goal: exactly(0) }),
      figure({ name: "no limit: emails/s, one worker process", value: open.emailsPerSecond, unit: "emails/s", goal: atLeast(3_000), reference: interval(open) }),
      figure({ name: "no limit: worker CPU per 1,000 emails", value: open.workerCpuMsPer1000, unit: "ms", reference: "user + system time, first accepted email to last; steadier than emails/s on a shared machine" }),
      figure({ name: "duplicate emails at the provider", value: limited.duplicates + open.duplicates, unit: "", goal: exactly(0, "exactly once"), reference: `both runs, ${fmt(limited.emails + open.emails)} emails` }),
      figure({ name: "worker peak RSS (VmHWM), 5 req/s", value: limited.workerPeakMiB, unit: "MiB" }),
      figure({ name: "worker peak RSS (VmHWM), no limit", value: open.workerPeakMiB, unit: "MiB" }),
    ],
  );
}

if (only.has("latency")) {
  log("latency…");
  const l = await runLatencyBench({ signups: 300 });
  report(
    "Signup to inbox",
    `\`npm start\` (HTTP, send worker, tick) and the fake Resend (${l.providerLatencyMs} ms latency) in their own processes. The load: ${l.signups} signups from ${l.concurrency}
clients, each sending its next signup ${l.pauseMs} ms after the previous one was answered: ${fmt(l.signupsPerSecond)} signups/s over ${l.sendingSeconds} s. Measured per signup:
from sending the form to the provider accepting the confirmation email.`,
    [
      figure({ name: "p99 signup → provider acceptance", value: l.p99Ms, unit: "ms", goal: below(2_000), reference: `p50 ${fmt(l.p50Ms)} ms` }),
      figure({ name: "max signup → provider acceptance", value: l.maxMs, unit: "ms" }),
    ],
  );
}

if (only.has("import")) {
  const figures: Figure[] = [];
  let described = "";
  for (const engine of ["sqlite", "postgres"] as const) {
    log(`import (24 MB CSV, ${engine})…`);
    const i = await runImportBench(engine, { megabytes: 24, log });
    described = `${fmt(i.rows)} readers, ${i.fileMiB} MiB`;
    figures.push(
      figure({ name: `${engine}: RSS growth during the import`, value: i.rssGrowthMiB, unit: "MiB", goal: below(100), reference: `${i.rssBeforeMiB} MiB idle before → ${i.rssPeakMiB} MiB peak` }),
      figure({ name: `${engine}: of which the process's own memory (RssAnon)`, value: i.anonGrowthMiB, unit: "MiB" }),
      figure({ name: `${engine}: slowest /healthz during the import`, value: i.healthMaxMs, unit: "ms", goal: below(200), reference: `idle: p50 ${i.idleHealthP50Ms} / max ${i.idleHealthMaxMs} ms` }),
      figure({ name: `${engine}: median /healthz during the import`, value: i.healthP50Ms, unit: "ms", reference: `${fmt(i.healthProbes)} probes` }),
      figure({ name: `${engine}: import time`, value: i.seconds, unit: "s", digits: 1 }),
    );
  }
  report(
    "CSV import: a 24 MB file through the admin console",
    `\`npm run start:http\`; the file (${described}) posted to \`/admin/import\` as a browser's multipart form, enrolling every reader.
Meanwhile this process samples the server's resident memory every 25 ms and asks \`/healthz\` one request after another. Reference in the
same run: the same server, probed the same way for 3 s with nothing to do, just before the import. RSS counts the pages of
the process's mapped files (the Node binary and libraries); RssAnon is the process's own memory.`,
    figures,
  );
}

if (only.has("memory")) {
  const readers = memoryReadersFromEnv();
  log(`memory (npm start, newsletters to ${readers.map((n) => fmt(n)).join(", ")} readers)…`);
  const m = await runMemoryBench({ readers, log });
  const figures: Figure[] = [];
  for (const r of m.runs) {
    const n = fmt(r.readers);
    figures.push(
      figure({ name: `${n} readers: idle`, value: r.idleMiB, unit: "MiB", goal: atMost(150), reference: `${r.idleProcesses.map((p) => `${p.name} ${p.rssMiB} MiB`).join(" + ")}; RssAnon ${r.idleAnonMiB} MiB` }),
      figure({
        name: `${n} readers: peak during the newsletter`,
        value: r.peakMiB,
        unit: "MiB",
        ...(r.readers === 50_000 ? { goal: atMost(300) } : {}),
        reference: `idle ${r.idleMiB} MiB; kernel high-water mark ${r.highWaterMiB} MiB; RssAnon peak ${r.peakAnonMiB} MiB`,
      }),
      figure({
        name: `${n} readers: delivery`,
        value: r.emailsPerSecond,
        unit: "emails/s",
        goal: atLeast(3_000),
        reference: `${fmt(r.emailsInInterval)} emails in ${r.deliverySeconds} s; all ${n} accepted ${r.sendSeconds} s after the API call`,
      }),
      figure({ name: `${n} readers: service CPU per 1,000 emails`, value: r.cpuMsPerThousand, unit: "ms", reference: "user + system time from the API call to the last acceptance" }),
    );
  }
  const small = m.runs.find((r) => r.readers === 20_000);
  const large = m.runs.find((r) => r.readers === 100_000);
  if (small && large) {
    figures.push(
      figure({
        name: "peak at 100,000 readers against peak at 20,000",
        value: ((large.peakMiB - small.peakMiB) / small.peakMiB) * 100,
        unit: "%",
        digits: 1,
        goal: within(10),
        reference: `${small.peakMiB} MiB at 20,000, ${large.peakMiB} MiB at 100,000`,
      }),
    );
  }
  const wrapper = m.runs.some((r) => r.wrapperMiB > 0) ? `An npm wrapper was in the tree and is not counted: ${m.runs.map((r) => `${r.wrapperMiB} MiB`).join(", ")}.` : "No npm wrapper: the service is started with the command `npm start` runs, so there is none to count.";
  report(
    "Memory of `npm start`: idle, and while a newsletter goes out",
    `\`npm start\` (HTTP, send worker and tick in one process) on ${m.engine.replace("sqlite", "SQLite")} (the default), the fake Resend (no rate limit, ${m.providerLatencyMs} ms latency)
in its own process. For each audience size: confirmed readers seeded straight into a fresh database, the service started, resident memory
(VmRSS) summed over its process tree ${m.idleWaitMs / 1000} s after \`/healthz\` first answers (idle), then a newsletter to everyone through
\`POST /admin/api/newsletters\`, memory sampled every ${m.sampleEveryMs} ms until the provider has accepted every email (peak). ${wrapper}
RSS includes the processes' mapped files (the Node binary and libraries; SQLite reads through the kernel's page cache, not a
mapping); RssAnon is the processes' own memory. Audiences: BENCH_MEMORY_READERS.`,
    figures,
  );
}

const m = machine();
const counts = tally(everyFigure.map((e) => e.figure));
const missed = everyFigure.filter((e) => verdictOf(e.figure) === "missed").map((e) => `${e.figure.name} (${e.section.split(":")[0]})`);
const minutes = (performance.now() - started) / 60_000;
const header = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} in ${fmt(minutes, 1)} minutes: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, load average at the end ${loadavg()
  .map((n) => n.toFixed(2))
  .join(" / ")}.
Every figure, reference and verdict below comes from that run; a verdict is computed from its figure. Each benchmark runs its processes on this
machine only (loopback), so figures move with whatever else the machine is doing: compare a figure with its same-run reference.

Goals in this run: ${counts.met} met, ${counts.missed} missed${counts["not measured"] ? `, ${counts["not measured"]} not measured` : ""}.${missed.length ? ` Missed: ${missed.join("; ")}.` : ""}
`;
log(`goals: ${counts.met} met, ${counts.missed} missed, ${counts["not measured"]} not measured; ${fmt(minutes, 1)} minutes`);
// What bounds each figure, written by hand in bench/notes.md: explanations only, no figures.
const notes = existsSync("bench/notes.md") ? `\n${readFileSync("bench/notes.md", "utf8")}` : "";
// BENCH_OUT writes elsewhere, for a trial run that should not replace the committed file.
const out = process.env.BENCH_OUT ?? "BENCHMARKS.md";
writeFileSync(out, `${header}\n${sections.join("\n\n")}\n${notes}`);
log(`wrote ${out}`);
