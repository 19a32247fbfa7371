import { z } from "zod";
import { emailSchema } from "../email-address.ts";

/**
 * What the signup form may carry. Addresses are normalised (trimmed, domain lowercased) so one
 * person is one row; names are length-limited and stripped of control characters, so a CR/LF can
 * never reach an email header.
 */

const name = z
  .string()
  .optional()
  .transform((value) => {
    // eslint-disable-next-line no-control-regex
    const clean = (value ?? "").replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim();
    return clean === "" ? null : clean;
  })
  .pipe(z.string().max(100, "Keep your name under 100 characters.").nullable());

export const signupSchema = z.object({
  email: emailSchema,
  name,
  timezone: z.string().max(64).optional().catch(undefined),
  /** Honeypot: people never see it, form-filling bots do. */
  website: z.string().max(1000).optional().catch(undefined),
});

export type SignupFields = z.output<typeof signupSchema>;

export type SignupParse = { ok: true; fields: SignupFields } | { ok: false; message: string; field: string };

export function parseSignup(input: unknown): SignupParse {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, message: "Send the form fields email, name and timezone.", field: "body" };
  }
  const result = signupSchema.safeParse(input);
  if (result.success) return { ok: true, fields: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, message: issue.message, field: String(issue.path[0] ?? "body") };
}

/** The Turnstile widget's token (`cf-turnstile-response`, form field or JSON member), if the client sent one. */
const botTokenSchema = z.object({ "cf-turnstile-response": z.string().max(4096).optional().catch(undefined) });

export function parseBotToken(input: unknown): string | undefined {
  const result = botTokenSchema.safeParse(input);
  return result.success ? result.data["cf-turnstile-response"] || undefined : undefined;
}
