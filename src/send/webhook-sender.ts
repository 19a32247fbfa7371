import { lookup as dnsLookup } from "node:dns";
import type { LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import type { LookupFunction } from "node:net";
import { Webhook } from "standardwebhooks";
import { isPrivateAddress } from "./webhook-delivery.ts";

/**
 * One outgoing webhook request (Node only), signed with the Standard Webhooks scheme, to a target
 * checked on every connection (not only at registration: DNS can change between the two), with a
 * timeout, never following a redirect.
 */

export class UnsafeTargetError extends Error {
  override name = "UnsafeTargetError";
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
      const host = url.hostname.replace(/^\[|\]$/g, "");
      // A literal address never goes through the lookup below, so it is checked here.
      if (isIP(host) && !options.allowPrivate && isPrivateAddress(host)) {
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
        // The socket timeout is per silence; a receiver that drips its answer meets this deadline instead.
        const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
        req.on("close", () => clearTimeout(deadline));
        req.on("error", (error) => done(null, error.message));
        req.end(message.body);
      });
    },
  };
}
