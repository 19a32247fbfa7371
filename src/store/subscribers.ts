import type { Insertable, Selectable } from "kysely";
import type { ConsentEventsTable, ConsentKind, Database, SubscribersTable } from "./database.ts";
import { emailKey } from "../email-address.ts";
import { enrollConfirmedReader, requestEnrollment } from "./enrollments.ts";
import { cancelUnsentFor, insertSend, queuedSend } from "./sends.ts";
import { liftErasure, suppressionOf } from "./suppressions.ts";
import { groupedTransaction } from "./group-commit.ts";
import { timeOrderedId } from "./row-ids.ts";
import { reusableQuery } from "./reusable-query.ts";

export type Subscriber = Selectable<SubscribersTable>;

/** Confirmation emails to one address are at most one per this window, however often the form is posted. */
export const CONFIRMATION_WINDOW_MS = 10 * 60 * 1000;

/** Statuses that may never receive mail again until a new confirmed opt-in (and for suppressions, not even then). */
const SUPPRESSED: ReadonlySet<Subscriber["status"]> = new Set(["bounced", "complained"]);

export interface SignupInput {
  email: string;
  name: string | null;
  timezone: string;
  ip: string | null;
  userAgent: string | null;
  form: string;
  consentTextVersion: string;
  /**
   * The course the form asked for, and its first email. Absent only for callers from before
   * courses (tests, tools): the opt-in then names no course, and confirmation falls back.
   */
  course?: { slug: string; firstSlug: string | null } | undefined;
}

export interface SignupResult {
  /** Null when the address is suppressed (bounced or complained before): nothing is stored or sent. */
  subscriberId: string | null;
  /** The ledger id of the confirmation email to send, when one is due. */
  confirmationSendId: string | null;
  /**
   * A reader who had already confirmed, joining `course`: the enrollment that became active (its
   * lesson 1 is due now). Null otherwise, including when they were already in the course.
   */
  enrolledId: string | null;
}

/**
 * Records a signup and, unless one went out within the window, a confirmation email in the sends
 * ledger. Both happen in the database first; Redis only learns about the email afterwards, so an
 * outage there never loses a signup.
 */
export interface SignupOptions {
  /**
   * Set when the caller hands the confirmation to Redis right after the commit: the row is born
   * marked as handed over (one write fewer per signup), and the caller clears the mark if the
   * hand-over fails. Left unset, the scheduler's tick offers the row.
   */
  enqueuedAt?: number | null;
}

export async function recordSignup(db: Database, input: SignupInput, now: number, options: SignupOptions = {}): Promise<SignupResult> {
  // Signups arriving together share a commit on SQLite (see group-commit.ts).
  return groupedTransaction(db, async (trx) => {
    // An erased reader may opt in again; an address that bounced or complained is never mailed.
    const suppression = await suppressionOf(trx, input.email);
    if (suppression === "bounced" || suppression === "complained") return { subscriberId: null, confirmationSendId: null, enrolledId: null };
    const newId = crypto.randomUUID();
    const { rows } = await insertNewSubscriber(trx, {
      id: newId,
      email: input.email,
      name: input.name,
      timezone: input.timezone,
      status: "pending",
      created_at: now,
      updated_at: now,
      confirmed_at: null,
      unsubscribed_at: null,
      confirmation_sent_at: now,
      consent_at: now,
      consent_ip: input.ip,
      consent_user_agent: input.userAgent,
      consent_form: input.form,
      consent_text_version: input.consentTextVersion,
    });
    // A new address (the common case under load) needs no read-back, refresh or window check.
    if (rows.length > 0) {
      await insertOptIn(trx, newId, input, now);
      if (input.course) await requestEnrollment(trx, newId, input.course.slug, input.course.firstSlug, now);
      return { subscriberId: newId, confirmationSendId: await insertConfirmation(trx, newId, now, options.enqueuedAt), enrolledId: null };
    }
    // The address stays as first typed: a later signup in other letters names the same mailbox.
    const subscriber = await trx.selectFrom("subscribers").selectAll().where("email_key", "=", emailKey(input.email)).executeTakeFirstOrThrow();

    if (SUPPRESSED.has(subscriber.status)) return { subscriberId: subscriber.id, confirmationSendId: null, enrolledId: null };
    if (subscriber.status === "active") {
      // Already confirmed: the address is proven, so a new course needs no second opt-in. The
      // reader's details stay as they confirmed them: this form may have been filled by anyone.
      if (!input.course) return { subscriberId: subscriber.id, confirmationSendId: null, enrolledId: null };
      const enrolledId = await enrollConfirmedReader(trx, subscriber.id, input.course.slug, input.course.firstSlug, now);
      if (enrolledId) await insertOptIn(trx, subscriber.id, input, now);
      return { subscriberId: subscriber.id, confirmationSendId: null, enrolledId };
    }

    // A repeat opt-in refreshes the consent record; the reader's details follow the latest form.
    await trx
      .updateTable("subscribers")
      .set({
        name: input.name ?? subscriber.name,
        timezone: input.timezone,
        consent_at: now,
        consent_ip: input.ip,
        consent_user_agent: input.userAgent,
        consent_form: input.form,
        consent_text_version: input.consentTextVersion,
        updated_at: now,
      })
      .where("id", "=", subscriber.id)
      .execute();
    await insertOptIn(trx, subscriber.id, input, now);
    if (input.course) await requestEnrollment(trx, subscriber.id, input.course.slug, input.course.firstSlug, now);

    // Claiming the window with a conditional update keeps concurrent signups from both sending.
    const claimed = await trx
      .updateTable("subscribers")
      .set({ confirmation_sent_at: now })
      .where("id", "=", subscriber.id)
      .where((eb) => eb.or([eb("confirmation_sent_at", "is", null), eb("confirmation_sent_at", "<=", now - CONFIRMATION_WINDOW_MS)]))
      .executeTakeFirst();
    // Within the window the link already sent still confirms: it activates every pending course.
    if (Number(claimed.numUpdatedRows) === 0) return { subscriberId: subscriber.id, confirmationSendId: null, enrolledId: null };

    return { subscriberId: subscriber.id, confirmationSendId: await insertConfirmation(trx, subscriber.id, now, options.enqueuedAt), enrolledId: null };
  });
}

// Either unique index (email, email_key) means this mailbox is already a reader; no target, so a
// concurrent twin on PostgreSQL is skipped rather than raising on the other index.
const insertNewSubscriber = reusableQuery((db, row: Insertable<SubscribersTable>) => db.insertInto("subscribers").values(row).onConflict((oc) => oc.doNothing()).returning("id"));

const insertConsentEvent = reusableQuery((db, row: Insertable<ConsentEventsTable>) => db.insertInto("consent_events").values(row));

async function insertOptIn(trx: Database, subscriberId: string, input: SignupInput, now: number): Promise<void> {
  await insertConsentEvent(trx, {
    id: timeOrderedId(),
    subscriber_id: subscriberId,
    kind: "opt_in",
    at: now,
    ip: input.ip,
    user_agent: input.userAgent,
    detail: JSON.stringify({ form: input.form, consentTextVersion: input.consentTextVersion }),
    course_slug: input.course?.slug ?? null,
  });
}

async function insertConfirmation(trx: Database, subscriberId: string, now: number, enqueuedAt: number | null | undefined): Promise<string> {
  const row = queuedSend({ dedupeKey: `confirm:${subscriberId}:${now}`, kind: "confirm", subscriberId, enqueuedAt }, now);
  await insertSend(trx, row);
  return row.id;
}


/**
 * "Email me a fresh link": queues a preferences-link email to the reader with this address, at
 * most one per CONFIRMATION_WINDOW_MS (claimed in the database, so the window holds with Redis
 * down). Null when there is no such reader, they may not be mailed, or the window is closed; the
 * caller answers the same either way.
 */
export async function requestPreferencesLink(db: Database, email: string, now: number, options: SignupOptions = {}): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    const reader = await trx.selectFrom("subscribers").select(["id", "status"]).where("email_key", "=", emailKey(email)).executeTakeFirst();
    if (!reader || reader.status === "deleted" || SUPPRESSED.has(reader.status)) return null;
    const claimed = await trx
      .updateTable("subscribers")
      .set({ link_sent_at: now })
      .where("id", "=", reader.id)
      .where((eb) => eb.or([eb("link_sent_at", "is", null), eb("link_sent_at", "<=", now - CONFIRMATION_WINDOW_MS)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return null;
    const row = queuedSend({ dedupeKey: `preferences-link:${reader.id}:${now}`, kind: "preferences-link", subscriberId: reader.id, enqueuedAt: options.enqueuedAt }, now);
    await insertSend(trx, row);
    return row.id;
  });
}

export async function findSubscriber(db: Database, id: string): Promise<Subscriber | undefined> {
  return db.selectFrom("subscribers").selectAll().where("id", "=", id).executeTakeFirst();
}

export function isSuppressed(subscriber: Subscriber): boolean {
  return SUPPRESSED.has(subscriber.status);
}

export interface ConsentMeta {
  ip: string | null;
  userAgent: string | null;
  how: string;
}

export type ConfirmOutcome = "confirmed" | "already-confirmed" | "not-allowed" | "superseded";

/**
 * Marks the opt-in confirmed. Returns what happened so the page can say it plainly.
 * `linkIssuedAt` is when the confirmation link was made: a link older than the reader's last
 * unsubscribe belongs to a consent they have since withdrawn, so it brings no one back (only the
 * undo or a fresh signup does). Without it (admin tools, tests), no such check.
 */
export async function confirmSubscriber(db: Database, id: string, meta: ConsentMeta, now: number, linkIssuedAt?: number): Promise<ConfirmOutcome> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").selectAll().where("id", "=", id).executeTakeFirst();
    if (!subscriber || subscriber.status === "deleted" || SUPPRESSED.has(subscriber.status)) return "not-allowed";
    if (subscriber.status === "active") return "already-confirmed";
    if (linkIssuedAt !== undefined && subscriber.unsubscribed_at !== null && linkIssuedAt < Number(subscriber.unsubscribed_at)) return "superseded";
    await trx
      .updateTable("subscribers")
      .set({ status: "active", confirmed_at: now, unsubscribed_at: null, updated_at: now })
      .where("id", "=", id)
      .execute();
    await liftErasure(trx, subscriber.email);
    await trx
      .insertInto("consent_events")
      .values({ id: timeOrderedId(), subscriber_id: id, kind: "confirm", at: now, ip: meta.ip, user_agent: meta.userAgent, detail: JSON.stringify({ how: meta.how }) })
      .execute();
    return "confirmed";
  });
}

/**
 * The course of the reader's latest opt-in: a slug, null for an opt-in that named no course (made
 * before courses had folders), undefined when there is none. Confirmation uses it to tell such a
 * reader (who gets the install's course) from one whose asked-for course is simply finished.
 */
export async function lastOptInCourse(db: Database, subscriberId: string): Promise<string | null | undefined> {
  const row = await db
    .selectFrom("consent_events")
    .select("course_slug")
    .where("subscriber_id", "=", subscriberId)
    .where("kind", "=", "opt_in")
    .orderBy("at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? row.course_slug : undefined;
}

/** `courseSlug`: the course the consent is about (a course joined or left); null: all email. */
export async function recordConsent(
  db: Database,
  subscriberId: string,
  kind: ConsentKind,
  meta: ConsentMeta,
  now: number,
  detail: Record<string, unknown> = {},
  courseSlug: string | null = null,
): Promise<void> {
  await db
    .insertInto("consent_events")
    .values({ id: timeOrderedId(), subscriber_id: subscriberId, kind, at: now, ip: meta.ip, user_agent: meta.userAgent, detail: JSON.stringify({ how: meta.how, ...detail }), course_slug: courseSlug })
    .execute();
}

export type UnsubscribeScope = "all" | "course";

/** False: no such reader. "unchanged": they were already out of scope, so there is nothing to undo. */
export type UnsubscribeOutcome = false | "stopped" | "unchanged";

/** Enrollments that still mean mail (or will, once the reader confirms): leaving ends them. */
const LIVE_ENROLLMENTS = ["pending", "active", "paused"] as const;

/** Error of a row cancelled by "stop all email", and of one cancelled by leaving its course: each undo restores its own. */
const STOPPED_ALL = "unsubscribed";
const STOPPED_COURSE = "stopped course";

/**
 * A consent record about one course (`course_slug`), beside recordConsent's records about all
 * email: a course left, a course taken back, a course joined from a graduation email.
 */
export async function recordCourseConsent(db: Database, subscriberId: string, kind: ConsentKind, courseSlug: string, meta: ConsentMeta, now: number, detail: Record<string, unknown> = {}): Promise<void> {
  await db
    .insertInto("consent_events")
    .values({
      id: timeOrderedId(),
      subscriber_id: subscriberId,
      kind,
      at: now,
      ip: meta.ip,
      user_agent: meta.userAgent,
      detail: JSON.stringify({ how: meta.how, ...detail }),
      course_slug: courseSlug,
    })
    .execute();
}

/**
 * "Stop all email" ends every email to the reader: every enrollment is cancelled, and every email
 * the provider cannot have yet is cancelled here (cancelUnsentFor); the send worker re-reads the
 * reader before it sends. Only the retry of a batch request the provider may already hold still
 * carries them, byte for byte. `scope` is kept for callers that say "all" out loud; leaving one
 * course is leaveCourse.
 */
export async function unsubscribe(db: Database, id: string, meta: ConsentMeta, now: number, scope: "all" = "all"): Promise<UnsubscribeOutcome> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select(["id", "status"]).where("id", "=", id).executeTakeFirst();
    if (!subscriber || subscriber.status === "deleted") return false;
    await trx
      .updateTable("enrollments")
      .set({ status: "cancelled", next_due_at: null, paused_until: null, updated_at: now })
      .where("subscriber_id", "=", id)
      .where("status", "in", LIVE_ENROLLMENTS)
      .execute();
    const stopsSomething = subscriber.status !== "unsubscribed" && !SUPPRESSED.has(subscriber.status);
    if (stopsSomething) {
      await trx.updateTable("subscribers").set({ status: "unsubscribed", unsubscribed_at: now, updated_at: now }).where("id", "=", id).execute();
      await recordConsent(trx, id, "unsubscribe", meta, now, { scope });
    }
    await cancelUnsentFor(trx, id, STOPPED_ALL, now);
    return stopsSomething ? "stopped" : "unchanged";
  });
}

/**
 * "Stop this course": the reader's enrollment in this course ends, with every email of it the
 * provider cannot have yet (the rule of cancelUnsentFor, for this one enrollment); the reader stays
 * subscribed, and their other courses go on untouched. The consent record names the course.
 */
export async function leaveCourse(db: Database, id: string, courseSlug: string, meta: ConsentMeta, now: number): Promise<UnsubscribeOutcome> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select(["id", "status"]).where("id", "=", id).executeTakeFirst();
    if (!subscriber || subscriber.status === "deleted") return false;
    const enrollment = await trx
      .updateTable("enrollments")
      .set({ status: "cancelled", next_due_at: null, paused_until: null, updated_at: now })
      .where("subscriber_id", "=", id)
      .where("course_slug", "=", courseSlug)
      .where("status", "in", LIVE_ENROLLMENTS)
      .returning("id")
      .executeTakeFirst();
    if (!enrollment) return "unchanged";
    await trx
      .updateTable("sends")
      .set({ status: "cancelled", error: STOPPED_COURSE, batch_id: null, updated_at: now })
      .where("enrollment_id", "=", enrollment.id)
      .where("status", "in", ["queued", "sending"])
      .where((eb) => eb.or([eb("attempted_at", "is", null), eb("batch_id", "is", null)]))
      .execute();
    await recordCourseConsent(trx, id, "unsubscribe", courseSlug, meta, now, { scope: "course" });
    return "stopped";
  });
}

/**
 * The courses the reader left on their own ("stop this course", "leave" on the preferences page)
 * and has not taken back since: the undo of a later "stop all email" must not bring them back.
 */
async function coursesLeft(db: Database, subscriberId: string): Promise<string[]> {
  const events = await db
    .selectFrom("consent_events")
    .select(["course_slug", "kind"])
    .where("subscriber_id", "=", subscriberId)
    .where("course_slug", "is not", null)
    .where("kind", "in", ["opt_in", "confirm", "unsubscribe", "resubscribe"])
    .orderBy("at")
    .execute();
  const last = new Map<string, ConsentKind>();
  for (const event of events) last.set(event.course_slug!, event.kind);
  return [...last].filter(([, kind]) => kind === "unsubscribe").map(([slug]) => slug);
}

/**
 * The undo of "stop all email": the reader takes back what they just did. Their courses resume
 * where they stopped, including an email the unsubscribe had cancelled; a course they had left
 * before stays left. A reader who never confirmed is not brought back: an undo is no opt-in.
 */
export async function resubscribe(db: Database, id: string, meta: ConsentMeta, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select(["id", "status", "confirmed_at"]).where("id", "=", id).executeTakeFirst();
    if (!subscriber || subscriber.status === "deleted" || SUPPRESSED.has(subscriber.status)) return false;
    if (subscriber.status === "pending" || subscriber.confirmed_at === null) return false;
    await trx.updateTable("subscribers").set({ status: "active", unsubscribed_at: null, updated_at: now }).where("id", "=", id).execute();
    const left = await coursesLeft(trx, id);
    let enrollments = trx
      .updateTable("enrollments")
      .set({ status: "active", next_due_at: now, updated_at: now })
      .where("subscriber_id", "=", id)
      .where("status", "=", "cancelled")
      .where("completed_at", "is", null);
    if (left.length > 0) enrollments = enrollments.where("course_slug", "not in", left);
    await enrollments.execute();
    await trx
      .updateTable("sends")
      .set({ status: "queued", enqueued_at: null, error: null, updated_at: now })
      .where("subscriber_id", "=", id)
      .where("status", "=", "cancelled")
      .where("error", "=", STOPPED_ALL)
      .execute();
    await recordConsent(trx, id, "resubscribe", meta, now);
    return true;
  });
}

/**
 * The undo of "stop this course": the course resumes where it stopped, with the emails leaving it
 * had cancelled. Only for a reader still subscribed: after "stop all email" there is nothing to
 * resume into.
 */
export async function rejoinCourse(db: Database, id: string, courseSlug: string, meta: ConsentMeta, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const subscriber = await trx.selectFrom("subscribers").select(["id", "status"]).where("id", "=", id).executeTakeFirst();
    if (subscriber?.status !== "active") return false;
    const enrollment = await trx
      .updateTable("enrollments")
      .set({ status: "active", next_due_at: now, updated_at: now })
      .where("subscriber_id", "=", id)
      .where("course_slug", "=", courseSlug)
      .where("status", "=", "cancelled")
      .where("completed_at", "is", null)
      .returning("id")
      .executeTakeFirst();
    if (!enrollment) return false;
    await trx
      .updateTable("sends")
      .set({ status: "queued", enqueued_at: null, error: null, updated_at: now })
      .where("enrollment_id", "=", enrollment.id)
      .where("status", "=", "cancelled")
      .where("error", "=", STOPPED_COURSE)
      .execute();
    await recordCourseConsent(trx, id, "resubscribe", courseSlug, meta, now);
    return true;
  });
}
