import Papa from "papaparse";
import type { Course } from "../content/schema.ts";
import { invalid, malformed } from "../errors.ts";
import { singleLine } from "../text.ts";
import { emailKey, emailSchema } from "../email-address.ts";
import { resolveTimezone } from "../domain/schedule.ts";
import type { Database } from "./database.ts";
import { emailHash } from "./suppressions.ts";

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
}

export interface ImportProgress {
  /** Data rows read and settled so far (imported or reported). */
  rows: number;
  /** Bytes of the file read so far (the parser may hold up to one chunk of them unsettled). */
  bytes: number;
}

export interface ImportProblem {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  email: string;
  reason: string;
}

export interface ImportReport {
  rows: number;
  imported: number;
  duplicates: ImportProblem[];
  invalid: ImportProblem[];
  suppressed: ImportProblem[];
  existing: ImportProblem[];
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

/** A copy that does not keep papaparse's whole input chunk alive (V8 slices substrings). */
const detached = (s: string) => structuredClone(s);

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

interface Candidate {
  line: number;
  email: string;
  name: string | null;
  timezone: string;
  /**
   * The line whose address had the same fingerprint. A fingerprint match is only a suspicion (two
   * addresses may share one): it is confirmed when the database already holds the address, so a
   * collision can never drop a reader, only at worst word the reason of a refused row differently.
   */
  sameFingerprintAs?: number;
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
  const report: ImportReport = { rows: 0, imported: 0, duplicates: [], invalid: [], suppressed: [], existing: [] };
  const header: string[] = [];
  const counter = { bytes: 0 };
  const seen = new FirstLines();
  let page: Candidate[] = [];

  const flush = async () => {
    const chunk = page;
    page = [];
    if (chunk.length > 0) await commitPage(db, course, chunk, report, source, options.enroll, now);
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
      const candidate: Candidate = { line, email: email.data, name, timezone: resolveTimezone(row.timezone?.trim(), course.schedule.timezone) };
      if (first !== undefined) candidate.sameFingerprintAs = first;
      page.push(candidate);
    }
    if (report.rows % PAGE === 0) await flush();
  }
  if (report.rows === 0 && !header.includes("email")) throw notAReaderList(HEADER_ERROR(header));
  await flush();
  return report;
}

async function commitPage(db: Database, course: Course, chunk: Candidate[], report: ImportReport, source: string, enroll: boolean, now: number): Promise<void> {
  const hashes = await Promise.all(chunk.map((c) => emailHash(c.email)));
  const suppressed = new Set((await db.selectFrom("suppressions").select("email_hash").where("email_hash", "in", hashes).where("reason", "in", ["bounced", "complained"]).execute()).map((r) => r.email_hash));
  const existing = new Set((await db.selectFrom("subscribers").select("email_key").where("email_key", "in", chunk.map((c) => emailKey(c.email))).execute()).map((r) => r.email_key));
  // A row the database refuses as already there: a duplicate within the file when its fingerprint
  // matched an earlier line, else a reader who was there before the import.
  const alreadyThere = (c: Candidate) =>
    c.sameFingerprintAs !== undefined
      ? report.duplicates.push({ line: c.line, email: detached(c.email), reason: `same address as line ${c.sameFingerprintAs}` })
      : report.existing.push({ line: c.line, email: detached(c.email), reason: "already a reader" });
  const fresh = chunk.filter((c, j) => {
    if (suppressed.has(hashes[j]!)) {
      report.suppressed.push({ line: c.line, email: detached(c.email), reason: "bounced or complained before: never mailed again" });
      return false;
    }
    if (existing.has(emailKey(c.email))) {
      alreadyThere(c);
      return false;
    }
    return true;
  });
  if (fresh.length === 0) return;
  const rows = fresh.map((c) => ({ ...c, id: crypto.randomUUID() }));
  await db.transaction().execute(async (trx) => {
    // One statement per table per page; a reader who signed up since the lookup is skipped, not overwritten.
    const inserted = await trx
      .insertInto("subscribers")
      .values(
        rows.map((c) => ({
          id: c.id, email: c.email, name: c.name, timezone: c.timezone, status: "active" as const, created_at: now, updated_at: now, confirmed_at: now,
          unsubscribed_at: null, confirmation_sent_at: null, consent_at: now, consent_ip: null, consent_user_agent: null,
          consent_form: `import: ${source}`, consent_text_version: "import",
        })),
      )
      // Either unique index (email, email_key) means the reader is there: an earlier line of this
      // page, or a signup since the lookup. Skipped, never overwritten.
      .onConflict((oc) => oc.doNothing())
      .returning("id")
      .execute();
    const ids = new Set(inserted.map((r) => r.id));
    for (const c of rows) if (!ids.has(c.id)) alreadyThere(c);
    const added = rows.filter((c) => ids.has(c.id));
    if (added.length === 0) return;
    const detail = JSON.stringify({ how: "import", source });
    await trx.insertInto("consent_events").values(added.map((c) => ({ id: crypto.randomUUID(), subscriber_id: c.id, kind: "opt_in" as const, at: now, ip: null, user_agent: null, detail }))).execute();
    if (enroll) {
      await trx
        .insertInto("enrollments")
        .values(added.map((c) => ({ id: crypto.randomUUID(), subscriber_id: c.id, course_slug: course.slug, status: "active" as const, started_at: now, next_slug: course.lessons[0]?.slug ?? null, next_due_at: now, last_day: -1, last_sent_at: null, completed_at: null, created_at: now, updated_at: now })))
        .execute();
    }
    report.imported += added.length;
  });
}

/**
 * Papa escapes quotes and separators; a cell starting with = + - @ TAB or CR is prefixed with a
 * quote so a spreadsheet shows it instead of running it (OWASP "CSV injection"). Every column goes
 * through this, the address too: a valid local part may begin with "=" or "+" or "-".
 */
export function spreadsheetSafe(value: string | null): string {
  if (value === null) return "";
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const EXPORT_COLUMNS = ["email", "name", "timezone", "status", "signed_up_at", "confirmed_at", "consent_source", "course_status", "next_lesson"] as const;

/** Every reader (erased ones are gone already), a page at a time, as CSV lines. */
export async function* exportReadersCsv(db: Database, course: Course): AsyncGenerator<string> {
  yield `${Papa.unparse([EXPORT_COLUMNS as unknown as string[]])}\r\n`;
  let after = "";
  for (;;) {
    const page = await db
      .selectFrom("subscribers")
      .leftJoin("enrollments", (join) => join.onRef("enrollments.subscriber_id", "=", "subscribers.id").on("enrollments.course_slug", "=", course.slug))
      .select(["subscribers.id", "subscribers.email", "subscribers.name", "subscribers.timezone", "subscribers.status", "subscribers.created_at", "subscribers.confirmed_at", "subscribers.consent_form", "enrollments.status as enrollment_status", "enrollments.next_slug"])
      .where("subscribers.id", ">", after)
      .orderBy("subscribers.id")
      .limit(1000)
      .execute();
    if (page.length === 0) return;
    const iso = (t: number | null) => (t === null ? "" : new Date(Number(t)).toISOString());
    const cells = page.map((r) => [r.email, r.name, r.timezone, r.status, iso(r.created_at), iso(r.confirmed_at), r.consent_form, r.enrollment_status ?? "", r.next_slug ?? ""].map(spreadsheetSafe));
    yield `${Papa.unparse(cells)}\r\n`;
    after = page[page.length - 1]!.id;
  }
}
