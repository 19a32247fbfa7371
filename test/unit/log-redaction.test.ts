import { describe, expect, it } from "vitest";
import { createLogger, redactTokens } from "../../src/log.ts";

const TOKEN = "eyJzdWIiOiJhYmMiLCJwIjoidSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("log redaction", () => {
  it("takes the token out of unsubscribe, confirm, preferences and web-version paths, encoded or not", () => {
    expect(redactTokens(`/unsubscribe/${TOKEN}`)).toBe("/unsubscribe/[redacted]");
    expect(redactTokens(`/unsubscribe/${TOKEN}/undo`)).toBe("/unsubscribe/[redacted]/undo");
    expect(redactTokens(`https://lessons.example/confirm/${TOKEN}?x=1`)).toBe("https://lessons.example/confirm/[redacted]?x=1");
    expect(redactTokens(`GET /preferences/${TOKEN}/data.json failed`)).toBe("GET /preferences/[redacted]/data.json failed");
    expect(redactTokens(`https://lessons.example/email/${TOKEN}`)).toBe("https://lessons.example/email/[redacted]");
    expect(redactTokens(`path "/Preferences%2F${TOKEN}"`)).toBe('path "/Preferences%2F[redacted]"');
    expect(redactTokens(`/outbox?token=${TOKEN}&a=b`)).toBe("/outbox?token=[redacted]&a=b");
    expect(redactTokens("/admin/readers/1234 and /subscribe")).toBe("/admin/readers/1234 and /subscribe");
  });

  it("takes the token out of a tracked link's path too", () => {
    expect(redactTokens(`GET /r/${TOKEN}`)).toBe("GET /r/[redacted]");
    expect(redactTokens(`https://lessons.example/r/${TOKEN}`)).toBe("https://lessons.example/r/[redacted]");
    expect(redactTokens(`path "/r%2F${TOKEN}"`)).toBe('path "/r%2F[redacted]"');
  });

  it("keeps only the prefix of an API key that strays into a line", () => {
    const key = "lp_Zm9vYmFyYmF6cXV4cXV1eHF1dXpxdXV6cXV1enF1dXo";
    expect(redactTokens(`Authorization: Bearer ${key}`)).toBe("Authorization: Bearer lp_[redacted]");
    expect(redactTokens("help_desk and lp_short stay")).toBe("help_desk and lp_short stay");
  });

  it("applies to every line the logger writes, message and fields alike", () => {
    const lines: string[] = [];
    const log = createLogger("debug", (line) => lines.push(line));
    log.error(`fetch /confirm/${TOKEN} failed`, { path: `/unsubscribe/${TOKEN}`, error: `no row for /preferences/${TOKEN}/pause`, count: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]).toContain("/confirm/[redacted] failed");
    expect(lines[0]).toContain('"path":"/unsubscribe/[redacted]"');
    expect(lines[0]).toContain('"count":3');
  });
});
