import { Webhook } from "standardwebhooks";
import type { createApp } from "../../src/app.ts";
import type { Database, SendKind } from "../../src/store/database.ts";
import { leaveCourse, unsubscribe } from "../../src/store/subscribers.ts";

/**
 * One known history for the analytics tests, in the two-course fixture (morning-pages: lessons
 * first-light and keep-going, then the graduation; evening-review beside it). Readers, enrollments
 * and sends are written as the engine leaves them; every provider event arrives through the
 * signed webhook route, as Resend's would; leaving goes through the store's own unsubscribe and
 * leave-course. The expected figures are worked out by hand next to each reader.
 *
 * Morning Pages, joined in 2030-W02 (Mon 7 Jan – Sun 13 Jan):
 * - ann: confirmed; first-light delivered, opened, clicked; keep-going delivered, opened twice;
 *   graduation delivered. A newsletter to her, opened, must count nowhere.
 * - bob: confirmed; first-light delivered, opened; keep-going delivered; leaves the course 3 days
 *   after keep-going (unsubscribed after keep-going).
 * - cat: confirmed; first-light delivered; stops all email 10 days after it (outside the 7 days).
 * - dan: never confirmed, joined Sunday 23:59:59 UTC (still W02).
 * Joined in 2030-W03:
 * - hal: Monday 00:00 UTC; first-light delivered; leaves 1 day later (unsubscribed after first-light).
 * - eve: first-light hard-bounced (Permanent).
 * - fay: first-light delivered, then marked as spam.
 * Evening Review: gus, W02, look-back delivered and opened: none of it is Morning Pages'.
 */

export const MORNING = "morning-pages";
export const EVENING = "evening-review";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 7 January 2030, 00:00 UTC: the start of ISO week 2030-W02. */
export const W02 = Date.UTC(2030, 0, 7);
export const W03 = W02 + 7 * DAY;

export const WEBHOOK_SECRET = `whsec_${Buffer.from("lessonpost-analytics-test-secret-01").toString("base64")}`;

type App = Pick<ReturnType<typeof createApp>, "request">;

let deliveries = 0;

/** Posts one Resend event about `emailId`, signed as Resend signs it. */
export async function deliverEvent(
  app: App,
  type: string,
  emailId: string,
  at: number,
  data: Record<string, unknown> = {},
  id = `msg_analytics_${++deliveries}_${Math.random().toString(36).slice(2, 8)}`,
): Promise<void> {
  const raw = JSON.stringify({ type, created_at: new Date(at).toISOString(), data: { email_id: emailId, ...data } });
  const signedAt = new Date();
  const response = await app.request("/webhooks/resend", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": String(Math.floor(signedAt.getTime() / 1000)),
      "svix-signature": new Webhook(WEBHOOK_SECRET).sign(id, signedAt, raw),
    },
    body: raw,
  });
  if (response.status !== 200) throw new Error(`webhook ${type} answered ${response.status}: ${await response.text()}`);
}

async function reader(db: Database, name: string, joinedAt: number, course: string, confirmed: boolean): Promise<{ subscriberId: string; enrollmentId: string }> {
  const subscriberId = crypto.randomUUID();
  const enrollmentId = crypto.randomUUID();
  await db
    .insertInto("subscribers")
    .values({
      id: subscriberId,
      email: `${name}@example.com`,
      name,
      timezone: "UTC",
      status: confirmed ? "active" : "pending",
      created_at: joinedAt,
      updated_at: joinedAt,
      confirmed_at: confirmed ? joinedAt + HOUR : null,
      unsubscribed_at: null,
      confirmation_sent_at: joinedAt,
      consent_at: joinedAt,
      consent_ip: null,
      consent_user_agent: null,
      consent_form: "test",
      consent_text_version: "test",
    })
    .execute();
  await db
    .insertInto("enrollments")
    .values({
      id: enrollmentId,
      subscriber_id: subscriberId,
      course_slug: course,
      status: confirmed ? "active" : "pending",
      started_at: joinedAt,
      next_slug: null,
      next_due_at: null,
      last_day: -1,
      last_sent_at: null,
      completed_at: null,
      created_at: joinedAt,
      updated_at: joinedAt,
    })
    .execute();
  return { subscriberId, enrollmentId };
}

/** A ledger row the provider accepted at `sentAt` as `providerId`. */
async function sent(db: Database, who: { subscriberId: string; enrollmentId: string | null }, kind: SendKind, lessonSlug: string | null, sentAt: number): Promise<string> {
  const providerId = crypto.randomUUID();
  await db
    .insertInto("sends")
    .values({
      id: crypto.randomUUID(),
      dedupe_key: `${kind}:${who.enrollmentId}:${lessonSlug}:${providerId}`,
      kind,
      subscriber_id: who.subscriberId,
      enrollment_id: who.enrollmentId,
      lesson_slug: lessonSlug,
      status: "sent",
      provider_id: providerId,
      error: null,
      enqueued_at: sentAt,
      sent_at: sentAt,
      created_at: sentAt,
      updated_at: sentAt,
    })
    .execute();
  return providerId;
}

const meta = { ip: null, userAgent: null, how: "test" };

export async function seedAnalytics(db: Database, app: App): Promise<void> {
  const event = (type: string, emailId: string, at: number, data: Record<string, unknown> = {}) => deliverEvent(app, type, emailId, at, data);

  const ann = await reader(db, "ann", W02 + 9 * HOUR, MORNING, true);
  const bob = await reader(db, "bob", W02 + DAY, MORNING, true);
  const cat = await reader(db, "cat", W02 + 2 * DAY, MORNING, true);
  await reader(db, "dan", W03 - 1000, MORNING, false);
  const hal = await reader(db, "hal", W03, MORNING, true);
  const eve = await reader(db, "eve", W03 + DAY, MORNING, true);
  const fay = await reader(db, "fay", W03 + 2 * DAY, MORNING, true);
  const gus = await reader(db, "gus", W02 + DAY, EVENING, true);

  const annL1 = await sent(db, ann, "lesson", "first-light", W02 + 10 * HOUR);
  await event("email.delivered", annL1, W02 + 10 * HOUR + 1000);
  await event("email.opened", annL1, W02 + 11 * HOUR);
  await event("email.clicked", annL1, W02 + 11 * HOUR + 1000);
  const annL2 = await sent(db, ann, "lesson", "keep-going", W02 + 3 * DAY);
  await event("email.delivered", annL2, W02 + 3 * DAY + 1000);
  await event("email.opened", annL2, W02 + 3 * DAY + HOUR);
  await event("email.opened", annL2, W02 + 4 * DAY);
  const annGrad = await sent(db, ann, "graduation", null, W02 + 5 * DAY);
  await event("email.delivered", annGrad, W02 + 5 * DAY + 1000);
  const news = await sent(db, { subscriberId: ann.subscriberId, enrollmentId: null }, "newsletter", "first-light", W02 + 6 * DAY);
  await event("email.delivered", news, W02 + 6 * DAY + 1000);
  await event("email.opened", news, W02 + 6 * DAY + HOUR);

  const bobL1 = await sent(db, bob, "lesson", "first-light", W02 + DAY + HOUR);
  await event("email.delivered", bobL1, W02 + DAY + HOUR + 1000);
  await event("email.opened", bobL1, W02 + DAY + 2 * HOUR);
  const bobL2 = await sent(db, bob, "lesson", "keep-going", W02 + 4 * DAY);
  await event("email.delivered", bobL2, W02 + 4 * DAY + 1000);
  await leaveCourse(db, bob.subscriberId, MORNING, meta, W02 + 7 * DAY);

  const catL1 = await sent(db, cat, "lesson", "first-light", W02 + 2 * DAY + HOUR);
  await event("email.delivered", catL1, W02 + 2 * DAY + HOUR + 1000);
  await unsubscribe(db, cat.subscriberId, meta, W02 + 12 * DAY + HOUR);

  const halL1 = await sent(db, hal, "lesson", "first-light", W03 + HOUR);
  await event("email.delivered", halL1, W03 + HOUR + 1000);
  await leaveCourse(db, hal.subscriberId, MORNING, meta, W03 + DAY + HOUR);

  const eveL1 = await sent(db, eve, "lesson", "first-light", W03 + DAY + HOUR);
  await event("email.bounced", eveL1, W03 + DAY + HOUR + 1000, { bounce: { type: "Permanent", message: "no such mailbox" } });

  const fayL1 = await sent(db, fay, "lesson", "first-light", W03 + 2 * DAY + HOUR);
  await event("email.delivered", fayL1, W03 + 2 * DAY + HOUR + 1000);
  await event("email.complained", fayL1, W03 + 2 * DAY + 2 * HOUR);

  const gusL1 = await sent(db, gus, "lesson", "look-back", W02 + DAY + HOUR);
  await event("email.delivered", gusL1, W02 + DAY + HOUR + 1000);
  await event("email.opened", gusL1, W02 + DAY + 2 * HOUR);
}

/** Morning Pages' figures for the history above: [count, rate] per figure. */
export const MORNING_LESSONS = [
  {
    key: "first-light",
    sent: 6,
    delivered: [5, 5 / 6],
    opened: [2, 2 / 5],
    clicked: [1, 1 / 5],
    bounced: [1, 1 / 6],
    complained: [1, 1 / 5],
    unsubscribed: [1, 1 / 5],
  },
  { key: "keep-going", sent: 2, delivered: [2, 1], opened: [1, 1 / 2], clicked: [0, 0], bounced: [0, 0], complained: [0, 0], unsubscribed: [1, 1 / 2] },
  { key: "#graduation", sent: 1, delivered: [1, 1], opened: [0, 0], clicked: [0, 0], bounced: [0, 0], complained: [0, 0], unsubscribed: [0, 0] },
] as const;

/** Morning Pages' funnel: joined, confirmed, first-light sent, keep-going sent, graduated. */
export const MORNING_FUNNEL = [
  { week: "2030-W02", startsOn: "2030-01-07", counts: [4, 3, 3, 2, 1] },
  { week: "2030-W03", startsOn: "2030-01-14", counts: [3, 3, 3, 0, 0] },
] as const;
