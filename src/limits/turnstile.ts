import { errorMessage } from "../errors.ts";
import type { Logger } from "../log.ts";

/**
 * The optional bot check on signups: a Cloudflare Turnstile token, made by the widget in the
 * reader's browser and verified here, server-side, by Cloudflare's siteverify endpoint.
 *
 * "unavailable" is kept apart from "fail": when the verify service cannot answer (down, slow, or
 * it refuses our own secret) the reader did nothing wrong, so the signup page says to try again
 * later instead of calling them a bot. Either way nothing is stored.
 */
export type BotVerdict = "pass" | "fail" | "unavailable";

export interface BotCheck {
  verify(token: string, remoteIp: string | null): Promise<BotVerdict>;
}

export interface TurnstileOptions {
  secretKey: string;
  verifyUrl: string;
  log: Logger;
  /** How long a signup waits for the verify service before it gives up. */
  timeoutMs?: number;
}

/** Turnstile tokens are at most 2,048 characters; anything longer is not one. */
export const MAX_TURNSTILE_TOKEN = 2048;

/** Error codes that mean our side is wrong (or Cloudflare's), not the reader's token. */
const OUR_PROBLEM = new Set(["missing-input-secret", "invalid-input-secret", "bad-request", "internal-error"]);

export function createTurnstileCheck(options: TurnstileOptions): BotCheck {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async verify(token, remoteIp) {
      if (token.length === 0 || token.length > MAX_TURNSTILE_TOKEN) return "fail";
      const body = new URLSearchParams({ secret: options.secretKey, response: token });
      if (remoteIp) body.set("remoteip", remoteIp);
      let answer: { success?: unknown; "error-codes"?: unknown };
      try {
        const res = await fetch(options.verifyUrl, { method: "POST", body, signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) {
          options.log.warn("turnstile verify answered with an error status", { status: res.status });
          return "unavailable";
        }
        answer = (await res.json()) as typeof answer;
      } catch (error) {
        options.log.warn("turnstile verify failed", { error: errorMessage(error) });
        return "unavailable";
      }
      if (answer.success === true) return "pass";
      const codes = Array.isArray(answer["error-codes"]) ? answer["error-codes"].map(String) : [];
      if (codes.some((code) => OUR_PROBLEM.has(code))) {
        options.log.error("turnstile refused the check itself: is TURNSTILE_SECRET_KEY right?", { codes: codes.join(",") });
        return "unavailable";
      }
      return "fail";
    },
  };
}
