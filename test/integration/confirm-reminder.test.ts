import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { composeEmail } from "../../src/render/compose.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { queuedSend } from "../../src/store/sends.ts";
import { confirmSubscriber, findSubscriber, recordSignup, unsubscribe } from "../../src/store/subscribers.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { appFor, form } from "../support/app.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";
import { createFakeDispatcher } from "../support/fake-dispatcher.ts";
import type { FakeDispatcher } from "../support/fake-dispatcher.ts";
import { formPost, linkPath, startStack, TEST_SECRET, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const SIGNED_UP = Date.UTC(2026, 2, 2, 10);
const APP_URL = "https://lessons.example.test";

/**
 * The one confirmation reminder, driven through the scheduler tick with the clock in the test's
 * hands: due CONFIRM_REMINDER_HOURS after the confirmation email, once per reader ever, only to
 * readers still pending, and with a link that confirms.
 */
describe.each(ENGINES)("the confirmation reminder (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let course: Course;
  let dispatcher: FakeDispatcher;

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    course = await loadCourse("content/couples-therapy-up-close");
    dispatcher = createFakeDispatcher(db);
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  const tick = (now: number, confirmReminderHours = 24) => runTick({ db, catalogue: catalogueOf([course]), dispatcher, confirmReminderHours }, now);
  const signUp = async (email: string, at = SIGNED_UP) => {
    const { subscriberId } = await recordSignup(db, { email, name: "Dana", timezone: "UTC", ip: null, userAgent: null, form: "test", consentTextVersion: "test" }, at);
    return subscriberId!;
  };
  const remindersOf = (subscriberId: string) => db.selectFrom("sends").selectAll().where("subscriber_id", "=", subscriberId).where("kind", "=", "confirm-reminder").execute();

  it("is queued once, CONFIRM_REMINDER_HOURS after the confirmation email, and handed to the queue", async () => {
    const reader = await signUp("pending@example.com");
    await tick(SIGNED_UP + 24 * HOUR - 60_000);
    expect(await remindersOf(reader)).toHaveLength(0);

    const first = await tick(SIGNED_UP + 24 * HOUR);
    expect(first.reminders).toBe(1);
    const [reminder] = await remindersOf(reader);
    expect(reminder).toMatchObject({ dedupe_key: `confirm-reminder:${reader}`, status: "queued" });
    expect(reminder!.enqueued_at).not.toBeNull();
    expect(dispatcher.sends).toContain(reminder!.id);

    // Later ticks, and the reminder having gone out, change nothing: never a second one.
    await db.updateTable("sends").set({ status: "sent", sent_at: SIGNED_UP + 25 * HOUR }).where("id", "=", reminder!.id).execute();
    for (const at of [SIGNED_UP + 25 * HOUR, SIGNED_UP + 3 * DAY]) expect((await tick(at)).reminders).toBe(0);
    expect(await remindersOf(reader)).toHaveLength(1);
  });

  it("is never sent twice, even after the reader signs up again and ignores that email too", async () => {
    const reader = await signUp("twice@example.com");
    await tick(SIGNED_UP + 24 * HOUR);
    const again = SIGNED_UP + 2 * DAY;
    expect(await signUp("twice@example.com", again)).toBe(reader);
    await tick(again + 24 * HOUR);
    await tick(again + 5 * DAY);
    expect(await remindersOf(reader)).toHaveLength(1);
  });

  it("carries a fresh confirm link that confirms the reader", async () => {
    const reader = await signUp("late@example.com");
    // Six days on: the first link has a day left; the reminder's must outlive it.
    const remindedAt = SIGNED_UP + 6 * DAY;
    await tick(remindedAt);
    const [row] = await remindersOf(reader);
    const subscriber = (await findSubscriber(db, reader))!;
    const email = await composeEmail(row!, subscriber, { course, appUrl: APP_URL, secretKey: TEST_SECRET, from: "Lessons <lessons@example.com>", now: remindedAt });
    expect(email.subject).toContain(course.name);
    // Transactional, like the confirmation: no list headers before the reader is on the list.
    expect(email.headers?.["List-Unsubscribe"]).toBeUndefined();
    const path = /https:\/\/lessons\.example\.test(\/confirm\/[\w.-]+)/.exec(email.text)?.[1];
    expect(path).toBeDefined();

    const clock = { now: SIGNED_UP + 8 * DAY };
    const app = appFor({ db, course, clock, dispatcher });
    const res = await app.request(path!, form());
    expect(res.status).toBe(200);
    expect((await findSubscriber(db, reader))!.status).toBe("active");
  });

  it("never goes to a reader who confirmed, or who unsubscribed", async () => {
    const confirmed = await signUp("confirmed@example.com");
    await confirmSubscriber(db, confirmed, { ip: null, userAgent: null, how: "test" }, SIGNED_UP + HOUR);
    const left = await signUp("left@example.com");
    await confirmSubscriber(db, left, { ip: null, userAgent: null, how: "test" }, SIGNED_UP + HOUR);
    await unsubscribe(db, left, { ip: null, userAgent: null, how: "test" }, SIGNED_UP + 2 * HOUR);

    for (const at of [SIGNED_UP + 24 * HOUR, SIGNED_UP + 2 * DAY]) expect((await tick(at)).reminders).toBe(0);
    expect(await remindersOf(confirmed)).toHaveLength(0);
    expect(await remindersOf(left)).toHaveLength(0);
  });

  it("is off with CONFIRM_REMINDER_HOURS=0", async () => {
    const reader = await signUp("nobody-reminds@example.com");
    for (const at of [SIGNED_UP + 24 * HOUR, SIGNED_UP + 3 * DAY]) expect((await tick(at, 0)).reminders).toBe(0);
    expect(await remindersOf(reader)).toHaveLength(0);
  });

  it("follows the configured hours", async () => {
    const reader = await signUp("soon@example.com");
    await tick(SIGNED_UP + 2 * HOUR - 1, 2);
    expect(await remindersOf(reader)).toHaveLength(0);
    await tick(SIGNED_UP + 2 * HOUR, 2);
    expect(await remindersOf(reader)).toHaveLength(1);
  });

  it("leaves alone signups that went stale more than a week past the reminder's time", async () => {
    const stale = await signUp("stale@example.com");
    // Reminders switched on, or the tick back, long after this reader signed up and walked away.
    await tick(SIGNED_UP + 24 * HOUR + 8 * DAY);
    expect(await remindersOf(stale)).toHaveLength(0);
  });
});

/**
 * Through the running service (HTTP, tick and send worker, fake provider): a reminder row goes out
 * as its own email with a working link, and one whose reader confirmed in the meantime is dropped
 * at send time instead of reaching them.
 */
describe.each(ENGINES)("the confirmation reminder at send time (%s)", (engine) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  const readerId = async (email: string) => (await stack!.runtime.db.selectFrom("subscribers").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
  /** The row the tick would have queued, put in the ledger directly: the clock here is real. */
  const queueReminder = async (subscriberId: string) => {
    const row = queuedSend({ dedupeKey: `confirm-reminder:${subscriberId}`, kind: "confirm-reminder", subscriberId }, Date.now());
    await stack!.runtime.db.insertInto("sends").values(row).execute();
    return row.id;
  };
  const settled = (id: string) => async () => {
    const row = await stack!.runtime.db.selectFrom("sends").select(["status", "error"]).where("id", "=", id).executeTakeFirstOrThrow();
    return row.status === "queued" || row.status === "sending" ? undefined : row;
  };

  it("sends a pending reader the reminder, whose link confirms them", async () => {
    stack = await startStack(engine);
    const { baseUrl, fake } = stack;
    expect((await formPost(`${baseUrl}/subscribe`, { email: "pending@example.com" })).status).toBe(200);
    const id = await queueReminder(await readerId("pending@example.com"));
    const reminder = await waitFor("the reminder at the provider", () => fake.emails.find((e) => e.subject.startsWith("Still want")));
    expect(await waitFor("the reminder's row to settle", settled(id))).toMatchObject({ status: "sent" });
    expect(reminder.headers["List-Unsubscribe"]).toBeUndefined();
    const path = linkPath(reminder.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/);
    expect((await formPost(`${baseUrl}${path}`)).status).toBe(200);
    expect((await stack.runtime.db.selectFrom("subscribers").select("status").where("id", "=", await readerId("pending@example.com")).executeTakeFirstOrThrow()).status).toBe("active");
  }, 60_000);

  it("drops a reminder whose reader confirmed before it went out", async () => {
    stack = await startStack(engine);
    const { baseUrl, fake } = stack;
    expect((await formPost(`${baseUrl}/subscribe`, { email: "quick@example.com" })).status).toBe(200);
    const confirmation = await waitFor("the confirmation email", () => fake.emails.find((e) => e.subject.startsWith("Confirm")));
    expect((await formPost(`${baseUrl}${linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/)}`)).status).toBe(200);
    const id = await queueReminder(await readerId("quick@example.com"));
    expect(await waitFor("the reminder's row to settle", settled(id))).toEqual({ status: "cancelled", error: "subscriber active" });
    expect(fake.emails.filter((e) => e.subject.startsWith("Still want"))).toHaveLength(0);
  }, 60_000);
});
