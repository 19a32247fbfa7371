/**
 * Signed, expiring tokens for links in emails (confirm, unsubscribe). HMAC-SHA256 via Web Crypto,
 * so the same code runs on Node and on Cloudflare Workers. Verification goes through
 * crypto.subtle.verify, which compares in constant time.
 */

export type TokenPurpose = "confirm" | "unsubscribe";

export interface TokenClaims {
  purpose: TokenPurpose;
  subject: string;
  /** Epoch seconds; 0 = never expires (unsubscribe links must keep working in old emails). */
  expiresAt: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: "malformed" | "bad-signature" | "expired" | "wrong-purpose" };

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keyCache.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[\w-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const payload = encoder.encode(`${claims.purpose}.${claims.subject}.${claims.expiresAt}`);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), payload));
  return `${toBase64Url(payload)}.${toBase64Url(signature)}`;
}

export async function verifyToken(secret: string, token: string, purpose: TokenPurpose, nowMs: number = Date.now()): Promise<TokenCheck> {
  if (token.length > 512) return { ok: false, reason: "malformed" };
  const [payloadPart, signaturePart, extra] = token.split(".");
  if (!payloadPart || !signaturePart || extra !== undefined) return { ok: false, reason: "malformed" };
  const payload = fromBase64Url(payloadPart);
  const signature = fromBase64Url(signaturePart);
  if (!payload || !signature) return { ok: false, reason: "malformed" };
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), signature, payload);
  if (!valid) return { ok: false, reason: "bad-signature" };
  const [tokenPurpose, subject, expires] = new TextDecoder().decode(payload).split(".");
  const expiresAt = Number(expires);
  if (!subject || !Number.isInteger(expiresAt)) return { ok: false, reason: "malformed" };
  if (tokenPurpose !== purpose) return { ok: false, reason: "wrong-purpose" };
  if (expiresAt !== 0 && expiresAt * 1000 < nowMs) return { ok: false, reason: "expired" };
  return { ok: true, claims: { purpose, subject, expiresAt } };
}

export const CONFIRM_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

export function confirmToken(secret: string, subscriberId: string, nowMs: number = Date.now()): Promise<string> {
  return signToken(secret, { purpose: "confirm", subject: subscriberId, expiresAt: Math.floor(nowMs / 1000) + CONFIRM_TOKEN_TTL_SECONDS });
}

export function unsubscribeToken(secret: string, subscriberId: string): Promise<string> {
  return signToken(secret, { purpose: "unsubscribe", subject: subscriberId, expiresAt: 0 });
}
