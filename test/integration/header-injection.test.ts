import { afterEach, describe, expect, it } from "vitest";
import { formPost, linkPath, startStack, waitFor } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/** A name is data, never a header: what reaches the provider after a CRLF-laden signup. */
describe("header injection through the name field", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
  });

  it("a name with \\r\\nBcc: reaches the provider as a harmless display name, with no extra recipient", async () => {
    stack = await startStack("sqlite");
    const res = await fetch(`${stack.baseUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "eve@example.com", name: "Eve\r\nBcc: victim@example.com" }),
    });
    expect(res.status).toBe(202);
    const confirmation = await waitFor("the confirmation", () => stack!.fake.emails[0]);
    await formPost(`${stack.baseUrl}${linkPath(confirmation.text ?? "", /https:\/\/lessons\.example\.test\/confirm\/[\w.-]+/)}`);
    await waitFor("lesson 1", () => (stack!.fake.emails.length === 2 ? true : undefined));

    for (const email of stack.fake.emails) {
      expect(email.to).toHaveLength(1);
      expect(email.to[0]).toMatch(/<eve@example\.com>$/);
      expect(email.to[0]).not.toMatch(/[\r\n]/);
      expect(email.bcc).toEqual([]);
      expect(email.cc).toEqual([]);
      expect(Object.keys(email.headers).map((k) => k.toLowerCase())).not.toContain("bcc");
      for (const value of Object.values(email.headers)) expect(value).not.toMatch(/[\r\n]/);
      expect(email.subject).not.toMatch(/[\r\n]|victim/);
      expect(JSON.stringify(stack.fake.emails.map((e) => e.to))).not.toContain("victim@example.com>");
    }
    const lesson = stack.fake.emails[1]!;
    expect(lesson.text).toContain("Eve Bcc: victim@example.com");
    expect(lesson.text).not.toMatch(/Eve\r?\nBcc/);
    const row = await stack.runtime.db.selectFrom("subscribers").select("name").executeTakeFirstOrThrow();
    expect(row.name).toBe("Eve Bcc: victim@example.com");
  });
});
