/**
 * The Content-Security-Policy of every page: only our own scripts, styles and frames, no inline
 * script. app.ts sets it on every answer that has none of its own; a page that embeds a third
 * party (the signup page's Turnstile widget) sets a copy that names that one origin too.
 */

const TURNSTILE_ORIGIN = "https://challenges.cloudflare.com";

export function pageCsp(options: { turnstile?: boolean } = {}): string {
  const extra = options.turnstile ? ` ${TURNSTILE_ORIGIN}` : "";
  return [
    "default-src 'self'",
    `script-src 'self'${extra}`,
    "style-src 'self'",
    "img-src 'self' data:",
    `frame-src 'self'${extra}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join("; ");
}

/** The widget's script, loaded from Cloudflare as its documentation requires (it cannot be self-hosted). */
export const TURNSTILE_SCRIPT = `${TURNSTILE_ORIGIN}/turnstile/v0/api.js`;
