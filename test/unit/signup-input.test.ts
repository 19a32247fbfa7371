import { describe, expect, it } from "vitest";
import { parseSignup } from "../../src/http/signup-input.ts";

describe("parseSignup", () => {
  it("normalises the address: trimmed, domain lowercased, local part kept", () => {
    const result = parseSignup({ email: "  Ann.Lee@Example.COM ", name: " Ann ", timezone: "Europe/Paris" });
    expect(result).toEqual({ ok: true, fields: { email: "Ann.Lee@example.com", name: "Ann", timezone: "Europe/Paris", website: undefined } });
  });

  it.each([["not-an-email"], ["a@b"], ["@example.com"], ["ann@@example.com"], [""], [`${"a".repeat(250)}@example.com`], ["ann\r\n@example.com"]])(
    "rejects %j with a message",
    (email) => {
      const result = parseSignup({ email });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.field).toBe("email");
        expect(result.message.length).toBeGreaterThan(10);
      }
    },
  );

  it("turns control characters in names into spaces, so no header can be injected", () => {
    const result = parseSignup({ email: "a@example.com", name: "Eve\r\nBcc: victim@example.com" });
    expect(result.ok && result.fields.name).toBe("Eve Bcc: victim@example.com");
  });

  it("limits name length", () => {
    const result = parseSignup({ email: "a@example.com", name: "x".repeat(101) });
    expect(result).toMatchObject({ ok: false, field: "name" });
  });

  it("treats an empty name as no name", () => {
    expect(parseSignup({ email: "a@example.com", name: "   " })).toMatchObject({ ok: true, fields: { name: null } });
  });

  it("rejects bodies that are not objects", () => {
    expect(parseSignup(null)).toMatchObject({ ok: false, field: "body" });
    expect(parseSignup(["a@example.com"])).toMatchObject({ ok: false, field: "body" });
    expect(parseSignup({ email: 42 })).toMatchObject({ ok: false, field: "email" });
  });
});

describe("international domains", () => {
  it("stores IDN domains in their ASCII form, so both spellings are one address", () => {
    const unicode = parseSignup({ email: "Anna@Bücher.Example" });
    const ascii = parseSignup({ email: "Anna@xn--bcher-kva.example" });
    expect(unicode).toMatchObject({ ok: true, fields: { email: "Anna@xn--bcher-kva.example" } });
    expect(ascii).toMatchObject({ ok: true, fields: { email: "Anna@xn--bcher-kva.example" } });
  });

  it.each(["anna@bücher", "ånna@example.com", "anna@exa mple.com", "anna@example.com:25", "anna@[127.0.0.1]", `${"a".repeat(65)}@example.com`, "anna@example.com."])(
    "rejects %j",
    (email) => {
      expect(parseSignup({ email })).toMatchObject({ ok: false, field: "email" });
    },
  );
});
