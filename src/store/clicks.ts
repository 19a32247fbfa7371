import type { Database } from "./database.ts";

/**
 * Clicks on tracked links (course.yaml `tracking: { clicks: true }`). A tracked link names a ledger
 * row and a link of its body; the address is found again in the content that row was rendered
 * from, so nothing per send is stored until someone actually clicks.
 */

/** What a tracked link's ledger row was rendered from: enough to find the link's address again. */
export interface ClickTarget {
  sendId: string;
  subscriberId: string;
  kind: string;
  /** The lesson of a lesson email. */
  lessonSlug: string | null;
  /** The course the email spoke for (its enrollment's, or its newsletter's); null: none. */
  courseSlug: string | null;
  /** A newsletter's own text: its Markdown, or the lesson it sent. */
  newsletter: { id: string; markdown: string | null; lessonSlug: string | null } | null;
}

/** The row a tracked link names, with what its body came from; undefined when it is gone (erased) or never was. */
export async function clickTarget(db: Database, sendId: string): Promise<ClickTarget | undefined> {
  const row = await db
    .selectFrom("sends")
    .leftJoin("enrollments", "enrollments.id", "sends.enrollment_id")
    .leftJoin("broadcasts", "broadcasts.id", "sends.broadcast_id")
    .select([
      "sends.id",
      "sends.subscriber_id",
      "sends.kind",
      "sends.lesson_slug",
      "sends.broadcast_id",
      "enrollments.course_slug as enrollment_course",
      "broadcasts.course_slug as broadcast_course",
      "broadcasts.markdown as broadcast_markdown",
      "broadcasts.lesson_slug as broadcast_lesson",
    ])
    .where("sends.id", "=", sendId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    sendId: row.id,
    subscriberId: row.subscriber_id,
    kind: row.kind,
    lessonSlug: row.lesson_slug,
    courseSlug: row.enrollment_course ?? row.broadcast_course ?? null,
    newsletter: row.broadcast_id ? { id: row.broadcast_id, markdown: row.broadcast_markdown ?? null, lessonSlug: row.broadcast_lesson ?? null } : null,
  };
}

export interface NewClick {
  sendId: string;
  subscriberId: string;
  courseSlug: string | null;
  /** `lesson:<course>:<slug>` or `newsletter:<id>`: with the reader and link, the unique key. */
  item: string;
  linkIndex: number;
  linkHash: string;
  url: string;
}

/**
 * Records a click once per reader, email and link (a repeat changes nothing), and marks the ledger
 * row clicked if nothing had yet (the provider's own click tracking may have, first).
 */
export async function recordClick(db: Database, click: NewClick, now: number): Promise<{ recorded: boolean }> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("clicks")
      .values({
        id: crypto.randomUUID(),
        send_id: click.sendId,
        subscriber_id: click.subscriberId,
        course_slug: click.courseSlug,
        item: click.item,
        link_index: click.linkIndex,
        link_hash: click.linkHash,
        url: click.url,
        clicked_at: now,
      })
      .onConflict((oc) => oc.columns(["subscriber_id", "item", "link_hash"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    await trx
      .updateTable("sends")
      .set((eb) => ({ clicked_at: eb.fn.coalesce("clicked_at", eb.val(now)) }))
      .where("id", "=", click.sendId)
      .execute();
    return { recorded: inserted !== undefined };
  });
}

export interface ReaderClick {
  sendId: string;
  url: string;
  clickedAt: number;
}

/** Every link one reader followed, first click each, oldest first: their timeline shows them. */
export async function clicksOf(db: Database, subscriberId: string): Promise<ReaderClick[]> {
  const rows = await db
    .selectFrom("clicks")
    .select(["send_id", "url", "clicked_at"])
    .where("subscriber_id", "=", subscriberId)
    .orderBy("clicked_at")
    .orderBy("link_index")
    .execute();
  return rows.map((row) => ({ sendId: row.send_id, url: row.url, clickedAt: Number(row.clicked_at) }));
}
