import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, describe, expect, it } from "vitest";
import { start } from "../../src/boot.ts";
import type { Runtime } from "../../src/boot.ts";
import { silentLogger } from "../../src/log.ts";
import { pauseEnrollment, resumeEnrollment } from "../../src/store/enrollments.ts";
import { unsubscribeToken } from "../../src/tokens.ts";
import { runTick } from "../../workers/tick-worker.ts";
import { bulkReaders } from "../support/readers.ts";
import { countKeys } from "../support/redis.ts";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

describe("engine guarantees", () => {
  let stack: Stack | undefined;
  let workers: Runtime | undefined;
  afterEach(async () => {
    await workers?.shutdown();
    await stack?.stop();
    stack = undefined;
    workers = undefined;
  });

  async function signUpAndConfirm(s: Stack, email: string): Promise<void> {
    await fetch(`${s.baseUrl}/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email }) });
    const confirmation = await waitFor(`confirmation for ${email}`, () => s.fake.emails.find((e) => e.to.includes(email)));
    const path = linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/);
    const res = await formPost(`${s.baseUrl}${path}`);
    expect(res.status).toBe(200);
  }

  it("a reader who unsubscribes, complains or pauses after their lesson was queued gets nothing; the paused one gets it on resume", async () => {
    // HTTP and a worker for the confirmations first; then lesson jobs pile up in Redis with no worker.
    stack = await startStack("sqlite");
    for (const who of ["leaver", "complainer", "pauser", "stayer"]) await signUpAndConfirm(stack, `${who}@example.com`);
    await waitFor("4 lessons delivered", () => (stack!.fake.emails.length === 8 ? true : undefined));
    await stack.runtime.shutdown();
    stack.fake.reset();

    // Lesson 2 becomes due (a week on) while only the HTTP role runs: the jobs wait in Redis.
    const http = await start(["http"], stack.env, { log: silentLogger });
    const db = http.db;
    await db.updateTable("enrollments").set({ next_due_at: 0, last_sent_at: null }).execute();
    await runTick({ db, catalogue: catalogueOf([http.catalogue.primary]), dispatcher: http.producer, courseDaySeconds: undefined }, Date.now() + 8 * 24 * 3600_000);
    const queued = await db.selectFrom("sends").select(["id", "subscriber_id"]).where("status", "=", "queued").execute();
    expect(queued).toHaveLength(4);
    expect(await http.producer.sendQueue.count()).toBeGreaterThan(0);

    const id = async (email: string) => (await db.selectFrom("subscribers").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
    const leaverToken = await unsubscribeToken(stack.env.SECRET_KEY!, await id("leaver@example.com"));
    const port = (http.server!.address() as { port: number }).port;
    const oneClick = await fetch(`http://127.0.0.1:${port}/unsubscribe/${leaverToken}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(oneClick.status).toBe(200);
    // A complaint arrives through the provider, not the reader: only the subscriber row changes.
    await db.updateTable("subscribers").set({ status: "complained" }).where("email", "=", "complainer@example.com").execute();
    const pauser = await db.selectFrom("enrollments").select("id").where("subscriber_id", "=", await id("pauser@example.com")).executeTakeFirstOrThrow();
    await pauseEnrollment(db, pauser.id, Date.now());
    await http.shutdown();

    workers = await start(["workers"], stack.env, { log: silentLogger });
    await waitFor("the stayer's lesson", () => stack!.fake.emails.find((e) => e.to.includes("stayer@example.com")));
    await waitFor("every queued row to settle or park", async () => {
      const rows = await workers!.db.selectFrom("sends").select(["status", "enqueued_at"]).where("kind", "=", "lesson").where("status", "in", ["queued", "sending"]).execute();
      return rows.length === 1 && rows[0]!.enqueued_at === null ? true : undefined;
    });
    const recipients = stack.fake.emails.flatMap((e) => e.to);
    expect(recipients).toEqual(["stayer@example.com"]);
    const byEmail = async (email: string) =>
      workers!.db.selectFrom("sends").innerJoin("subscribers", "subscribers.id", "sends.subscriber_id").select(["sends.status", "sends.error"]).where("subscribers.email", "=", email).where("sends.kind", "=", "lesson").orderBy("sends.created_at", "desc").executeTakeFirstOrThrow();
    expect(await byEmail("leaver@example.com")).toEqual({ status: "cancelled", error: "unsubscribed" });
    expect(await byEmail("complainer@example.com")).toEqual({ status: "cancelled", error: "subscriber complained" });
    expect(await byEmail("pauser@example.com")).toEqual({ status: "queued", error: "reader paused" });

    await resumeEnrollment(workers.db, pauser.id, Date.now());
    const late = await waitFor("the paused reader's lesson after resume", () => stack!.fake.emails.find((e) => e.to.includes("pauser@example.com")));
    expect(late.subject).toBe(workers.catalogue.primary.lessons[1]!.subject);
    expect(stack.fake.duplicates()).toEqual([]);
  });

  it("readers whose next lesson is days away leave nothing in Redis", async () => {
    stack = await startStack("sqlite", { roles: ["http"] });
    const { db, catalogue, producer } = stack.runtime;
    const course = catalogue.primary;
    const tick = () => runTick({ db, catalogue, dispatcher: producer }, Date.now());
    await tick();
    // Let the queue finish its own start-up writes (its meta key) before counting.
    await producer.sendQueue.waitUntilReady();
    await producer.sendQueue.getJobCounts();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const keysBefore = await countKeys(stack.prefix);
    await bulkReaders(db, course, 10_000, { confirmedAt: Date.now() - 24 * 3600_000, nextDueAt: Date.now() + 6 * 24 * 3600_000, lastDay: 0 });
    const result = await tick();
    expect(result).toMatchObject({ queued: 0, offered: 0 });
    expect(await producer.sendQueue.getJobCounts()).toEqual(expect.objectContaining({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 }));
    expect(await countKeys(stack.prefix)).toBe(keysBefore);
  });
});
