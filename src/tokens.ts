import type * as NodeCrypto from "node:crypto";

/**
 * Signed, expiring tokens for links in emails (confirm, unsubscribe, preferences, undo, web version, join next, tracked clicks). HMAC-SHA256 via Web Crypto,
 * so the same code runs on Node and on Cloudflare Workers. Verification goes through
 * crypto.subtle.verify, which compares in constant time.
 */

/**
 * Each link can do exactly one job. The unsubscribe token rides in the List-Unsubscribe header and
 * in every forwarded email, so it never expires and can only unsubscribe (and show the choices);
 * the preferences token opens the reader's data (export, delete, pause, time zone) and expires;
 * the undo token is minted by the unsubscribe that it undoes, on our own page, and lives an hour;
 * the web-version token names one ledger row (a send id, never a reader) and only shows that email.
 */
export type TokenPurpose = "confirm" | "unsubscribe" | "preferences" | "undo" | "web-version" | "join-next" | "click";

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
    // One token, one spelling: the last character of base64 carries unused bits, so several
    // spellings decode to the same bytes. Only the one we write is accepted, so a changed token is
    // always a refused one.
    return toBase64Url(bytes) === text ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * Node's own HMAC where there is one: every email signs two tokens, and Web Crypto's sign is an
 * asynchronous job on the thread pool that cost 12% of a send worker's CPU (measured), against
 * microseconds inline. Workers take the Web Crypto path. Verification stays on crypto.subtle.verify
 * everywhere, for its constant-time comparison.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:crypto") as typeof NodeCrypto | undefined;

async function hmacSign(secret: string, payload: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  if (nodeCrypto?.createHmac) return new Uint8Array(nodeCrypto.createHmac("sha256", secret).update(payload).digest());
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), payload));
}

export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const payload = encoder.encode(`${claims.purpose}.${claims.subject}.${claims.expiresAt}`);
  const signature = await hmacSign(secret, payload);
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

export const PREFERENCES_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** Minted per email from the ledger row's creation time, so a retried send carries the same bytes. */
export function preferencesToken(secret: string, subscriberId: string, issuedAtMs: number): Promise<string> {
  return signToken(secret, { purpose: "preferences", subject: subscriberId, expiresAt: Math.floor(issuedAtMs / 1000) + PREFERENCES_TOKEN_TTL_SECONDS });
}

export const UNDO_TOKEN_TTL_SECONDS = 3600;

export function undoToken(secret: string, subscriberId: string, nowMs: number): Promise<string> {
  return signToken(secret, { purpose: "undo", subject: subscriberId, expiresAt: Math.floor(nowMs / 1000) + UNDO_TOKEN_TTL_SECONDS });
}

/**
 * The "View in your browser" link of one email: it names the ledger row, so it opens that email and
 * nothing else (not the reader's other emails, not their data). It never expires, on purpose: the
 * page shows exactly what the email in the inbox shows, the reader's own unsubscribe link (which
 * never expires either) and the preferences link dated by the row (which expires when the email's
 * own does). Whoever has the web link (a forward, say) already has the email and those same links,
 * so an expiry would take nothing away from them, and would only break old emails' links.
 */
export function webVersionToken(secret: string, sendId: string): Promise<string> {
  return signToken(secret, { purpose: "web-version", subject: sendId, expiresAt: 0 });
}

/**
 * The "join the next course" button of a graduation email (course.yaml `next:`): it names that
 * graduation email's ledger row, so it can only ever offer the one course that email offered, to
 * the one reader it was sent to. A GET shows the offer; only the page's POST enrolls.
 */
export function joinNextToken(secret: string, graduationSendId: string): Promise<string> {
  return signToken(secret, { purpose: "join-next", subject: graduationSendId, expiresAt: 0 });
}

/**
 * A tracked link of a course that records clicks (course.yaml `tracking: { clicks: true }`): it names
 * one ledger row, the link's position in that email's body and a hash of the link's address. The
 * address itself is never in the link: the server finds it again in the email's own content (the
 * lesson's or newsletter's Markdown), and the hash makes sure it is the same link the reader saw,
 * even after an edit moved it. So a valid token can only ever lead to a link the publisher wrote,
 * and a tampered one leads nowhere (no open redirect). It never expires, like the web version:
 * a link in an old email keeps working.
 */
export async function clickToken(secret: string, sendId: string, index: number, url: string): Promise<string> {
  return signToken(secret, { purpose: "click", subject: `${sendId}~${index}~${await linkHash(url)}`, expiresAt: 0 });
}

/** What a click token names; null when its subject is not one (a token of another shape). */
export function readClickSubject(subject: string): { sendId: string; index: number; hash: string } | null {
  const match = /^([^~]+)~(\d{1,4})~([\w-]{12})$/.exec(subject);
  return match ? { sendId: match[1]!, index: Number(match[2]), hash: match[3]! } : null;
}

/**
 * 72 bits of SHA-256 of a link's address, base64url: enough to tell the links of one email apart,
 * short enough to keep the tracked link short. Not a secret: the signature is what protects it.
 */
export async function linkHash(url: string): Promise<string> {
  const bytes = encoder.encode(url);
  const digest = nodeCrypto?.createHash ? new Uint8Array(nodeCrypto.createHash("sha256").update(bytes).digest()) : new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return toBase64Url(digest.slice(0, 9));
}
