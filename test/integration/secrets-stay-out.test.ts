import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { formPost, linkPath, startStack, TEST_API_KEY, TEST_SECRET, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/** Job data carries ids only, and logs carry no secrets, addresses or link tokens. */
describe("secrets stay out of Redis jobs and logs", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
  });

  it("runs the signup flow at debug level and finds nothing sensitive in the logs or the jobs", async () => {
    const lines: string[] = [];
    stack = await startStack("sqlite", { log: createLogger("debug", (line) => lines.push(line)), env: { LOG_LEVEL: "debug" } });
    await formPost(`${stack.baseUrl}/subscribe`, { email: "private.person@example.com", name: "Private Person" });
    const confirmation = await waitFor("the confirmation", () => stack!.fake.emails[0]);
    const confirmPath = linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/);
    await formPost(`${stack.baseUrl}${confirmPath}`);
    const lesson = await waitFor("lesson 1", () => stack!.fake.emails[1]);
    const unsubscribeToken = lesson.headers["List-Unsubscribe"]!.match(/unsubscribe\/([\w.-]+)/)![1]!;

    const jobs = await stack.runtime.producer.sendQueue.getJobs(["completed", "waiting", "active", "delayed", "failed"]);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(Object.keys(job.data).sort()).toEqual(["sendId"]);

    expect(lines.length).toBeGreaterThan(0);
    const log = lines.join("\n");
    for (const secret of [TEST_SECRET, TEST_API_KEY, "private.person@example.com", "Private Person", confirmPath.split("/").pop()!, unsubscribeToken]) {
      expect(log).not.toContain(secret);
    }
  });
});
