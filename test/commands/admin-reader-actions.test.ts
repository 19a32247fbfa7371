import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importReaders } from "../../src/commands/import-readers.ts";
import { readerView, runReaderAction } from "../../src/commands/reader-actions.ts";
import type { Services } from "../../src/commands/services.ts";
import { loadCourse } from "../../src/content/load.ts";
import { DomainError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { findReaderByIdOrEmail } from "../../src/store/admin-queries.ts";
import { openDatabase } from "../../src/store/connect.ts";
import type { Database } from "../../src/store/database.ts";
import { createTestDatabase, ENGINES } from "../support/databases.ts";
import type { TestDatabase } from "../support/databases.ts";

const NOW = Date.UTC(2026, 5, 1, 9);

/** The admin's reader actions without HTTP: what the console, the API and the CLI all run. */
describe.each(ENGINES)("admin reader commands (%s)", (engine) => {
  let testDb: TestDatabase;
  let db: Database;
  let services: Services;
  let queued: string[];

  beforeEach(async () => {
    testDb = await createTestDatabase(engine);
    db = await openDatabase(testDb.url);
    queued = [];
    services = {
      db,
      catalogue: catalogueOf([await loadCourse("content/couples-therapy-up-close")]),
      log: createLogger("error", () => undefined),
      appUrl: "http://localhost",
      secretKey: "a test secret key that is long enough to sign",
      dispatcher: { enqueueSends: async (ids) => void queued.push(...ids) },
      now: () => NOW,
    };
  });
  afterEach(async () => {
    await db.destroy();
    await testDb.drop();
  });

  async function enrolledReader(): Promise<string> {
    await importReaders(db, services.catalogue.primary, "email\nann@example.com\n", { consentSource: "command test", enroll: true }, NOW - 60_000);
    return (await findReaderByIdOrEmail(db, "ann@example.com"))!.id;
  }

  const refusal = async (run: Promise<unknown>) => {
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    const { kind, code } = error as DomainError;
    return { kind, code };
  };

  it("sends a lesson by its number, hands it to the queue, and shows it on the reader's timeline", async () => {
    const id = await enrolledReader();
    const lesson = services.catalogue.primary.lessons[1]!;
    const outcome = await runReaderAction(services, id, "send-lesson", { lesson: String(lesson.number) });
    expect(outcome.lesson?.slug).toBe(lesson.slug);
    expect(queued).toEqual([outcome.sendId]);
    const view = await readerView(services, id);
    expect(view.timeline.some((e) => e.kind === "queued" && e.sendId === outcome.sendId && e.text.includes(lesson.title))).toBe(true);
    expect(view.next.sentence).toContain("Waiting for lesson");
  });

  it("pauses and resumes a reader once each, refusing the repeat as a conflict", async () => {
    const id = await enrolledReader();
    await runReaderAction(services, id, "pause", {});
    expect(await refusal(runReaderAction(services, id, "pause", {}))).toEqual({ kind: "conflict", code: "not_active" });
    await runReaderAction(services, id, "resume", {});
    expect(await refusal(runReaderAction(services, id, "resume", {}))).toEqual({ kind: "conflict", code: "not_paused" });
  });

  it("names what is wrong: an unknown reader, an unknown lesson, a skip without a reason", async () => {
    const id = await enrolledReader();
    expect(await refusal(runReaderAction(services, crypto.randomUUID(), "pause", {}))).toEqual({ kind: "not_found", code: "unknown_reader" });
    expect(await refusal(runReaderAction(services, id, "move", { lesson: "99" }))).toEqual({ kind: "malformed", code: "unknown_lesson" });
    expect(await refusal(runReaderAction(services, id, "skip-lesson", { reason: " " }))).toEqual({ kind: "malformed", code: "reason_required" });
    expect(await refusal(runReaderAction(services, id, "retry-lesson", {}))).toEqual({ kind: "conflict", code: "not_possible" });
  });
});
