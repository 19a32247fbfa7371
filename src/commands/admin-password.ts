import { timingSafeEqual } from "hono/utils/buffer";

/**
 * The console password's hash: PBKDF2-SHA-256 by Web Crypto, so the login (on Node and on
 * Cloudflare Workers) and the CLI's `hash-password` share one format and one implementation.
 */

const HASH_PREFIX = "pbkdf2-sha256";
/** Cloudflare Workers refuse PBKDF2 above 100,000 iterations; Node takes any count. */
export const DEFAULT_PBKDF2_ITERATIONS = 100_000;
const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** Standard base64, as the hash format and the session cookie write it. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | null {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations }, key, bytes * 8);
  return new Uint8Array(bits);
}

/** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, the form ADMIN_PASSWORD_HASH takes. */
export async function hashAdminPassword(password: string, iterations = DEFAULT_PBKDF2_ITERATIONS): Promise<string> {
  if (!password) throw new Error("The password is empty.");
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw new Error(`iterations must be a whole number from 1 to ${MAX_PBKDF2_ITERATIONS}.`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, iterations, 32);
  return `${HASH_PREFIX}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

export function parseAdminPasswordHash(stored: string): { iterations: number; salt: Uint8Array; hash: Uint8Array } | null {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== HASH_PREFIX || !/^\d{1,8}$/.test(parts[1]!)) return null;
  const iterations = Number(parts[1]);
  const salt = fromBase64(parts[2]!);
  const hash = fromBase64(parts[3]!);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS || !salt || salt.length < 8 || !hash || hash.length < 16) return null;
  return { iterations, salt, hash };
}

export async function verifyAdminPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseAdminPasswordHash(stored);
  if (!parsed || !password) return false;
  const candidate = await pbkdf2(password, parsed.salt, parsed.iterations, parsed.hash.length);
  return timingSafeEqual(toBase64(candidate), toBase64(parsed.hash));
}
