import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, productionWarnings } from "../../src/config.ts";
import { parseMailbox } from "../../src/email-address.ts";

const production = { NODE_ENV: "production", SECRET_KEY: "s".repeat(40), APP_URL: "https://lessons.example.com" };

describe("EMAIL_FROM", () => {
  it.each([
    ["lessons@example.com", { name: null, address: "lessons@example.com" }],
    ["Lessonpost <lessons@Example.com>", { name: "Lessonpost", address: "lessons@example.com" }],
    ['"Couples, Up Close" <hello@example.com>', { name: "Couples, Up Close", address: "hello@example.com" }],
  ])("accepts %j", (value, parsed) => {
    expect(parseMailbox(value)).toEqual(parsed);
    expect(parseConfig({ EMAIL_FROM: value }).EMAIL_FROM).toBe(value);
  });

  it.each(["lessons at example.com", "Lessons <not-an-address>", "Lessons <a@b@example.com>", "<>", "Lessons <lessons@example.com", "Eve\r\nBcc: x@example.com <a@example.com>", `a@${"b".repeat(70)}.com`])(
    "refuses %j with one line naming EMAIL_FROM",
    (value) => {
      expect(() => parseConfig({ EMAIL_FROM: value })).toThrow(ConfigError);
      expect(() => parseConfig({ EMAIL_FROM: value })).toThrow(/^Invalid configuration: EMAIL_FROM: must be an address[^\n]*$/);
    },
  );
});

describe("configuration errors", () => {
  it("fit on one line, naming every bad variable", () => {
    let message = "";
    try {
      parseConfig({ PORT: "x", TICK_MS: "1", REDIS_URL: "http://nope" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^Invalid configuration: /);
    for (const name of ["PORT:", "TICK_MS:", "REDIS_URL:"]) expect(message).toContain(name);
  });

  it("require APP_URL in production only", () => {
    expect(() => parseConfig({ ...production, APP_URL: undefined })).toThrow(/^Invalid configuration: APP_URL: is required when NODE_ENV=production/);
    expect(() => parseConfig({ ...production, APP_URL: "" })).toThrow(/APP_URL: is required/);
    expect(parseConfig({ NODE_ENV: "development" }).APP_URL).toBe("http://localhost:3000");
  });
});

describe("production warnings", () => {
  it("name an http APP_URL and a free-mail sender", () => {
    const warnings = productionWarnings(parseConfig({ ...production, APP_URL: "http://lessons.example.com", EMAIL_FROM: "Me <me@yahoo.com>" }));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^APP_URL=http:\/\/lessons\.example\.com is not https/);
    expect(warnings[1]).toMatch(/^EMAIL_FROM is on yahoo\.com, a free-mail domain whose DMARC policy/);
  });

  it.each(["gmail.com", "outlook.com", "hotmail.com", "aol.com", "icloud.com"])("warn about a sender on %s", (domain) => {
    expect(productionWarnings(parseConfig({ ...production, EMAIL_FROM: `x@${domain}` }))).toEqual([expect.stringContaining(domain)]);
  });

  it("are silent for https and a sender on its own domain, and outside production", () => {
    expect(productionWarnings(parseConfig({ ...production, EMAIL_FROM: "Lessons <hi@lessons.example.com>" }))).toEqual([]);
    expect(productionWarnings(parseConfig({ EMAIL_FROM: "x@gmail.com" }))).toEqual([]);
  });
});

describe("the signup conversion settings", () => {
  it("remind after 24 hours by default, and 0 turns the reminder off", () => {
    expect(parseConfig({}).CONFIRM_REMINDER_HOURS).toBe(24);
    expect(parseConfig({ CONFIRM_REMINDER_HOURS: "0" }).CONFIRM_REMINDER_HOURS).toBe(0);
    expect(() => parseConfig({ CONFIRM_REMINDER_HOURS: "-1" })).toThrow(/CONFIRM_REMINDER_HOURS/);
  });

  it("verify Turnstile tokens at Cloudflare unless told otherwise", () => {
    expect(parseConfig({}).TURNSTILE_VERIFY_URL).toBe("https://challenges.cloudflare.com/turnstile/v0/siteverify");
    expect(parseConfig({ TURNSTILE_SECRET_KEY: "secret", TURNSTILE_SITE_KEY: "site" })).toMatchObject({ TURNSTILE_SECRET_KEY: "secret", TURNSTILE_SITE_KEY: "site" });
  });

  it("refuse one Turnstile key without the other, naming the missing one", () => {
    expect(() => parseConfig({ TURNSTILE_SECRET_KEY: "secret" })).toThrow(/^Invalid configuration: TURNSTILE_SITE_KEY: must be set together/);
    expect(() => parseConfig({ TURNSTILE_SITE_KEY: "site" })).toThrow(/^Invalid configuration: TURNSTILE_SECRET_KEY: must be set together/);
  });
});
