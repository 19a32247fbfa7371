import { describe, expect, it } from "vitest";
import { emailSchema } from "../../src/email-address.ts";

const label = (n: number) => "b".repeat(n);
const messageOf = (value: string) => {
  const result = emailSchema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
};

/** RFC 5321 §4.5.3.1 and RFC 1035 §2.3.4: what no mail server will deliver never gets stored. */
describe("address lengths", () => {
  it("accepts the longest local part, label and domain the RFCs allow", () => {
    expect(emailSchema.safeParse(`${"a".repeat(64)}@example.com`).success).toBe(true);
    expect(emailSchema.safeParse(`a@${label(63)}.com`).success).toBe(true);
    // 61+1+61+1+61+1+57 = 243 characters of domain, every label under 63, total under 254.
    const domain = `${label(61)}.${label(61)}.${label(61)}.${label(57)}`;
    expect(emailSchema.safeParse(`a@${domain}`).success).toBe(true);
  });

  it("refuses a local part over 64 characters and says which part is too long", () => {
    expect(messageOf(`${"a".repeat(65)}@example.com`)).toMatch(/before the @ is too long/);
  });

  it("refuses a domain label over 63 characters, such as a@ followed by a 70-character label", () => {
    expect(messageOf(`a@${label(70)}.com`)).toMatch(/63 characters at most/);
    expect(messageOf(`a@mail.${label(64)}.example`)).toMatch(/63 characters at most/);
  });

  it("measures labels in their ASCII form, after an international name is converted to punycode", () => {
    // 60 "ü" become a punycode label far longer than 63 characters.
    expect(messageOf(`a@${"ü".repeat(60)}.example`)).toMatch(/63 characters at most/);
  });

  it("refuses a domain over 253 characters even when the address as typed is shorter than 254", () => {
    // Each typed label of 45 characters becomes a 54-character xn-- label: still under 63 each,
    // but five of them make an ASCII domain of 282 characters.
    const typed = `a@${Array.from({ length: 5 }, () => "ä".repeat(20) + "b".repeat(20) + "ö".repeat(5)).join(".")}.example`;
    expect(typed.length).toBeLessThan(254);
    expect(messageOf(typed)).toMatch(/253 characters at most/);
  });
});
