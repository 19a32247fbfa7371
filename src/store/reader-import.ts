import Papa from "papaparse";
import type { Course } from "../content/schema.ts";
import { singleLine } from "../text.ts";
import { emailKey, emailSchema } from "../email-address.ts";
import { resolveTimezone } from "../scheduler/schedule.ts";
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
  /** Called after each chunk, for progress bars. */
  onProgress?: (done: number, total: number) => void;
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

export class ImportError extends Error {
  override name = "ImportError";
}

const CHUNK = 500;

export function parseReaderCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ""), {
    header: true,
    skipEmptyLines: "greedy",
    transformHeader: (h) => h.trim().toLowerCase(),
  });
  const header = parsed.meta.fields ?? [];
  if (!header.includes("email")) throw new ImportError(`The first line must name the columns, including "email" (found: ${header.join(", ") || "nothing"}).`);
  return { header, rows: parsed.data };
}

export async function importReaders(db: Database, course: Course, text: string, options: ImportOptions, now: number): Promise<ImportReport> {
  const source = singleLine(options.consentSource);
  if (source.length < 3) throw new ImportError("Say where these readers gave their consent (at least a few words).");
  if (source.length > 200) throw new ImportError("Keep the consent source under 200 characters.");
  const { rows } = parseReaderCsv(text);
  const report: ImportReport = { rows: rows.length, imported: 0, duplicates: [], invalid: [], suppressed: [], existing: [] };

  const seen = new Map<string, number>();
  const candidates: { line: number; email: string; name: string | null; timezone: string }[] = [];
  rows.forEach((row, index) => {
    const line = index + 2;
    const raw = (row.email ?? "").trim();
    const email = emailSchema.safeParse(raw);
    if (!email.success) {
      report.invalid.push({ line, email: raw.slice(0, 254), reason: email.error.issues[0]?.message ?? "invalid address" });
      return;
    }
    const key = emailKey(email.data);
    const first = seen.get(key);
    if (first !== undefined) {
      report.duplicates.push({ line, email: email.data, reason: `same address as line ${first}` });
      return;
    }
    seen.set(key, line);
    // eslint-disable-next-line no-control-regex
    const name = (row.name ?? "").replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim().slice(0, 100) || null;
    candidates.push({ line, email: email.data, name, timezone: resolveTimezone(row.timezone?.trim(), course.schedule.timezone) });
  });

  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    const hashes = await Promise.all(chunk.map((c) => emailHash(c.email)));
    const suppressed = new Set((await db.selectFrom("suppressions").select("email_hash").where("email_hash", "in", hashes).where("reason", "in", ["bounced", "complained"]).execute()).map((r) => r.email_hash));
    const existing = new Set((await db.selectFrom("subscribers").select("email_key").where("email_key", "in", chunk.map((c) => emailKey(c.email))).execute()).map((r) => r.email_key));
    const fresh = chunk.filter((c, j) => {
      if (suppressed.has(hashes[j]!)) {
        report.suppressed.push({ line: c.line, email: c.email, reason: "bounced or complained before: never mailed again" });
        return false;
      }
      if (existing.has(emailKey(c.email))) {
        report.existing.push({ line: c.line, email: c.email, reason: "already a reader" });
        return false;
      }
      return true;
    });
    await db.transaction().execute(async (trx) => {
      for (const c of fresh) {
        const id = crypto.randomUUID();
        const inserted = await trx
          .insertInto("subscribers")
          .values({
            id, email: c.email, name: c.name, timezone: c.timezone, status: "active", created_at: now, updated_at: now, confirmed_at: now,
            unsubscribed_at: null, confirmation_sent_at: null, consent_at: now, consent_ip: null, consent_user_agent: null,
            consent_form: `import: ${source}`, consent_text_version: "import",
          })
          // Either unique index (email, email_key) means the reader exists.
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
          report.existing.push({ line: c.line, email: c.email, reason: "already a reader" });
          continue;
        }
        await trx.insertInto("consent_events").values({ id: crypto.randomUUID(), subscriber_id: id, kind: "opt_in", at: now, ip: null, user_agent: null, detail: JSON.stringify({ how: "import", source }) }).execute();
        if (options.enroll) {
          await trx
            .insertInto("enrollments")
            .values({ id: crypto.randomUUID(), subscriber_id: id, course_slug: course.slug, status: "active", started_at: now, next_slug: course.lessons[0]?.slug ?? null, next_due_at: now, last_day: -1, last_sent_at: null, completed_at: null, created_at: now, updated_at: now })
            .execute();
        }
        report.imported += 1;
      }
    });
    options.onProgress?.(Math.min(i + CHUNK, candidates.length), candidates.length);
  }
  return report;
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
    // Papa escapes quotes and separators; a leading = + - @ is prefixed so spreadsheets never run it.
    const safe = (v: string | null) => (v && /^[=+\-@\t\r]/.test(v) ? `'${v}` : (v ?? ""));
    yield `${Papa.unparse(page.map((r) => [r.email, safe(r.name), r.timezone, r.status, iso(r.created_at), iso(r.confirmed_at), safe(r.consent_form), r.enrollment_status ?? "", r.next_slug ?? ""]))}\r\n`;
    after = page[page.length - 1]!.id;
  }
}
