import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { confirmToken, preferencesToken, unsubscribeToken } from "../../src/tokens.ts";
import { appFor, form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

/**
 * A reader's life in the log: signup, confirm, unsubscribe, erase, each one line, by reader id,
 * never by address (logs are shipped to places the database's protection does not reach).
 */
let t: TestApp;
let lines: string[];
let app: TestApp["app"];
const EMAIL = "logged.reader@example.com";

beforeEach(async () => {
  t = await makeTestApp();
  lines = [];
  app = appFor(t, { log: createLogger("debug", (line) => lines.push(line)) });
});
afterEach(async () => {
  await t.close();
});

const eventLines = (event: string) => lines.filter((line) => line.includes(`"event":"${event}"`));

async function signUpAndConfirm(): Promise<string> {
  await app.request("/subscribe", form({ email: EMAIL, name: "Robin" }));
  const id = (await t.db.selectFrom("subscribers").select("id").where("email", "=", EMAIL).executeTakeFirstOrThrow()).id;
  expect((await app.request(`/confirm/${await confirmToken(TEST_SECRET, id, t.clock.now)}`, form())).status).toBe(200);
  return id;
}

describe("lifecycle events in the log", () => {
  it("logs signup, confirm, unsubscribe and erase once each, by reader id, with no address in any line", async () => {
    const id = await signUpAndConfirm();
    expect((await app.request(`/unsubscribe/${await unsubscribeToken(TEST_SECRET, id)}`, form({ scope: "course" }))).status).toBe(200);
    expect((await app.request(`/preferences/${await preferencesToken(TEST_SECRET, id, t.clock.now)}/delete`, form({ confirm: "yes" }))).status).toBeLessThan(400);
    expect(await t.db.selectFrom("subscribers").select("id").where("id", "=", id).executeTakeFirst()).toBeUndefined();

    for (const event of ["signup", "confirm", "unsubscribe", "erase"]) {
      const found = eventLines(event);
      expect(found, `one "${event}" line`).toHaveLength(1);
      expect(found[0]).toContain(`"subscriber":"${id}"`);
    }
    expect(eventLines("signup")[0]).toContain(`"course":"${t.course.slug}"`);
    expect(eventLines("unsubscribe")[0]).toContain(`"scope":"course"`);
    expect(lines.filter((line) => /[\w.+-]+@[\w-]+\.[\w.]+/.test(line))).toEqual([]);
  });

  it("logs 'stop all email' with its scope, and a second unsubscribe that changes nothing logs nothing more", async () => {
    const id = await signUpAndConfirm();
    const token = await unsubscribeToken(TEST_SECRET, id);
    await app.request(`/unsubscribe/${token}`, form({ scope: "all" }));
    await app.request(`/unsubscribe/${token}`, form({ scope: "all" }));
    const found = eventLines("unsubscribe");
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`"scope":"all"`);
    expect(lines.join("\n")).not.toContain(EMAIL);
  });
});
