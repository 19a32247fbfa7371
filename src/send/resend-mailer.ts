import { Resend } from "resend";
import type { CreateBatchSuccessResponse } from "resend";
import { MailerError } from "./mailer.ts";
import type { BatchItemResult, Mailer, OutgoingEmail } from "./mailer.ts";

interface ResendErrorShape {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

/** Resend through its SDK. `baseUrl` points it at a local fake in tests and benchmarks. */
export function createResendMailer(apiKey: string, baseUrl?: string): Mailer {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  const payload = (email: OutgoingEmail) => ({
    from: email.from,
    to: email.to,
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    headers: email.headers,
    ...(email.tags ? { tags: email.tags } : {}),
  });
  const requestHeaders = { Authorization: `Bearer ${apiKey}`, "User-Agent": resend.userAgent, "Content-Type": "application/json" };
  return {
    name: "resend",
    async send(email) {
      const { data, error, headers } = await resend.emails.send(payload(email), { idempotencyKey: email.idempotencyKey });
      if (error) throw classifyResendError(error as ResendErrorShape, headers);
      if (!data?.id) throw new MailerError("transient", "Resend answered without an email id");
      return { id: data.id };
    },
    async sendBatch(batch, idempotencyKey) {
      // The stored bytes through the SDK's own request path (its errors, its base URL): the SDK's
      // batch.send would serialise the emails again and hand fetch a ~1.7 MB string, which fetch
      // scans for lone surrogates and encodes again.
      const count = batch.keys.length;
      const { data, error, headers } = await resend.fetchRequest<CreateBatchSuccessResponse<{ batchValidation: "permissive" }>>("/emails/batch", {
        method: "POST",
        body: batch.body,
        headers: { ...requestHeaders, "Idempotency-Key": idempotencyKey, "x-batch-validation": "permissive" },
      });
      if (error) throw classifyResendError(error as ResendErrorShape, headers);
      if (!data) throw new MailerError("transient", "Resend answered a batch without data");
      const failed = new Map((data.errors ?? []).map((e) => [e.index, e.message]));
      const ids = data.data.map((d) => d.id);
      if (ids.length + failed.size !== count) {
        throw new MailerError("transient", `Resend answered a batch of ${count} with ${ids.length} ids and ${failed.size} errors`);
      }
      // Accepted ids come in request order with the refused indexes left out.
      let next = 0;
      return Array.from({ length: count }, (_, index): BatchItemResult => (failed.has(index) ? { error: failed.get(index)! } : { id: ids[next++]! }));
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
  // Resend keeps a key only for a request that sent: a different body under it means ours went out.
  if (status === 409 && error.name === "invalid_idempotent_request") return new MailerError("accepted_earlier", message, undefined, status);
  return new MailerError("permanent", message, undefined, status);
}

function retryAfterMs(headers: Record<string, string> | null): number {
  const raw = headers?.["retry-after"];
  const seconds = raw === undefined ? NaN : Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.max(250, seconds * 1000);
  const at = raw ? Date.parse(raw) : NaN;
  return Number.isFinite(at) ? Math.max(250, at - Date.now()) : 1_000;
}
