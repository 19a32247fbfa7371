import { Resend } from "resend";
import { MailerError } from "./mailer.ts";
import type { Mailer, OutgoingEmail } from "./mailer.ts";

interface ResendErrorShape {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

/** Resend through its SDK. `baseUrl` points it at a local fake in tests and benchmarks. */
export function createResendMailer(apiKey: string, baseUrl?: string): Mailer {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  return {
    name: "resend",
    async send(email: OutgoingEmail) {
      const { data, error, headers } = await resend.emails.send(
        {
          from: email.from,
          to: email.to,
          subject: email.subject,
          html: email.html,
          text: email.text,
          ...(email.replyTo ? { replyTo: email.replyTo } : {}),
          headers: email.headers,
          ...(email.tags ? { tags: email.tags } : {}),
        },
        { idempotencyKey: email.idempotencyKey },
      );
      if (error) throw classifyResendError(error as ResendErrorShape, headers);
      if (!data?.id) throw new MailerError("transient", "Resend answered without an email id");
      return { id: data.id };
    },
  };
}

export function classifyResendError(error: ResendErrorShape, headers: Record<string, string> | null): MailerError {
  const status = error.statusCode ?? null;
  const message = `${error.name ?? "error"}: ${error.message ?? "no message"}`;
  if (status === 429) {
    return new MailerError("rate_limited", message, retryAfterMs(headers), status);
  }
  // No status means the request never got an answer (network, DNS, reset): worth retrying.
  if (status === null || status >= 500) return new MailerError("transient", message, undefined, status);
  // The same key is still being processed by the provider: wait for it rather than give up.
  if (status === 409 && error.name === "concurrent_idempotent_requests") return new MailerError("transient", message, undefined, status);
  return new MailerError("permanent", message, undefined, status);
}

function retryAfterMs(headers: Record<string, string> | null): number {
  const raw = headers?.["retry-after"];
  const seconds = raw === undefined ? NaN : Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(250, seconds * 1000);
  const at = raw ? Date.parse(raw) : NaN;
  return Number.isFinite(at) ? Math.max(250, at - Date.now()) : 1_000;
}
