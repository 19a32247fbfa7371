import Papa from "papaparse";
import type { Course } from "../content/schema.ts";
import { isValidTimezone } from "../domain/schedule.ts";
import { emailKey, emailSchema } from "../email-address.ts";
import { invalid, malformed } from "../errors.ts";
import { singleLine } from "../text.ts";
import { commitImportPage, detached, exportReadersCsv } from "../store/reader-import.ts";
import type { ImportCandidate, ImportedPage, ImportReport } from "../store/reader-import.ts";
import type { Database } from "../store/database.ts";
import type { Services } from "./services.ts";
import { emit } from "./emit-event.ts";
import { anyEndpointEnabled } from "../store/outgoing-webhooks.ts";

/**
 * CSV import of readers who consented somewhere else (a webinar list, an old newsletter). The
 * admin states where that consent came from; it is stored with every row, like a form signup's.
 * Nothing is guessed: every row that is not imported is reported with its line and the reason.
 */

export interface ImportOptions {
  /** Where these readers agreed to receive email, in the admin's words (stored as consent). */
  consentSource: string;
  /** Start the course for them now (lesson 1 goes out at the next tick). */
  enroll: boolean;
  /** Called after each page of rows is committed, for progress bars. */
  onProgress?: (progress: ImportProgress) => void;
  /** Called with what each committed page created, before the next page is read. */
  onPage?: (page: ImportedPage) => Promise<void>;
}

export interface ImportProgress {
  /** Data rows read and settled so far (imported or reported). */
  rows: number;
  /** Bytes of the file read so far (the parser may hold up to one chunk of them unsettled). */
  bytes: number;
}

/** A file or consent source that cannot be imported as given; nothing of it was imported. */
const notImportable = (code: string, message: string) => invalid(code, message, "Not imported");
/** A file that is not a list of readers at all (no "email" column). */
const notAReaderList = (message: string) => malformed("no_email_column", message, "Not imported");

/** A whole file as text, or its bytes (or text) as they arrive: an upload, a file stream. */
export type CsvInput = string | AsyncIterable<Uint8Array | string>;

/**
 * Rows per page: one lookup of suppressions and existing readers, one transaction. Small enough
 * that a page on SQLite (synchronous, so it holds the event loop) stays well under 100 ms.
 */
const PAGE = 100;

const HEADER_ERROR = (header: string[]) => `The first line must name the columns, including "email" (found: ${header.join(", ") || "nothing"}).`;

async function* pieces(input: CsvInput): AsyncGenerator<Uint8Array | string> {
  if (typeof input === "string") yield input;
  else yield* input;
}

/**
 * The file's records one at a time, parsed by papaparse as the bytes arrive. Backpressure runs all
 * the way back to the source: while the caller is busy with a page, the parser stops, its stream
 * stops taking text, and the source (an upload) is not read further.
 */
async function* csvRecords(input: CsvInput, header: string[], counter: { bytes: number }): AsyncGenerator<Record<string, string | undefined>> {
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, {
    header: true,
    skipEmptyLines: "greedy",
    transformHeader: (h: string) => {
      const name = h.trim().toLowerCase();
      header.push(name);
      return name;
    },
  });
  const waitForDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off("drain", done);
        parser.off("close", done);
        resolve();
      };
      parser.on("drain", done);
      parser.on("close", done);
    });
  const feeding = (async () => {
    // Decoding here, not in papaparse: it would decode each chunk alone and split characters.
    const decoder = new TextDecoder("utf-8");
    let first = true;
    try {
      for await (const piece of pieces(input)) {
        if (parser.destroyed) return;
        counter.bytes += typeof piece === "string" ? piece.length : piece.byteLength;
        let text = typeof piece === "string" ? piece : decoder.decode(piece, { stream: true });
        if (first && text) {
          text = text.replace(/^\uFEFF/, "");
          first = false;
        }
        if (text && !parser.write(text)) await waitForDrain();
      }
      const rest = decoder.decode();
      if (rest && !parser.destroyed) parser.write(rest);
      if (!parser.destroyed) parser.end();
    } catch (error) {
      parser.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  try {
    for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) yield record;
  } finally {
    parser.destroy();
    await feeding;
  }
}

/**
 * The first line of each address in the file, to report later ones as duplicates. Kept as 64-bit
 * fingerprints in typed arrays (12 bytes a slot, outside the garbage-collected heap) rather than a
 * Map of strings: a file of half a million addresses would otherwise hold tens of megabytes of
 * strings and keep the collector busy. Two different addresses share a fingerprint with odds of
 * about n² / 2⁶⁵; a match is therefore only a suspicion, confirmed by the database (see Candidate).
 */
class FirstLines {
  private size = 0;
  private high = new Uint32Array(1 << 16);
  private low = new Uint32Array(1 << 16);
  private lines = new Uint32Array(1 << 16);

  /** The line the address was first seen on, or undefined (and this line is remembered). */
  firstOrRemember(address: string, line: number): number | undefined {
    // cyrb53's mixing, both halves kept.
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < address.length; i++) {
      const ch = address.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    const found = this.find(h1 >>> 0, h2 >>> 0);
    if (this.lines[found] !== 0) return this.lines[found];
    this.high[found] = h1 >>> 0;
    this.low[found] = h2 >>> 0;
    this.lines[found] = line;
    if (++this.size * 2 > this.lines.length) this.grow();
    return undefined;
  }

  private find(high: number, low: number): number {
    const mask = this.lines.length - 1;
    let i = (high ^ low) & mask;
    while (this.lines[i] !== 0 && (this.high[i] !== high || this.low[i] !== low)) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { high, low, lines } = this;
    this.high = new Uint32Array(lines.length * 2);
    this.low = new Uint32Array(lines.length * 2);
    this.lines = new Uint32Array(lines.length * 2);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === 0) continue;
      const at = this.find(high[i]!, low[i]!);
      this.high[at] = high[i]!;
      this.low[at] = low[i]!;
      this.lines[at] = lines[i]!;
    }
  }
}

/**
 * Reads the file as it arrives and commits it a page at a time, yielding to the event loop between
 * pages, so a large file holds neither the whole text in memory nor the process for long. Only a
 * fingerprint of each address seen so far is kept (to report duplicates within the file by line).
 */
export async function importReaders(db: Database, course: Course, input: CsvInput, options: ImportOptions, now: number): Promise<ImportReport> {
  const source = singleLine(options.consentSource);
  if (source.length < 3) throw notImportable("consent_source_required", "Say where these readers gave their consent (at least a few words).");
  if (source.length > 200) throw notImportable("consent_source_too_long", "Keep the consent source under 200 characters.");
  const report: ImportReport = { rows: 0, imported: 0, joined: [], duplicates: [], invalid: [], suppressed: [], existing: [], warnings: [] };
  const header: string[] = [];
  const counter = { bytes: 0 };
  const seen = new FirstLines();
  let page: ImportCandidate[] = [];

  const flush = async () => {
    const chunk = page;
    page = [];
    if (chunk.length > 0) {
      const committed = await commitImportPage(db, course, chunk, report, source, options.enroll, now);
      await options.onPage?.(committed);
    }
    options.onProgress?.({ rows: report.rows, bytes: counter.bytes });
    // Let requests in between pages (better-sqlite3 answers synchronously, so a page holds the loop).
    await new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
  };

  for await (const row of csvRecords(input, header, counter)) {
    if (report.rows === 0 && !header.includes("email")) throw notAReaderList(HEADER_ERROR(header));
    report.rows += 1;
    const line = report.rows + 1;
    const raw = (row.email ?? "").trim();
    const email = emailSchema.safeParse(raw);
    if (!email.success) {
      report.invalid.push({ line, email: detached(raw.slice(0, 254)), reason: email.error.issues[0]?.message ?? "invalid address" });
    } else {
      const first = seen.firstOrRemember(emailKey(email.data), line);
      // eslint-disable-next-line no-control-regex
      const name = (row.name ?? "").replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim().slice(0, 100) || null;
      const zone = row.timezone?.trim();
      // An unknown zone is not a reason to drop a reader who consented, but the admin must learn
      // which zone their lessons will follow instead, so the line is reported as a warning.
      const timezone = isValidTimezone(zone) ? zone : course.schedule.timezone;
      if (zone && timezone !== zone) {
        report.warnings.push({ line, email: detached(email.data), reason: `unknown time zone "${zone.slice(0, 60)}": the course's zone, ${timezone}, is used instead` });
      }
      const candidate: ImportCandidate = { line, email: email.data, name, timezone };
      if (first !== undefined) candidate.sameFingerprintAs = first;
      page.push(candidate);
    }
    if (report.rows % PAGE === 0) await flush();
  }
  if (report.rows === 0 && !header.includes("email")) throw notAReaderList(HEADER_ERROR(header));
  await flush();
  return report;
}

/**
 * The import as a command, into one course: its readers' consent is recorded for that course, and
 * with `enroll` they start it. The console's upload, the API and the CLI call this (importReaders
 * is its body, by parts).
 */
export async function importReaderCsv(services: Services, course: Course, csv: CsvInput, options: ImportOptions): Promise<ImportReport> {
  // Other tools hear about imported readers as about signed-up ones. Asked once per page whether
  // anyone listens, so an install without webhooks imports at full speed.
  const onPage = async (page: ImportedPage) => {
    if (page.created.length + page.joined.length === 0 || !(await anyEndpointEnabled(services.db))) return;
    for (const r of page.created) {
      await emit(services, { type: "subscriber.created", subscriberId: r.subscriberId, dedupeKey: `subscriber.created:${r.subscriberId}`, data: { course: course.slug, source: "import" } });
      if (r.enrollmentId) await emit(services, { type: "enrollment.started", subscriberId: r.subscriberId, data: { course: course.slug, enrollmentId: r.enrollmentId } });
    }
    for (const r of page.joined) await emit(services, { type: "enrollment.started", subscriberId: r.subscriberId, data: { course: course.slug, enrollmentId: r.enrollmentId } });
  };
  const report = await importReaders(services.db, course, csv, { ...options, onPage }, services.now());
  services.log.info("admin action", { action: "import", course: course.slug, rows: report.rows, imported: report.imported });
  return report;
}

/** Every reader as CSV lines, a page at a time, with their place in the course. */
export function exportReaderCsv(services: Pick<Services, "db">, course: Course): AsyncGenerator<string> {
  return exportReadersCsv(services.db, course);
}
