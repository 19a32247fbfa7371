import type { CSSProperties } from "react";

/**
 * One palette for every email. Colours are mid-contrast on purpose: clients that force dark mode
 * (Gmail, Outlook) invert them, and a soft off-white page with a near-black ink survives inversion
 * far better than pure #fff/#000.
 */
export const color = {
  page: "#f4f1ec",
  card: "#ffffff",
  ink: "#22262c",
  body: "#2d3239",
  muted: "#5f6670",
  rule: "#e6dfd5",
  accent: "#2f6b5f",
  link: "#1d6a86",
  quoteBar: "#c6b5a1",
  quoteInk: "#4a5058",
  codeBg: "#f3efe9",
  buttonInk: "#ffffff",
} as const;

export const font = {
  serif: "Georgia, Cambria, 'Times New Roman', Times, serif",
  sans: "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  mono: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
} as const;

/**
 * Long unbroken strings (URLs, addresses) must wrap instead of widening the table: `anywhere`
 * also shrinks the min-content width, which is what keeps auto-layout tables inside the viewport.
 */
export const wrapAnywhere: CSSProperties = {
  overflowWrap: "anywhere",
  wordBreak: "break-word",
};

export const text = {
  eyebrow: {
    margin: "0 0 6px",
    fontFamily: font.sans,
    fontSize: "13px",
    lineHeight: "18px",
    fontWeight: 600,
    letterSpacing: "0.06em",
    textTransform: "uppercase",
    color: color.accent,
  },
  meta: {
    margin: "0 0 20px",
    fontFamily: font.sans,
    fontSize: "14px",
    lineHeight: "20px",
    color: color.muted,
  },
  title: {
    margin: "0 0 24px",
    fontFamily: font.serif,
    fontSize: "28px",
    lineHeight: "36px",
    fontWeight: 700,
    color: color.ink,
  },
  paragraph: {
    margin: "0 0 18px",
    fontFamily: font.serif,
    fontSize: "18px",
    lineHeight: "29px",
    color: color.body,
  },
  small: {
    margin: "0 0 12px",
    fontFamily: font.sans,
    fontSize: "14px",
    lineHeight: "21px",
    color: color.muted,
  },
  footer: {
    margin: "0 0 10px",
    fontFamily: font.sans,
    fontSize: "13px",
    lineHeight: "20px",
    color: color.muted,
    textAlign: "center",
  },
} satisfies Record<string, CSSProperties>;

export const link: CSSProperties = {
  color: color.link,
  textDecoration: "underline",
  ...wrapAnywhere,
};

/**
 * Dark-mode overrides for clients that honour `prefers-color-scheme` (Apple Mail, iOS, some
 * webmails). It cannot be inlined, so it is the one stylesheet; every base style stays inline.
 * `!important` is required to beat the inline declarations.
 */
export const darkModeCss = `
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  body.lp-page, body.lp-page > table > tbody > tr > td { background-color: #15171b !important; }
  .lp-card { background-color: #1f2228 !important; border-color: #2c3038 !important; }
  .lp-card h1, .lp-card h2, .lp-card h3, .lp-card h4, .lp-card h5, .lp-card h6 { color: #f0ede8 !important; }
  .lp-card p, .lp-card li, .lp-card td, .lp-card th { color: #dcd8d2 !important; }
  .lp-card blockquote, .lp-card blockquote p { color: #bdb8b1 !important; border-color: #5a544c !important; }
  .lp-card code, .lp-card pre { background-color: #2a2e35 !important; color: #e6e2dc !important; }
  .lp-card hr, .lp-card .lp-rule { border-color: #363a42 !important; }
  .lp-card .lp-eyebrow { color: #7fc4b3 !important; }
  .lp-muted, .lp-card .lp-muted, .lp-page .lp-footer p { color: #a3a9b1 !important; }
  .lp-page a { color: #8cc8e0 !important; }
  .lp-page a.lp-button { background-color: #3f8f7f !important; color: #ffffff !important; }
}
`;
