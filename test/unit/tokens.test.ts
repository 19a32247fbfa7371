import { describe, expect, it } from "vitest";
import { confirmToken, signToken, unsubscribeToken, verifyToken, CONFIRM_TOKEN_TTL_SECONDS } from "../../src/tokens.ts";

const SECRET = "a-test-secret-that-is-long-enough-0123456789";

describe("tokens", () => {
  it("are signed on Node exactly as Web Crypto (the Workers path) signs them, so either verifies the other", async () => {
    const token = await signToken(SECRET, { purpose: "preferences", subject: "sub-1", expiresAt: 1_900_000_000 });
    const [payload, signature] = token.split(".") as [string, string];
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("preferences.sub-1.1900000000")));
    expect(Buffer.from(signature, "base64url")).toEqual(Buffer.from(expected));
    expect(Buffer.from(payload, "base64url").toString()).toBe("preferences.sub-1.1900000000");
  });

  it("round-trips a confirm token for its subscriber", async () => {
    const token = await confirmToken(SECRET, "sub-1", Date.UTC(2026, 0, 1));
    const check = await verifyToken(SECRET, token, "confirm", Date.UTC(2026, 0, 2));
    expect(check).toEqual({ ok: true, claims: { purpose: "confirm", subject: "sub-1", expiresAt: Date.UTC(2026, 0, 1) / 1000 + CONFIRM_TOKEN_TTL_SECONDS } });
  });

  it("refuses an expired confirm token", async () => {
    const issued = Date.UTC(2026, 0, 1);
    const token = await confirmToken(SECRET, "sub-1", issued);
    const later = issued + (CONFIRM_TOKEN_TTL_SECONDS + 1) * 1000;
    expect(await verifyToken(SECRET, token, "confirm", later)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses a token signed with another key", async () => {
    const token = await confirmToken("another-secret-that-is-also-long-enough", "sub-1");
    expect(await verifyToken(SECRET, token, "confirm")).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses a payload changed after signing", async () => {
    const token = await confirmToken(SECRET, "sub-1");
    const [, signature] = token.split(".");
    const forgedPayload = Buffer.from(`confirm.sub-2.${Math.floor(Date.now() / 1000) + 3600}`).toString("base64url");
    expect(await verifyToken(SECRET, `${forgedPayload}.${signature}`, "confirm")).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses a token whose last character was changed, even where base64 would decode it to the same bytes", async () => {
    const token = await unsubscribeToken(SECRET, "sub-1");
    const [payload, signature] = token.split(".") as [string, string];
    // A 32-byte signature is 43 characters; the last one holds 4 bits of data and 2 unused ones.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.at(-1)!);
    const sameBytes = `${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(sameBytes, "base64url")).toEqual(Buffer.from(signature, "base64url"));
    expect(await verifyToken(SECRET, `${payload}.${sameBytes}`, "unsubscribe")).toEqual({ ok: false, reason: "malformed" });
    expect((await verifyToken(SECRET, token, "unsubscribe")).ok).toBe(true);
  });

  it("refuses a token minted for another purpose", async () => {
    const token = await unsubscribeToken(SECRET, "sub-1");
    expect(await verifyToken(SECRET, token, "confirm")).toEqual({ ok: false, reason: "wrong-purpose" });
  });

  it("keeps unsubscribe tokens valid indefinitely", async () => {
    const token = await unsubscribeToken(SECRET, "sub-1");
    const check = await verifyToken(SECRET, token, "unsubscribe", Date.UTC(2036, 0, 1));
    expect(check.ok).toBe(true);
  });

  it.each(["", "abc", "a.b.c", "!!!.???", "x".repeat(600), "%00.%00"])("refuses malformed token %j", async (token) => {
    const check = await verifyToken(SECRET, token, "confirm");
    expect(check.ok).toBe(false);
  });

  it("produces URL-safe tokens", async () => {
    const token = await signToken(SECRET, { purpose: "confirm", subject: "00000000-0000-4000-8000-000000000000", expiresAt: 0 });
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
  });
});
