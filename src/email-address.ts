import { z } from "zod";

/**
 * What counts as an email address here, for every way one comes in (form, API, CSV import):
 * trimmed, at most 254 characters, no control characters, ASCII local part, and the domain
 * lowercased in its ASCII (punycode) form. Lengths follow RFC 5321 §4.5.3.1 and RFC 1035 §2.3.4
 * (local part ≤ 64, domain ≤ 253, each label ≤ 63): anything longer no mail server delivers, and
 * the provider would refuse it only after the reader had been stored and queued.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const INVALID = "That doesn't look like an email address. Check it and try again.";
const LOCAL_TOO_LONG = "The part before the @ is too long (64 characters at most).";
const DOMAIN_TOO_LONG = "The part after the @ is too long (253 characters at most).";
const LABEL_TOO_LONG = "Each dot-separated part of the domain can be 63 characters at most.";

export const MAX_LOCAL_PART = 64;
export const MAX_DOMAIN = 253;
export const MAX_DOMAIN_LABEL = 63;

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
    if (at <= 0 || !domain || /[^\x21-\x7e]/.test(local)) {
      ctx.addIssue({ code: "custom", message: INVALID });
      return z.NEVER;
    }
    // Measured on the ASCII form: that is what crosses the wire, and punycode makes labels longer.
    const tooLong =
      local.length > MAX_LOCAL_PART ? LOCAL_TOO_LONG : domain.length > MAX_DOMAIN ? DOMAIN_TOO_LONG : domain.split(".").some((label) => label.length > MAX_DOMAIN_LABEL) ? LABEL_TOO_LONG : undefined;
    if (tooLong) {
      ctx.addIssue({ code: "custom", message: tooLong });
      return z.NEVER;
    }
    return `${local}@${domain}`;
  })
  .pipe(z.string().max(254, "That email address is too long.").pipe(z.email(INVALID)));


/**
 * The key one mailbox is known by: the whole address lowercased, after emailSchema. Domains are
 * case-insensitive everywhere; local parts are in theory case-sensitive, but no mailbox provider
 * treats them so, and `Victim@` and `victim@` as two readers let anyone flood one inbox. Matches
 * the database's lower(email) (subscribers.email_key), since the address is ASCII by now.
 */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** True when a recipient field (`addr` or `"Name" <addr>`, any case) is the mailbox with this key. */
export function namesMailbox(recipient: string, key: string): boolean {
  const value = recipient.trim().toLowerCase();
  return value === key || value.endsWith(`<${key}>`);
}

/**
 * A From-style mailbox: `addr@domain`, `Name <addr@domain>` or `"Name" <addr@domain>`. Null when
 * the address part is not one this module accepts, or the name could break the header.
 */
export function parseMailbox(value: string): { name: string | null; address: string } | null {
  const trimmed = value.trim();
  if (CONTROL.test(trimmed)) return null;
  const angled = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
  const name = angled ? (angled[1] ?? "").trim().replace(/^"(.*)"$/, "$1") : null;
  if (name !== null && /[<>"]/.test(name)) return null;
  const address = emailSchema.safeParse(angled ? angled[2] : trimmed);
  return address.success ? { name: name || null, address: address.data } : null;
}
