import Papa from "papaparse";
import type { Course } from "../content/schema.ts";
import { conflict, invalid } from "../errors.ts";
import { singleLine } from "../text.ts";
import { enrollmentsOf, findReaderByIdOrEmail } from "../store/admin-queries.ts";
import { importReaderCsv } from "./import-readers.ts";
import { signup } from "./signup.ts";
import type { Services } from "./services.ts";

/**
 * One address into one course, for a server-side integration (a shop, a CRM): the caller states
 * where the reader gave their consent. Two paths, each an existing command, so nothing here
 * decides what the signup form or the CSV import would not:
 * - double opt-in: a signup (consent recorded with its source; a confirmation email unless the
 *   reader already confirmed, who joins at once, as on the form);
 * - otherwise: a one-row import (the reader is enrolled now, lesson 1 goes out at the next tick;
 *   a confirmed reader of another course joins this one; anyone else already here is left as is).
 */

export interface IntegrationEnrollmentInput {
  course: Course;
  /** Already checked by the edge's schema. */
  email: string;
  name: string | null;
  timezone?: string | undefined;
  consentSource: string;
  doubleOptIn: boolean;
}

/**
 * `enrolled`: a new reader, in the course now. `joined`: a confirmed reader of another course,
 * now in this one too. `pending`: waits for the reader's confirmation. `unchanged`: the reader was
 * already here (in this course, pending, or unsubscribed) and is left as they were.
 */
export type IntegrationEnrollmentOutcome = "enrolled" | "joined" | "pending" | "unchanged";

export interface IntegrationEnrollment {
  outcome: IntegrationEnrollmentOutcome;
  subscriberId: string | null;
  enrollment: { id: string; status: string } | null;
}

const suppressed = () => conflict("address_suppressed", "This address bounced or complained before, so it is never mailed again.", "Not enrolled");

async function standing(services: Pick<Services, "db">, email: string, course: Course) {
  const reader = await findReaderByIdOrEmail(services.db, email);
  if (!reader) return { reader, enrollment: undefined };
  const enrollment = (await enrollmentsOf(services.db, reader.id)).find((e) => e.course_slug === course.slug);
  return { reader, enrollment };
}

export async function enrollFromIntegration(services: Services, input: IntegrationEnrollmentInput): Promise<IntegrationEnrollment> {
  const source = singleLine(input.consentSource);
  if (source.length < 3) throw invalid("consent_source_required", "Say where this reader gave their consent (consentSource, at least a few words).", "Not enrolled");
  if (source.length > 200) throw invalid("consent_source_too_long", "Keep consentSource under 200 characters.", "Not enrolled");
  const before = await standing(services, input.email, input.course);
  if (before.reader && (before.reader.status === "bounced" || before.reader.status === "complained")) throw suppressed();

  let outcome: IntegrationEnrollmentOutcome;
  if (input.doubleOptIn) {
    await signup(services, { course: input.course, email: input.email, name: input.name, timezone: input.timezone, ip: null, userAgent: null, form: `api: ${source}` });
    const after = await standing(services, input.email, input.course);
    // A signup stores nothing for a suppressed address (erased readers leave only its hash).
    if (!after.reader) throw suppressed();
    // Pending: a confirmation is on its way (a pending reader asked again gets a fresh one, at most
    // one per 10 minutes). A confirmed reader joins at once, as on the form.
    if (after.enrollment?.status === "pending") outcome = "pending";
    else outcome = after.enrollment && after.enrollment.status !== before.enrollment?.status ? "joined" : "unchanged";
    return result(outcome, after);
  }

  const csv = Papa.unparse([{ email: input.email, name: input.name ?? "", timezone: input.timezone ?? "" }]);
  const report = await importReaderCsv(services, input.course, csv, { consentSource: source, enroll: true });
  if (report.suppressed.length > 0) throw suppressed();
  if (report.invalid.length > 0) throw invalid("bad_email", report.invalid[0]!.reason, "Not enrolled");
  outcome = report.joined.length > 0 ? "joined" : report.imported > 0 ? "enrolled" : "unchanged";
  return result(outcome, await standing(services, input.email, input.course));
}

function result(outcome: IntegrationEnrollmentOutcome, now: Awaited<ReturnType<typeof standing>>): IntegrationEnrollment {
  return {
    outcome,
    subscriberId: now.reader?.id ?? null,
    enrollment: now.enrollment ? { id: now.enrollment.id, status: now.enrollment.status } : null,
  };
}
