import type { Selectable } from "kysely";
import type { Course } from "../content/schema.ts";
import { invalid } from "../errors.ts";
import { singleLine } from "../text.ts";
import type { BroadcastsTable, Database } from "./database.ts";

export type Broadcast = Selectable<BroadcastsTable>;

/**
 * Who a newsletter goes to. "all": every active reader, whatever their course (as before there
 * were several). "course": the active readers enrolled in the newsletter's course who have not
 * stopped it. "stage:<slug>": the readers of that course whose next lesson is that one.
 */
export type Audience = { kind: "all" } | { kind: "course" } | { kind: "stage"; lessonSlug: string };

export function audienceKey(audience: Audience): string {
  return audience.kind === "stage" ? `stage:${audience.lessonSlug}` : audience.kind;
}

export function parseAudience(key: string): Audience {
  if (key.startsWith("stage:")) return { kind: "stage", lessonSlug: key.slice("stage:".length) };
  return key === "course" ? { kind: "course" } : { kind: "all" };
}

/** Enrollment states of a course's readers: not one still waiting for its opt-in, not one they stopped. */
export const COURSE_READER_STATES = ["active", "paused", "completed"] as const;

export interface NewBroadcast {
  subject: string;
  /** Either Markdown written for this newsletter, or a lesson to send as one. */
  markdown?: string | null;
  lessonSlug?: string | null;
  /** Inbox preview text; empty = the body's first words. */
  preview?: string | null;
  audience: Audience;
  /** Send at this time; null = draft until started. */
  scheduledAt?: number | null;
}

/** The hidden preview is cut at 150 characters by the template, like a lesson's. */
export const MAX_PREVIEW = 150;

/** A newsletter the admin must fix before it can be saved: a 422 that keeps the form as written. */
const badNewsletter = (message: string) => invalid("bad_newsletter", message, "Please check the newsletter");

export async function createBroadcast(db: Database, course: Course, input: NewBroadcast, now: number): Promise<string> {
  const subject = singleLine(input.subject);
  if (!subject) throw badNewsletter("A newsletter needs a subject.");
  if (subject.length > 200) throw badNewsletter("Keep the subject under 200 characters.");
  const preview = singleLine(input.preview ?? "") || null;
  if (preview && preview.length > MAX_PREVIEW) throw badNewsletter(`Keep the preview text under ${MAX_PREVIEW} characters: inboxes show about that many.`);
  const markdown = input.markdown?.trim() || null;
  const lessonSlug = input.lessonSlug || null;
  if (!markdown && !lessonSlug) throw badNewsletter("Write the newsletter, or pick a lesson to send.");
  if (markdown && markdown.length > 200_000) throw badNewsletter("That newsletter is too long.");
  if (lessonSlug && !course.lessons.some((l) => l.slug === lessonSlug)) throw badNewsletter(`There is no lesson "${lessonSlug}".`);
  if (input.audience.kind === "stage" && !course.lessons.some((l) => l.slug === (input.audience as { lessonSlug: string }).lessonSlug)) {
    throw badNewsletter("Pick a course stage that exists.");
  }
  const id = crypto.randomUUID();
  await db
    .insertInto("broadcasts")
    .values({
      id,
      subject,
      markdown,
      preview,
      lesson_slug: lessonSlug,
      audience: audienceKey(input.audience),
      // The newsletter speaks for this course: its sender identity, and its readers for "course" and "stage:".
      course_slug: course.slug,
      status: input.scheduledAt ? "scheduled" : "draft",
      scheduled_at: input.scheduledAt ?? null,
      started_at: null,
      finished_at: null,
      cursor: null,
      materialized: 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** Starts a draft or scheduled newsletter now; the tick turns its audience into ledger rows. */
export async function startBroadcast(db: Database, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("broadcasts")
    .set({ status: "sending", started_at: now, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", ["draft", "scheduled"])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Stops a newsletter: nothing more is queued, and emails not yet sent are cancelled. */
export async function cancelBroadcast(db: Database, id: string, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx.updateTable("broadcasts").set({ status: "cancelled", updated_at: now }).where("id", "=", id).where("status", "in", ["draft", "scheduled", "sending"]).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await trx.updateTable("sends").set({ status: "cancelled", error: "newsletter cancelled", updated_at: now }).where("broadcast_id", "=", id).where("status", "=", "queued").execute();
    return true;
  });
}

/** Schedules a draft for a time; false when it is no longer a draft. */
export async function scheduleDraft(db: Database, id: string, at: number, now: number): Promise<boolean> {
  const result = await db.updateTable("broadcasts").set({ status: "scheduled", scheduled_at: at, updated_at: now }).where("id", "=", id).where("status", "=", "draft").executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function getBroadcast(db: Database, id: string): Promise<Broadcast | undefined> {
  return db.selectFrom("broadcasts").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * The newest newsletters; `course`: only that course's. A newsletter of no course (written before
 * newsletters had one) belongs to the default course (`includeNoCourse`), as it is sent.
 */
export async function listBroadcasts(db: Database, limit = 50, course?: { slug: string; includeNoCourse: boolean }): Promise<Broadcast[]> {
  let query = db.selectFrom("broadcasts").selectAll();
  if (course) query = query.where((eb) => (course.includeNoCourse ? eb.or([eb("course_slug", "=", course.slug), eb("course_slug", "is", null)]) : eb("course_slug", "=", course.slug)));
  return query.orderBy("created_at", "desc").limit(limit).execute();
}

export interface BroadcastProgress {
  status: Broadcast["status"];
  /** Recipients so far (final once `materialized`). */
  total: number;
  materialized: boolean;
  queued: number;
  sent: number;
  failed: number;
  cancelled: number;
  bounced: number;
  delivered: number;
}

/** Progress counts from the ledger: a newsletter's progress is what the provider accepted. */
export async function broadcastProgress(db: Database, id: string): Promise<BroadcastProgress | undefined> {
  const broadcast = await getBroadcast(db, id);
  if (!broadcast) return undefined;
  const rows = await db
    .selectFrom("sends")
    .select((eb) => ["status", eb.fn.countAll<number>().as("n"), eb.fn.count<number>("bounced_at").as("bounced"), eb.fn.count<number>("delivered_at").as("delivered")])
    .where("broadcast_id", "=", id)
    .groupBy("status")
    .execute();
  const by = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
  return {
    status: broadcast.status,
    total,
    materialized: broadcast.materialized === 1,
    queued: by("queued") + by("sending"),
    sent: by("sent"),
    failed: by("failed"),
    cancelled: by("cancelled"),
    bounced: rows.reduce((sum, r) => sum + Number(r.bounced), 0),
    delivered: rows.reduce((sum, r) => sum + Number(r.delivered), 0),
  };
}

export interface AudienceCounts {
  /** Every active reader. */
  all: number;
  /** The course's readers (0 without a course). */
  course: number;
  /** Readers of the course by their next lesson. */
  stages: Map<string, number>;
}

/**
 * Who a newsletter of this course reaches, counted exactly as the tick selects them
 * (src/store/broadcast-delivery.ts). `courseSlug` null: a newsletter of no course, whose stage
 * audience is any enrollment at that stage, as before newsletters had a course.
 */
export async function audienceSizes(db: Database, courseSlug: string | null): Promise<AudienceCounts> {
  let stageQuery = db
    .selectFrom("enrollments")
    .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
    .select((eb) => ["enrollments.next_slug", eb.fn.count<number>("subscribers.id").distinct().as("n")])
    .where("subscribers.status", "=", "active")
    .where("enrollments.status", "=", "active");
  if (courseSlug !== null) stageQuery = stageQuery.where("enrollments.course_slug", "=", courseSlug);
  const [all, course, stages] = await Promise.all([
    db.selectFrom("subscribers").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "=", "active").executeTakeFirstOrThrow(),
    courseSlug === null
      ? { n: 0 }
      : db
          .selectFrom("enrollments")
          .innerJoin("subscribers", "subscribers.id", "enrollments.subscriber_id")
          .select((eb) => eb.fn.count<number>("subscribers.id").distinct().as("n"))
          .where("subscribers.status", "=", "active")
          .where("enrollments.course_slug", "=", courseSlug)
          .where("enrollments.status", "in", [...COURSE_READER_STATES])
          .executeTakeFirstOrThrow(),
    stageQuery.groupBy("enrollments.next_slug").execute(),
  ]);
  return { all: Number(all.n), course: Number(course.n), stages: new Map(stages.flatMap((r) => (r.next_slug ? [[r.next_slug, Number(r.n)] as const] : []))) };
}

export interface BroadcastResults {
  total: number;
  sent: number;
  failed: number;
  bounced: number;
  delivered: number;
}

/** Sent/failed/bounced/delivered for many newsletters in one query. */
export async function broadcastResults(db: Database, ids: readonly string[]): Promise<Map<string, BroadcastResults>> {
  const results = new Map<string, BroadcastResults>(ids.map((id) => [id, { total: 0, sent: 0, failed: 0, bounced: 0, delivered: 0 }]));
  if (ids.length === 0) return results;
  const rows = await db
    .selectFrom("sends")
    .select((eb) => ["broadcast_id", "status", eb.fn.countAll<number>().as("n"), eb.fn.count<number>("bounced_at").as("bounced"), eb.fn.count<number>("delivered_at").as("delivered")])
    .where("broadcast_id", "in", ids)
    .groupBy(["broadcast_id", "status"])
    .execute();
  for (const row of rows) {
    const r = results.get(row.broadcast_id ?? "");
    if (!r) continue;
    const n = Number(row.n);
    r.total += n;
    if (row.status === "sent") r.sent += n;
    if (row.status === "failed") r.failed += n;
    r.bounced += Number(row.bounced);
    r.delivered += Number(row.delivered);
  }
  return results;
}
