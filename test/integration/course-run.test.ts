import { afterEach, describe, expect, it } from "vitest";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";
import { mapPool } from "../support/pool.ts";

const READERS = 1000;
const DAY_SECONDS = 0.25;

/**
 * 1,000 readers through the whole course in compressed time, over HTTP, against the fake Resend:
 * sign up, confirm, then every lesson and the graduation email, each exactly once and in order,
 * never closer together than one (compressed) day.
 */
describe("a whole course run", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it(`takes ${READERS} readers through every lesson exactly once, in order, with the gap kept`, async () => {
    stack = await startStack("postgres", { env: { COURSE_DAY_SECONDS: String(DAY_SECONDS), TICK_MS: "100", RESEND_RATE_LIMIT: "2000", SEND_CONCURRENCY: "25", SIGNUP_LIMIT_IP_PER_MINUTE: "100000", SIGNUP_LIMIT_IP_PER_HOUR: "100000" } });
    const { baseUrl, fake, runtime } = stack;
    const emails = Array.from({ length: READERS }, (_, i) => `reader${i}@example.com`);

    await mapPool(emails, 25, async (email) => {
      const res = await fetch(`${baseUrl}/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, timezone: "Europe/Paris" }) });
      expect(res.status).toBe(202);
    });
    await waitFor("every confirmation", () => (fake.emails.length >= READERS ? true : undefined), 60_000);
    const confirmations = new Map(fake.emails.map((e) => [e.to[0]!, e]));
    await mapPool(emails, 25, async (email) => {
      const path = linkPath(confirmations.get(email)!.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/);
      const res = await formPost(`${baseUrl}${path}`);
      expect(res.status).toBe(200);
    });

    const perReader = runtime.catalogue.primary.lessons.length + 2;
    await waitFor("every lesson and graduation email", () => (fake.emails.length >= READERS * perReader ? true : undefined), 120_000);
    // The provider has every email; the ledger is settled once each worker has recorded its answer.
    await waitFor("every ledger row to be settled", async () => ((await runtime.db.selectFrom("sends").select("id").where("status", "in", ["queued", "sending"]).execute()).length === 0 ? true : undefined), 60_000);

    expect(fake.emails).toHaveLength(READERS * perReader);
    expect(fake.duplicates()).toEqual([]);
    const expectedSubjects = [...runtime.catalogue.primary.lessons.map((l) => l.subject), runtime.catalogue.primary.graduation.subject];
    const received = new Map<string, string[]>();
    for (const email of fake.emails) {
      if (email.subject.startsWith("Confirm")) continue;
      const list = received.get(email.to[0]!) ?? [];
      list.push(email.subject);
      received.set(email.to[0]!, list);
    }
    expect(received.size).toBe(READERS);
    for (const subjects of received.values()) expect(subjects).toEqual(expectedSubjects);

    const sends = await runtime.db.selectFrom("sends").select(["subscriber_id", "kind", "status", "sent_at", "provider_id", "batch_id"]).where("kind", "!=", "confirm").orderBy("sent_at").execute();
    expect(sends.every((s) => s.status === "sent")).toBe(true);
    expect(new Set(sends.map((s) => s.provider_id))).toEqual(new Set(fake.emails.filter((e) => !e.subject.startsWith("Confirm")).map((e) => e.id)));
    const bySubscriber = new Map<string, number[]>();
    // The gap counts between the provider accepting one email and the next.
    for (const s of sends) bySubscriber.set(s.subscriber_id, [...(bySubscriber.get(s.subscriber_id) ?? []), s.sent_at!]);
    for (const times of bySubscriber.values()) {
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(DAY_SECONDS * 1000);
    }
    // Lessons after the first went out through the batch endpoint (a lesson 1 can too, when a tick
    // reaches a fresh enrollment before the confirm handler does).
    const batched = sends.filter((s) => s.batch_id !== null).length;
    expect(batched).toBeGreaterThanOrEqual(READERS * (perReader - 2));
    expect(fake.emails.filter((e) => e.batch).length).toBe(batched);
  }, 240_000);
});
