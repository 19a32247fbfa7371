import type { LookupAddress } from "node:dns";

/**
 * What outgoing webhooks need outside the Node worker too (the admin API builds on the same app
 * as the Cloudflare Worker): secrets and the check of a target. Only Web APIs at import time; DNS
 * is loaded when a target is checked. The sending itself, on node:http, is ./webhook-sender.ts.
 */

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const b64url = (bytes: Uint8Array) => b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

/** `whsec_` + base64 of 32 random bytes: the format the standardwebhooks package reads. */
export function newWebhookSecret(): string {
  return `whsec_${b64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

async function sealKey(secretKey: string): Promise<CryptoKey> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`lessonpost-webhook-secret:${secretKey}`));
  return crypto.subtle.importKey("raw", digest, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * Endpoint secrets are stored sealed (AES-256-GCM under a key derived from SECRET_KEY): they must
 * be readable to sign, but a copy of the database alone must not let anyone forge our deliveries.
 */
export async function sealSecret(secretKey: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const body = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await sealKey(secretKey), new TextEncoder().encode(secret)));
  return `v1.${b64url(iv)}.${b64url(body)}`;
}

export async function openSecret(secretKey: string, sealed: string): Promise<string> {
  const [version, iv, body] = sealed.split(".");
  if (version !== "v1" || !iv || !body) throw new Error("not a sealed webhook secret");
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromB64url(iv) }, await sealKey(secretKey), fromB64url(body)));
}

function parseV4(address: string): number[] | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** Eight 16-bit groups, or undefined when it is not an IPv6 address. */
function parseV6(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, "");
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (tail) {
    const v4 = parseV4(tail);
    if (!v4) return undefined;
    text = `${text.slice(0, -tail.length)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const all = [...head, ...Array<string>(fill).fill("0"), ...rest];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

function privateV4([a, b, c]: number[]): boolean {
  return (
    a === 0 || // "this" network
    a === 10 ||
    (a === 100 && b! >= 64 && b! <= 127) || // carrier-grade NAT
    a === 127 ||
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // 192.0.0.0/24 (IETF), 192.0.2.0/24 (documentation)
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a! >= 224 // multicast, reserved, broadcast
  );
}

/** True for loopback, private, link-local and other non-public addresses, IPv4 or IPv6 (and for anything that is not an address). */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseV4(address);
  if (v4) return privateV4(v4);
  const g = parseV6(address.replace(/^\[|\]$/g, ""));
  if (!g) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embedded = [g6 >> 8, g6 & 255, g7 >> 8, g7 & 255];
  // IPv4 carried in IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) is judged as that IPv4.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) return g5 === 0 && g6 === 0 ? true : privateV4(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return privateV4(embedded);
  return (
    (g0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (g0 & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (g0 & 0xff00) === 0xff00 || // multicast
    (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) || // discard 100::/64
    (g0 === 0x2001 && g1 === 0xdb8) // documentation
  );
}

const isIpLiteral = (host: string) => parseV4(host) !== undefined || (host.includes(":") && parseV6(host) !== undefined);

async function resolveAll(host: string): Promise<LookupAddress[]> {
  const { lookup } = await import("node:dns/promises");
  return lookup(host, { all: true, verbatim: true });
}

/** Why a URL may not be a webhook target, or null. Resolves the host and checks every address it has. */
export async function unsafeTargetReason(url: string, allowPrivate: boolean): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "must start with https:// or http://";
  if (parsed.username || parsed.password) return "must not carry a user name or password";
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIpLiteral(host) ? [host] : (await resolveAll(host)).map((a) => a.address);
  } catch {
    return `its host "${host}" does not resolve`;
  }
  const inside = addresses.find((a) => isPrivateAddress(a));
  if (addresses.length === 0 || inside) return `points at a loopback, private or link-local address (${inside ?? "none"}); set WEBHOOKS_ALLOW_PRIVATE_TARGETS=true to allow it`;
  return null;
}
