import Papa from "papaparse";
import type { Course } from "../content/schema.ts";
import { emailKey } from "../email-address.ts";
import type { Database } from "./database.ts";
import { emailHash } from "./suppressions.ts";
import { timeOrderedId } from "./row-ids.ts";

/**
 * The store's half of the CSV import (src/commands/import-readers.ts reads and checks the file):
 * one page of checked rows at a time, against suppressions and existing readers, in one
 * transaction. And the export, a page of readers at a time.
 */

export interface ImportProblem {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  email: string;
  reason: string;
}

export interface ImportReport {
  rows: number;
  /** New readers, and readers of another course who joined this one (`joined`). */
  imported: number;
  /** Confirmed readers of another course of the install who were enrolled in this one. */
  joined: ImportProblem[];
  duplicates: ImportProblem[];
  invalid: ImportProblem[];
  suppressed: ImportProblem[];
  existing: ImportProblem[];
  /** Rows imported with a change the admin should know of (an unknown time zone replaced by the course's). */
  warnings: ImportProblem[];
}

/** A row that passed the file's checks, ready to be written. */
export interface ImportCandidate {
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

/** A copy that does not keep papaparse's whole input chunk alive (V8 slices substrings). */
export const detached = (s: string) => structuredClone(s);

/** Writes one page of checked rows; what the database refuses is added to the report. */
/** What one committed page created: each new reader (and, when enrolled, their enrollment), and each reader of another course who joined this one. */
export interface ImportedPage {
  created: { subscriberId: string; enrollmentId: string | null }[];
  joined: { subscriberId: string; enrollmentId: string }[];
}

export async function commitImportPage(db: Database, course: Course, chunk: ImportCandidate[], report: ImportReport, source: string, enroll: boolean, now: number): Promise<ImportedPage> {
  const page: ImportedPage = { created: [], joined: [] };
  const hashes = await Promise.all(chunk.map((c) => emailHash(c.email)));
  const suppressed = new Set((await db.selectFrom("suppressions").select("email_hash").where("email_hash", "in", hashes).where("reason", "in", ["bounced", "complained"]).execute()).map((r) => r.email_hash));
  const found = await db.selectFrom("subscribers").select(["id", "email_key", "status"]).where("email_key", "in", chunk.map((c) => emailKey(c.email))).execute();
  const existing = new Set(found.map((r) => r.email_key));
  // A confirmed reader of another course, listed for this one, joins it: their consent for this
  // course is what the admin states. Anyone else already here (pending, unsubscribed, in this
  // course already, or in no course) is left as they are and reported.
  const courses = found.length === 0 ? [] : await db.selectFrom("enrollments").select(["subscriber_id", "course_slug"]).where("subscriber_id", "in", found.map((r) => r.id)).execute();
  const joining = new Map(
    found
      .filter((r) => enroll && r.status === "active" && courses.some((e) => e.subscriber_id === r.id) && !courses.some((e) => e.subscriber_id === r.id && e.course_slug === course.slug))
      .map((r) => [r.email_key, r.id]),
  );
  // A row the database refuses as already there: a duplicate within the file when its fingerprint
  // matched an earlier line, else a reader who was there before the import.
  const alreadyThere = (c: ImportCandidate) =>
    c.sameFingerprintAs !== undefined
      ? report.duplicates.push({ line: c.line, email: detached(c.email), reason: `same address as line ${c.sameFingerprintAs}` })
      : report.existing.push({ line: c.line, email: detached(c.email), reason: "already a reader" });
  const joins: { c: ImportCandidate; id: string }[] = [];
  const fresh = chunk.filter((c, j) => {
    if (suppressed.has(hashes[j]!)) {
      report.suppressed.push({ line: c.line, email: detached(c.email), reason: "bounced or complained before: never mailed again" });
      return false;
    }
    if (existing.has(emailKey(c.email))) {
      const id = c.sameFingerprintAs === undefined ? joining.get(emailKey(c.email)) : undefined;
      if (id !== undefined) {
        joins.push({ c, id });
        joining.delete(emailKey(c.email));
      } else alreadyThere(c);
      return false;
    }
    return true;
  });
  if (joins.length > 0) page.joined = await joinCourse(db, course, joins, report, source, now);
  if (fresh.length === 0) return page;
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
    const enrollmentIds = new Map(added.map((c) => [c.id, enroll ? timeOrderedId() : null]));
    page.created = added.map((c) => ({ subscriberId: c.id, enrollmentId: enrollmentIds.get(c.id) ?? null }));
    const detail = JSON.stringify({ how: "import", source });
    // The consent was given for this course: the record says so, as a form signup's does.
    await trx
      .insertInto("consent_events")
      .values(added.map((c) => ({ id: timeOrderedId(), subscriber_id: c.id, kind: "opt_in" as const, at: now, ip: null, user_agent: null, detail, course_slug: course.slug })))
      .execute();
    if (enroll) {
      await trx
        .insertInto("enrollments")
        .values(added.map((c) => ({ id: enrollmentIds.get(c.id)!, subscriber_id: c.id, course_slug: course.slug, status: "active" as const, started_at: now, next_slug: course.lessons[0]?.slug ?? null, next_due_at: now, last_day: -1, last_sent_at: null, completed_at: null, created_at: now, updated_at: now })))
        .execute();
    }
    report.imported += added.length;
  });
  return page;
}

/** Readers of another course enroll in this one, with the import's consent recorded for it. Returns who joined. */
async function joinCourse(db: Database, course: Course, joins: { c: ImportCandidate; id: string }[], report: ImportReport, source: string, now: number): Promise<ImportedPage["joined"]> {
  const detail = JSON.stringify({ how: "import", source });
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("enrollments")
      .values(joins.map(({ id }) => ({ id: timeOrderedId(), subscriber_id: id, course_slug: course.slug, status: "active" as const, started_at: now, next_slug: course.lessons[0]?.slug ?? null, next_due_at: now, last_day: -1, last_sent_at: null, completed_at: null, created_at: now, updated_at: now })))
      // Enrolled since the lookup (a signup for this course): left as it is.
      .onConflict((oc) => oc.columns(["subscriber_id", "course_slug"]).doNothing())
      .returning(["id", "subscriber_id"])
      .execute();
    const joined = new Set(inserted.map((r) => r.subscriber_id));
    const added = joins.filter(({ id }) => joined.has(id));
    if (added.length > 0) {
      await trx
        .insertInto("consent_events")
        .values(added.map(({ id }) => ({ id: timeOrderedId(), subscriber_id: id, kind: "opt_in" as const, at: now, ip: null, user_agent: null, detail, course_slug: course.slug })))
        .execute();
    }
    for (const { c, id } of joins) {
      if (joined.has(id)) report.joined.push({ line: c.line, email: detached(c.email), reason: "a reader of another course: joined this one" });
      else report.existing.push({ line: c.line, email: detached(c.email), reason: "already a reader" });
    }
    report.imported += added.length;
    return inserted.map((r) => ({ subscriberId: r.subscriber_id, enrollmentId: r.id }));
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

/**
 * The next email in the words of the file's reader, a person with a spreadsheet: the lesson's
 * slug (which the import and the console's forms accept back), "graduation email" rather than the
 * engine's "#graduation" marker, and "" when nothing more is due.
 */
function nextInWords(next: string | null): string {
  if (next === null) return "";
  if (next.startsWith("#")) return next === "#graduation" ? "graduation email" : next.slice(1);
  return next;
}

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
    const cells = page.map((r) => [r.email, r.name, r.timezone, r.status, iso(r.created_at), iso(r.confirmed_at), r.consent_form, r.enrollment_status ?? "", nextInWords(r.next_slug)].map(spreadsheetSafe));
    yield `${Papa.unparse(cells)}\r\n`;
    after = page[page.length - 1]!.id;
  }
}
