/**
 * Render benchmark: personalised lesson emails per second, naive path vs production path, in
 * one run. `npx tsx bench/render.bench.ts [--readers 2000] [--rounds 5]`, or `runRenderBench()`
 * from the `npm run bench` driver.
 *
 * - naive: renderLessonEmail per reader (one React render each).
 * - production: renderLessonEmailFast per reader (src/render/personalize.ts: one React render per
 *   lesson version and variant, then per-reader substitution). Timed twice per round: from an
 *   empty template cache (the template builds inside the measured time, as for a worker's first
 *   batch of a lesson version) and with the templates cached (every later batch).
 *
 * Both paths run on React's production build, which is what a server runs: NODE_ENV is set below
 * before anything imports React, and the build actually loaded is detected and printed. Every
 * output string is read (forcing V8 to flatten any rope) so neither path can defer its copying.
 * Readers cycle through the real course's lessons, like a morning's drip batch.
 */
import { realpathSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Course } from "../src/content/schema.ts";
import { errorMessage } from "../src/errors.ts";
import type { LessonEmailInput, RenderedEmail } from "../src/render/types.ts";

// Must run before React is first imported; the imports of React-using modules below are dynamic
// for that reason. If a caller loaded React earlier, `reactBuild` in the result says so.
process.env.NODE_ENV = "production";

export interface RenderBenchOptions {
  /** Emails rendered per path per round, one per reader. */
  readers?: number;
  /** Timed rounds per path; the median is reported. */
  rounds?: number;
  /** Untimed renders per path first, so both are measured JIT-warm. */
  warmup?: number;
  /** Compare every n-th reader byte for byte (readers with hostile names always are). */
  sampleEvery?: number;
  contentDir?: string;
  /** Where the report lines go; `() => {}` for none. */
  log?: (line: string) => void;
}

export interface RenderPathResult {
  /** Emails per round. */
  emails: number;
  /** Median round time. */
  ms: number;
  emailsPerSecond: number;
  /** From the fastest round: the figure least disturbed by other work on the machine. */
  bestEmailsPerSecond: number;
  roundsMs: number[];
}

export interface RenderBenchResult {
  readers: number;
  rounds: number;
  lessons: number;
  reactBuild: "production" | "development" | "unknown";
  node: string;
  naive: RenderPathResult;
  /** renderLessonEmailFast with its templates cached, as in a worker that has sent this lesson before. */
  production: RenderPathResult;
  /** The same, clearing the cache before every round: the round includes building the templates. */
  productionColdCache: RenderPathResult & {
    /** Templates built per round (each is two React renders: with tokens, and the probe check). */
    templatesBuilt: number;
  };
  /** Readers that took the per-recipient render instead of substitution, over all rounds (0 expected). */
  fallbacks: number;
  /** naive / production (steady state), from the medians. */
  speedup: number;
  /** naive / production from an empty cache, from the medians. */
  coldCacheSpeedup: number;
  target: number;
  meetsTarget: boolean;
  /** Readers whose two renders were compared, all identical (the run throws otherwise). */
  compared: number;
}

export const RENDER_SPEEDUP_TARGET = 20;

const FIRST_NAMES = ["Dana", "Ana", "Bo", "Mateus", "Siobhán", "Zoë", "Łukasz", "Nguyễn", "Aoife", "Jean-Luc", "美咲", "Олег"];
/** Signup forms deliver these too; they must come out escaped and identical on both paths. */
const HOSTILE_NAMES = [
  "<script>alert('x')</script>Mallory",
  "O'Brien & \"Sons\"",
  "$& $' $` $1",
  "&amp; &lt;b&gt;",
  "Eve\r\nBcc: x@y",
  "Trudy\u0000\u202e",
  "  ",
];

/** Deterministic, so every run benchmarks the same readers. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function makeReaders(course: Course, count: number): { inputs: LessonEmailInput[]; hostile: Set<number> } {
  const random = prng(20_240_601);
  const inputs: LessonEmailInput[] = [];
  const hostile = new Set<number>();
  for (let i = 0; i < count; i++) {
    let name: string | null;
    if (i % 50 === 7) {
      name = HOSTILE_NAMES[(i / 50) % HOSTILE_NAMES.length | 0] ?? null;
      hostile.add(i);
    } else if (random() < 0.1) name = null;
    else name = FIRST_NAMES[Math.floor(random() * FIRST_NAMES.length)] ?? null;
    // Shaped like the signed tokens compose.ts puts in these URLs.
    const token = Array.from({ length: 43 }, () => TOKEN_CHARS[Math.floor(random() * 64)]).join("");
    const unsubscribeUrl = `https://lessonpost.example/unsubscribe/${token}`;
    inputs.push({
      course,
      lesson: course.lessons[i % course.lessons.length] as Course["lessons"][number],
      recipient: { email: `reader${i}@example.com`, name },
      unsubscribeUrl,
      preferencesUrl: unsubscribeUrl.replace("/unsubscribe/", "/preferences/"),
    });
  }
  return { inputs, hostile };
}

function loadedReactBuild(): RenderBenchResult["reactBuild"] {
  const require = createRequire(import.meta.url);
  // Node registers both branches of React's index.js when importing it from ESM; only one runs.
  const loaded = Object.entries(require.cache)
    .filter(([, module]) => module?.loaded)
    .map(([file]) => file);
  if (loaded.some((file) => /react-dom-server-legacy\.node\.production/.test(file))) return "production";
  if (loaded.some((file) => /react-dom-server-legacy\.node\.development/.test(file))) return "development";
  return "unknown";
}

/** A full collection between phases, so one path's garbage is not collected on the other's clock. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function") return gc as () => void;
  } catch {
    // Without it the medians over rounds still hold; the runs are just noisier.
  }
  return () => {};
}

let sink = 0;
/** Reads every output string, so a rope has to be flattened inside the timed loop. */
function consume(email: RenderedEmail): void {
  sink += email.html.charCodeAt(email.html.length >> 1) + email.text.charCodeAt(email.text.length >> 1) + email.subject.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function timeRound(inputs: readonly LessonEmailInput[], render: (input: LessonEmailInput) => RenderedEmail): number {
  const start = performance.now();
  for (const input of inputs) consume(render(input));
  return performance.now() - start;
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export async function runRenderBench(options: RenderBenchOptions = {}): Promise<RenderBenchResult> {
  const readers = options.readers ?? 2000;
  const rounds = options.rounds ?? 5;
  const warmup = options.warmup ?? 300;
  const sampleEvery = options.sampleEvery ?? 50;
  const log = options.log ?? ((line: string) => console.log(line));
  const contentDir = options.contentDir ?? resolve(import.meta.dirname, "../content/couples-therapy-up-close");

  const { loadCourse } = await import("../src/content/load.ts");
  const { renderLessonEmail } = await import("../src/render/emails.ts");
  const { clearTemplateCache, renderLessonEmailFast, templateCacheStats } = await import("../src/render/personalize.ts");
  const reactBuild = loadedReactBuild();
  const gc = collector();

  const course = await loadCourse(contentDir);
  const { inputs, hostile } = makeReaders(course, readers);

  for (let i = 0; i < warmup; i++) {
    const input = inputs[i % inputs.length] as LessonEmailInput;
    consume(renderLessonEmail(input));
    consume(renderLessonEmailFast(input));
  }

  const naiveMs: number[] = [];
  const steadyMs: number[] = [];
  const coldMs: number[] = [];
  let templatesPerBatch = 0;
  let fallbacks = 0;
  for (let round = 0; round < rounds; round++) {
    gc();
    naiveMs.push(timeRound(inputs, renderLessonEmail));
    clearTemplateCache();
    gc();
    coldMs.push(timeRound(inputs, renderLessonEmailFast));
    templatesPerBatch = Math.max(templatesPerBatch, templateCacheStats().builds);
    gc();
    steadyMs.push(timeRound(inputs, renderLessonEmailFast));
    fallbacks += templateCacheStats().fallbacks;
  }

  // Byte-identity, checked on fresh renders of a sample that includes every hostile name.
  const mismatches: number[] = [];
  let compared = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (i % sampleEvery !== 0 && !hostile.has(i)) continue;
    const input = inputs[i] as LessonEmailInput;
    const naive = renderLessonEmail(input);
    const fast = renderLessonEmailFast(input);
    compared++;
    if (naive.subject !== fast.subject || naive.html !== fast.html || naive.text !== fast.text) mismatches.push(i);
  }
  if (mismatches.length > 0) {
    throw new Error(
      `render bench: the production path differs from a per-recipient render for ${mismatches.length} of ${compared} sampled readers (first: #${mismatches[0]}, name ${JSON.stringify(inputs[mismatches[0] ?? 0]?.recipient.name)}); its figures are not valid`,
    );
  }

  const pathResult = (roundsMs: number[]): RenderPathResult => ({
    emails: readers,
    ms: median(roundsMs),
    emailsPerSecond: (readers / median(roundsMs)) * 1000,
    bestEmailsPerSecond: (readers / Math.min(...roundsMs)) * 1000,
    roundsMs,
  });
  const naive = pathResult(naiveMs);
  const production = pathResult(steadyMs);
  const productionColdCache = { ...pathResult(coldMs), templatesBuilt: templatesPerBatch };
  const speedup = naive.ms / production.ms;
  const result: RenderBenchResult = {
    readers,
    rounds,
    lessons: course.lessons.length,
    reactBuild,
    node: process.version,
    naive,
    production,
    productionColdCache,
    fallbacks,
    speedup,
    coldCacheSpeedup: naive.ms / productionColdCache.ms,
    target: RENDER_SPEEDUP_TARGET,
    meetsTarget: speedup >= RENDER_SPEEDUP_TARGET,
    compared,
  };

  const row = (label: string, path: RenderPathResult, note = ""): string =>
    `  ${label.padEnd(44)} ${fmt(path.emailsPerSecond).padStart(9)} emails/s  (median ${fmt(path.ms, 1)} ms per ${fmt(readers)}; best round ${fmt(path.bestEmailsPerSecond)}/s${note})`;
  log(`Render: personalised lesson emails per second (${course.name}, ${result.lessons} lessons)`);
  log(
    `  React ${reactBuild} build (NODE_ENV=${process.env.NODE_ENV ?? "unset"}), Node ${process.version}, load average ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} CPUs`,
  );
  log(
    `  ${fmt(readers)} readers (names, per-reader unsubscribe and preferences URLs) cycling through the lessons; median of ${rounds} rounds after ${fmt(warmup)} warm-up renders per path`,
  );
  log(row("naive: one React render per reader", naive));
  log(row("production, steady state (templates cached)", production));
  log(
    row(
      "production, each batch from an empty cache",
      productionColdCache,
      `; builds ${templatesPerBatch} templates, 2 React renders each`,
    ),
  );
  log(
    `  speed-up: ${fmt(speedup, 1)}× steady state, ${fmt(result.coldCacheSpeedup, 1)}× from an empty cache (target ≥ ${RENDER_SPEEDUP_TARGET}×: ${result.meetsTarget ? "met" : "NOT met"})`,
  );
  log(
    `  output: byte-identical to the per-recipient render for all ${compared} sampled readers (incl. hostile names); ${fallbacks} readers fell back to a per-recipient render`,
  );
  if (reactBuild !== "production") log("  WARNING: React's production build was not loaded; these are not server figures.");
  if (sink === 0.5) log(""); // Keeps `sink` observable so the reads are not optimised away.
  return result;
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

function numberFlag(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

if (isMain()) {
  try {
    const readers = numberFlag("readers");
    const rounds = numberFlag("rounds");
    await runRenderBench({ ...(readers ? { readers } : {}), ...(rounds ? { rounds } : {}) });
  } catch (error) {
    console.error(errorMessage(error));
    process.exitCode = 1;
  }
}
