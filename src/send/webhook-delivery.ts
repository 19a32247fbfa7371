import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { lookup as dnsLookup } from "node:dns";
import type { LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import type { LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";

/**
 * One outgoing webhook request, signed with the Standard Webhooks scheme, to a target that is
 * checked on every connection (not only at registration: DNS can change between the two), with a
 * timeout, and never following a redirect.
 */

/** `whsec_` + base64 of 32 random bytes: the format the standardwebhooks package reads. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

const sealKey = (secretKey: string) => createHash("sha256").update(`lessonpost-webhook-secret:${secretKey}`).digest();

/**
 * Endpoint secrets are stored sealed (AES-256-GCM under a key derived from SECRET_KEY): they must
 * be readable to sign, but a copy of the database alone must not let anyone forge our deliveries.
 */
export function sealSecret(secretKey: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealKey(secretKey), iv);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`;
}

export function openSecret(secretKey: string, sealed: string): string {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !body || !tag) throw new Error("not a sealed webhook secret");
  const decipher = createDecipheriv("aes-256-gcm", sealKey(secretKey), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this" network
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["100::", 64], // discard
] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}

/** True for loopback, private, link-local and other non-public addresses, IPv4 or IPv6. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family !== 6) return true;
  const lower = address.toLowerCase();
  // IPv4 embedded in IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d) is judged as the IPv4 it carries.
  const embedded = /^(?:::ffff:|64:ff9b::)(?:0:)?(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1] ?? hexEmbeddedV4(lower);
  if (embedded) return blocked.check(embedded, "ipv4");
  return blocked.check(lower, "ipv6");
}

function hexEmbeddedV4(lower: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export class UnsafeTargetError extends Error {
  override name = "UnsafeTargetError";
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

/** Why a URL may not be a webhook target, or null. Resolves the host and checks every address. */
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
  let addresses: LookupAddress[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveAll(host);
  } catch {
    return `its host "${host}" does not resolve`;
  }
  const inside = addresses.find((a) => isPrivateAddress(a.address));
  if (addresses.length === 0 || inside) return `points at a loopback, private or link-local address (${inside?.address ?? "none"}); set WEBHOOKS_ALLOW_PRIVATE_TARGETS=true to allow it`;
  return null;
}

/**
 * A lookup for the connection itself: the addresses it connects to are the ones checked, so a
 * name that resolved to a public address at registration cannot be re-pointed inside later.
 */
function safeLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const list = addresses as unknown as LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (!allowPrivate && (bad || list.length === 0)) return callback(new UnsafeTargetError(`refused: ${hostname} resolves to a non-public address`), "", 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

export interface WebhookMessage {
  url: string;
  /** The whsec_ secret, opened. */
  secret: string;
  /** webhook-id: the same on every attempt, so the receiver can drop duplicates. */
  messageId: string;
  /** The JSON body. */
  body: string;
}

export interface WebhookResponse {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface WebhookSender {
  send(message: WebhookMessage): Promise<WebhookResponse>;
}

/** Signs and posts. Any 2xx is success; a redirect is a failure (never followed), as is a timeout. */
export function createWebhookSender(options: { allowPrivate: boolean; timeoutMs?: number; userAgent?: string }): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async send(message) {
      const started = performance.now();
      const timestamp = new Date();
      const signature = new Webhook(message.secret).sign(message.messageId, timestamp, message.body);
      const url = new URL(message.url);
      const ip = isIP(url.hostname.replace(/^\[|\]$/g, ""));
      if (ip && !options.allowPrivate && isPrivateAddress(url.hostname.replace(/^\[|\]$/g, ""))) {
        return { ok: false, statusCode: null, durationMs: 0, error: "refused: the target is a non-public address" };
      }
      const request = url.protocol === "https:" ? httpsRequest : httpRequest;
      return new Promise<WebhookResponse>((resolve) => {
        const done = (statusCode: number | null, error: string | null) =>
          resolve({ ok: statusCode !== null && statusCode >= 200 && statusCode < 300, statusCode, durationMs: Math.round(performance.now() - started), error });
        const req = request(
          url,
          {
            method: "POST",
            lookup: safeLookup(options.allowPrivate),
            timeout: timeoutMs,
            headers: {
              "content-type": "application/json",
              "user-agent": options.userAgent ?? "Lessonpost-Webhooks/1",
              "webhook-id": message.messageId,
              "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
              "webhook-signature": signature,
              "content-length": Buffer.byteLength(message.body),
            },
          },
          (res) => {
            // The body is read and dropped (bounded by the timeout), so the socket is freed.
            res.resume();
            res.on("end", () => done(res.statusCode ?? null, res.statusCode && res.statusCode >= 300 && res.statusCode < 400 ? `redirect to ${res.headers.location ?? "?"} not followed` : null));
            res.on("error", (error) => done(res.statusCode ?? null, error.message));
          },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", (error) => done(null, error.message));
        req.end(message.body);
      });
    },
  };
}
