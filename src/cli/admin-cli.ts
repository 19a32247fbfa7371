import { createReadStream } from "node:fs";
import { once } from "node:events";
import { userInfo } from "node:os";
import { open, readFile, stat } from "node:fs/promises";
import { Command, CommanderError } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { hashAdminPassword } from "../commands/admin-password.ts";
import { courseAnalytics, funnelCsv, lessonsCsv } from "../commands/analytics.ts";
import { API_SCOPES, createApiKey, listApiKeys, revokeApiKey } from "../commands/api-keys.ts";
import { createNewsletter, parseAudienceField } from "../commands/broadcasts.ts";
import { chooseCourse } from "../commands/course-admin.ts";
import { exportReaderCsv, importReaderCsv } from "../commands/import-readers.ts";
import { findReader as findReaderCommand, runReaderAction } from "../commands/reader-actions.ts";
import { BUCKET_DEFINITIONS, courseReaderCounts, READER_BUCKETS } from "../commands/reader-counts.ts";
import { retryAll } from "../commands/retry-failed.ts";
import { resumeSending } from "../commands/sending-guard.ts";
import type { Services } from "../commands/services.ts";
import { parseConfig, ConfigError } from "../config.ts";
import { loadCatalogue } from "../content/load.ts";
import type { Course } from "../content/schema.ts";
import { DomainError, errorMessage } from "../errors.ts";
import type { DomainErrorKind } from "../errors.ts";
import { createLogger } from "../log.ts";
import { createProducer } from "../queue/producer.ts";
import { broadcastProgress } from "../store/broadcasts.ts";
import { openDatabase } from "../store/connect.ts";
import { retryProgress } from "../store/sends.ts";
import { analyticsText } from "./analytics-text.ts";
import { readerTimelineText } from "./timeline-text.ts";

/**
 * `npm run admin -- <command>`: the console's core jobs from a terminal, against the same database
 * and Redis as the service (same environment variables).
 *
 * Exit codes: 0 done; 1 failed (nothing or not everything happened: the message says what);
 * 2 usage error; 3 done, but some items were refused (an import's rejected rows, a newsletter's
 * failed emails).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3 } as const;

/**
 * The one place a command's refusal becomes an exit code: input that is not acceptable as given
 * (a newsletter without a subject, a time in the past) is a usage error; anything else, such as
 * an unknown reader or a state that forbids the action, means the command failed.
 */
const EXIT_FOR: Record<DomainErrorKind, number> = {
  invalid: EXIT.usage,
  malformed: EXIT.failed,
  not_found: EXIT.failed,
  conflict: EXIT.failed,
  gone: EXIT.failed,
  forbidden: EXIT.failed,
  rate_limited: EXIT.failed,
  unavailable: EXIT.failed,
};

class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.failed,
  ) {
    super(message);
  }
}

/**
 * The Services every command takes, for one CLI run. The producer is the dispatcher: new ledger
 * rows go to the queue at once, and when Redis is down they wait in the ledger for the tick (the
 * warning says so on standard error).
 */
async function withServices<T>(run: (services: Services) => Promise<T>): Promise<T> {
  const config = parseConfig(process.env);
  const db = await openDatabase(config.DATABASE_URL);
  const catalogue = await loadCatalogue(config.CONTENT_DIR);
  const producer = createProducer({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, db, retry: { attempts: config.SEND_ATTEMPTS, delayMs: config.SEND_RETRY_DELAY_MS } });
  const services: Services = {
    db,
    catalogue,
    log: createLogger("warn", (line) => process.stderr.write(`${line}\n`)),
    appUrl: config.APP_URL,
    // The CLI's commands sign no links; a missing key only matters to the server.
    secretKey: config.SECRET_KEY ?? "",
    dispatcher: producer,
    courseDaySeconds: config.COURSE_DAY_SECONDS,
    now: () => Date.now(),
  };
  try {
    return await run(services);
  } finally {
    await producer.close();
    await db.destroy();
  }
}

/**
 * `--course <slug>`: optional with one course, required with several (exit code 2 without it),
 * and an unknown slug is refused with the install's courses named.
 */
function courseOption(services: Services, value: string | undefined): Course {
  return chooseCourse(services.catalogue, value, "strict", "--course <slug>");
}

const COURSE_HELP = "the course (its slug); required when there are several";

async function findReader(services: Services, who: string): Promise<string> {
  const reader = await findReaderCommand(services, who);
  if (!reader) throw new CliError(`No reader with id or address "${who}".`);
  return reader.id;
}

/** Who ran the command, as the resume record keeps it: the login name, when the system has one. */
function cliUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown user";
  }
}

function bar(label: string): SingleBar {
  return new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total}`, noTTYOutput: true, notTTYSchedule: 1000, stream: process.stderr }, Presets.shades_classic);
}

export function buildProgram(out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Command {
  const program = new Command("admin").description("Lessonpost administration").exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode: number = EXIT.ok;
  program.setOptionValue("exitCode", () => exitCode);

  program
    .command("send-lesson")
    .description("send one lesson to one reader now")
    .argument("<reader>", "reader id or email address")
    .argument("<lesson>", "the lesson's number in the course (2) or its slug")
    .option("--course <slug>", COURSE_HELP)
    .action(async (who: string, slug: string, options: { course?: string }) =>
      withServices(async (services) => {
        const course = courseOption(services, options.course);
        const id = await findReader(services, who);
        const { sendId, lesson } = await runReaderAction(services, id, "send-lesson", { lesson: slug, course: course.slug });
        out(`Queued lesson ${lesson!.number} "${lesson!.title}" (${lesson!.slug}) for ${who} (send ${sendId}).`);
      }),
    );

  program
    .command("broadcast")
    .description("send a newsletter, in a course's name, to every active reader, the course's readers, or one stage of it")
    .option("--course <slug>", `${COURSE_HELP}: the newsletter is sent in its name`)
    .requiredOption("--subject <text>", "subject line")
    .option("--preview <text>", "inbox preview text shown after the subject (default: the first words)")
    .option("--markdown-file <path>", "the newsletter, as Markdown")
    .option("--lesson <slug>", "send this lesson as the newsletter")
    .option("--audience <who>", '"all" (every active reader, the default), "course" (the course\'s readers) or "stage:<lesson-slug>"')
    .option("--stage <slug>", "only the course's readers whose next lesson is this one (same as --audience stage:<slug>)")
    .option("--at <iso-time>", "schedule instead of sending now")
    .option("--wait", "show progress until every email is settled")
    .action(async (options: { course?: string; subject: string; preview?: string; markdownFile?: string; lesson?: string; audience?: string; stage?: string; at?: string; wait?: boolean }) =>
      withServices(async (services) => {
        const { db } = services;
        const course = courseOption(services, options.course);
        if (options.stage && options.audience) throw new CliError("Give --audience or --stage, not both.", EXIT.usage);
        const audience = parseAudienceField(options.stage ? `stage:${options.stage}` : (options.audience ?? "all"));
        const markdown = options.markdownFile ? await readFile(options.markdownFile, "utf8") : null;
        const scheduledAt = options.at ? Date.parse(options.at) : null;
        if (scheduledAt !== null && !Number.isFinite(scheduledAt)) throw new CliError(`--at must be an ISO time such as 2026-12-01T09:00:00Z, not "${options.at}".`, EXIT.usage);
        const { id } = await createNewsletter(services, course, {
          subject: options.subject,
          preview: options.preview ?? null,
          markdown,
          lessonSlug: options.lesson ?? null,
          audience,
          scheduledAt,
          start: true,
        });
        out(scheduledAt === null ? `Newsletter ${id} is going out.` : `Newsletter ${id} is scheduled for ${new Date(scheduledAt).toISOString()}.`);
        if (!options.wait || scheduledAt !== null) return;
        const progress = bar("Sending");
        progress.start(1, 0);
        for (;;) {
          const p = (await broadcastProgress(db, id))!;
          progress.setTotal(Math.max(1, p.total));
          progress.update(p.sent + p.failed + p.cancelled);
          if (p.status === "sent" || p.status === "cancelled") {
            progress.stop();
            out(`Done: ${p.sent} sent, ${p.failed} failed, ${p.bounced} bounced, ${p.cancelled} cancelled.`);
            if (p.failed > 0) exitCode = EXIT.partial;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }),
    );

  program
    .command("retry-failed")
    .description("put every failed email back in the queue (an email that may have reached the provider repeats its original request)")
    .option("--wait", "show progress until every retried email is settled")
    .option("--course <slug>", "only this course's failed emails (default: every course's)")
    .action(async (options: { wait?: boolean; course?: string }) =>
      withServices(async (services) => {
        const course = options.course === undefined ? undefined : courseOption(services, options.course);
        const queueing = bar("Re-queuing");
        let started = false;
        const requeued = await retryAll(services, {
          course,
          offerBatches: true,
          onPage: (done, total) => {
            if (!started && total > 0) queueing.start(total, 0);
            started ||= total > 0;
            if (started) queueing.update(done);
          },
        });
        const { since } = requeued;
        if (started) queueing.stop();
        out(`Retried ${requeued.count} failed email${requeued.count === 1 ? "" : "s"}.`);
        if (!options.wait || requeued.count === 0) return;
        const sending = bar("Sending");
        sending.start(requeued.count, 0);
        for (;;) {
          const p = await retryProgress(services.db, since);
          sending.update(p.sent + p.failed + p.cancelled);
          if (p.waiting === 0) {
            sending.stop();
            out(`Done: ${p.sent} sent, ${p.failed} failed again, ${p.cancelled} cancelled.`);
            if (p.failed > 0) exitCode = EXIT.partial;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }),
    );

  program
    .command("import")
    .description("import readers from a CSV file (columns: email, name, timezone) into a course")
    .argument("<file>", "CSV file")
    .requiredOption("--source <text>", "where these readers gave their consent")
    .option("--course <slug>", `${COURSE_HELP}: the course they agreed to receive`)
    .option("--no-enroll", "do not start the course for them")
    .action(async (file: string, options: { source: string; enroll: boolean; course?: string }) =>
      withServices(async (services) => {
        const course = courseOption(services, options.course);
        const size = await stat(file).then((s) => s.size).catch(() => {
          throw new CliError(`Cannot read ${file}.`);
        });
        const progress = bar("Importing");
        let started = false;
        try {
          // Streamed, a page of rows at a time: a large file is never held whole.
          const report = await importReaderCsv(services, course, createReadStream(file), {
            consentSource: options.source,
            enroll: options.enroll,
            onProgress: ({ bytes }: { bytes: number }) => {
              if (!started) progress.start(Math.max(1, size), 0);
              started = true;
              progress.update(bytes);
            },
          });
          if (started) progress.stop();
          out(`Imported ${report.imported} of ${report.rows} rows.`);
          for (const p of report.joined) out(`line ${p.line}: joined: ${p.email}: ${p.reason}`);
          for (const [label, list] of [["invalid", report.invalid], ["duplicate", report.duplicates], ["suppressed", report.suppressed], ["already a reader", report.existing]] as const) {
            for (const p of list) out(`line ${p.line}: ${label}: ${p.email}: ${p.reason}`);
          }
          for (const p of report.warnings) out(`line ${p.line}: warning: ${p.email}: ${p.reason}`);
          if (report.imported < report.rows) exitCode = EXIT.partial;
        } catch (error) {
          if (started) progress.stop();
          throw error;
        }
      }),
    );

  program
    .command("export")
    .description("export every reader as CSV, with their place in a course (to a file, or standard output)")
    .argument("[file]", "where to write")
    .option("--course <slug>", `${COURSE_HELP}: whose status and next lesson the columns show`)
    .action(async (file: string | undefined, options: { course?: string }) =>
      withServices(async (services) => {
        const course = courseOption(services, options.course);
        if (!file) {
          for await (const chunk of exportReaderCsv(services, course)) if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
          return;
        }
        const target = await open(file, "w").catch(() => {
          throw new CliError(`Cannot write ${file}.`);
        });
        let lines = 0;
        try {
          for await (const chunk of exportReaderCsv(services, course)) {
            lines += chunk.split("\r\n").length - 1;
            await target.write(chunk);
          }
        } finally {
          await target.close();
        }
        out(`Wrote ${lines - 1} readers to ${file}.`);
      }),
    );

  program
    .command("timeline")
    .description("show a reader's history and why their next lesson is (not) due")
    .argument("<reader>", "reader id or email address")
    .option("--course <slug>", "the course to explain (default: the reader's first)")
    .action(async (who: string, options: { course?: string }) =>
      withServices(async (services) => {
        // Optional even with several courses: a reader's page is about their own first course by default.
        const course = options.course === undefined ? undefined : courseOption(services, options.course);
        out(await readerTimelineText(services, await findReader(services, who), course));
      }),
    );

  const keys = program.command("keys").description("API keys for /admin/api, each with its scopes (read, readers:write, send, admin)");
  keys
    .command("create")
    .description("create a key; it is printed once, and only its hash is kept")
    .requiredOption("--name <name>", "who uses the key, such as \"CRM sync\"")
    .option("--scope <scope>", `a scope the key holds (repeat for several): ${API_SCOPES.join(", ")}`, (value: string, all: string[]) => [...all, value], [] as string[])
    .action(async (options: { name: string; scope: string[] }) =>
      withServices(async (services) => {
        const { key, summary } = await createApiKey(services, { name: options.name, scopes: options.scope });
        out(`Created API key ${summary.id} "${summary.name}" with ${summary.scopes.join(", ")}.`);
        out("The key (shown once; keep it somewhere safe):");
        out(key);
      }),
    );
  keys
    .command("list")
    .description("list the keys: never the keys themselves, their first characters, scopes and last use")
    .action(async () =>
      withServices(async (services) => {
        const all = await listApiKeys(services);
        if (all.length === 0) out("No API keys yet.");
        const when = (t: number | null) => (t === null ? "never" : new Date(t).toISOString());
        for (const k of all) {
          out(`${k.id}  ${k.hint}…  ${JSON.stringify(k.name)}  ${k.scopes.join(",")}  created ${when(k.createdAt)}  last used ${when(k.lastUsedAt)}${k.revokedAt === null ? "" : `  REVOKED ${when(k.revokedAt)}`}`);
        }
      }),
    );
  keys
    .command("revoke")
    .description("revoke a key at once: every request with it is refused from now on")
    .argument("<id>", "the key's id (see keys list)")
    .action(async (id: string) =>
      withServices(async (services) => {
        const revoked = await revokeApiKey(services, id);
        out(`Revoked API key ${revoked.id} "${revoked.name}".`);
      }),
    );

  program
    .command("analytics")
    .description("a course's per-lesson figures and its funnel by signup week (tables, or CSV)")
    .option("--course <slug>", COURSE_HELP)
    .option("--csv [table]", 'print one table as CSV instead: "lessons" (the default) or "funnel"')
    .action(async (options: { course?: string; csv?: string | boolean }) =>
      withServices(async (services) => {
        const course = courseOption(services, options.course);
        const csv = options.csv === true ? "lessons" : options.csv;
        if (csv !== undefined && csv !== false && csv !== "lessons" && csv !== "funnel") throw new CliError(`--csv takes "lessons" or "funnel", not "${csv}".`, EXIT.usage);
        const data = await courseAnalytics(services, course);
        if (csv === "lessons" || csv === "funnel") process.stdout.write(csv === "lessons" ? lessonsCsv(data) : funnelCsv(data));
        else out(analyticsText(data));
      }),
    );

  program
    .command("stats")
    .description("a course's readers by state (the dashboard's numbers), one per line")
    .option("--course <slug>", COURSE_HELP)
    .option("--json", "print the counts as one JSON object")
    .action(async (options: { course?: string; json?: boolean }) =>
      withServices(async (services) => {
        const course = courseOption(services, options.course);
        const counts = await courseReaderCounts(services, course);
        if (options.json) {
          out(JSON.stringify({ course: course.slug, ...counts }));
          return;
        }
        out(`${course.name} (${course.slug}): ${counts.total} readers`);
        const width = Math.max(...READER_BUCKETS.map((b) => b.length));
        for (const bucket of READER_BUCKETS) out(`  ${bucket.padEnd(width)}  ${String(counts[bucket]).padStart(6)}  ${BUCKET_DEFINITIONS[bucket].means}`);
      }),
    );

  program
    .command("resume-sending")
    .description("resume lessons and newsletters after the complaint-rate guard paused them")
    .action(async () =>
      withServices(async (services) => {
        const pause = await resumeSending(services, `cli (${cliUser()})`);
        out(`Sending resumed; it was paused at ${new Date(pause.paused_at).toISOString()}: ${pause.reason}`);
        out("Queued lessons and newsletters go out with the next scheduler tick.");
      }),
    );

  program
    .command("hash-password")
    .description("print an ADMIN_PASSWORD_HASH for the password given on standard input")
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const password = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
      if (password.length < 12) throw new CliError("Use a password of at least 12 characters.", EXIT.usage);
      out(await hashAdminPassword(password));
    });

  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return (program.getOptionValue("exitCode") as () => number)();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof DomainError) {
      process.stderr.write(`admin: ${error.message}\n`);
      return EXIT_FOR[error.kind];
    }
    if (error instanceof CliError) {
      process.stderr.write(`admin: ${error.message}\n`);
      return error.code;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`admin: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`admin: ${errorMessage(error)}\n`);
    return EXIT.failed;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runCli(process.argv.slice(2));
}
