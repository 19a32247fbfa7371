import { z } from "zod";

/**
 * What the signup form may carry. Addresses are normalised (trimmed, domain lowercased) so one
 * person is one row; names are length-limited and stripped of control characters, so a CR/LF can
 * never reach an email header.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const INVALID = "That doesn't look like an email address. Check it and try again.";

/**
 * The domain in its ASCII (punycode) form, via the WHATWG URL parser's IDNA processing, which
 * Node and Workers both ship: "bücher.example" and "xn--bcher-kva.example" are one address.
 */
function asciiDomain(domain: string): string | null {
  if (domain === "" || /[/?#:@\\[\]\s]/.test(domain)) return null;
  try {
    const host = new URL(`http://${domain}`).hostname;
    return host.includes(".") && !host.endsWith(".") ? host : null;
  } catch {
    return null;
  }
}

export const emailSchema = z
  .string({ error: "Enter your email address." })
  .trim()
  .min(1, "Enter your email address.")
  .max(254, "That email address is too long.")
  .refine((value) => !CONTROL.test(value), "That email address contains characters that are not allowed.")
  .transform((value, ctx) => {
    const at = value.lastIndexOf("@");
    const local = value.slice(0, at);
    const domain = at > 0 ? asciiDomain(value.slice(at + 1)) : null;
    // Internationalised local parts (SMTPUTF8) are not deliverable through most providers yet.
    if (at <= 0 || local.length > 64 || !domain || /[^\x21-\x7e]/.test(local)) {
      ctx.addIssue({ code: "custom", message: INVALID });
      return z.NEVER;
    }
    return `${local}@${domain}`;
  })
  .pipe(z.string().max(254, "That email address is too long.").pipe(z.email(INVALID)));

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
