import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Every public page: semantic, readable without CSS, no inline script (the CSP forbids it).
 * Interpolations through `html` are escaped, so reader input can never become markup.
 */
export function layout(title: string, body: Html, options: { scripts?: string[] } = {}): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>${title}</title>
    <link rel="stylesheet" href="/assets/app.css" />
    ${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
  </head>
  <body>
    <main>${body}</main>
  </body>
</html>`;
}

export const APP_CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fbfaf7; --card: #fff; --accent: #7a3e9d; --border: #d8d4cc; --error: #b42318; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e6e3; --muted: #a8a29e; --bg: #171614; --card: #201f1c; --accent: #c99be6; --border: #3a3834; --error: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.6 Georgia, "Iowan Old Style", "Times New Roman", serif; }
main { max-width: 40rem; margin: 0 auto; padding: 2.5rem 1.25rem 4rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .75rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; }
p.lead { font-size: 1.15rem; color: var(--muted); }
a { color: var(--accent); }
form.card, .card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 1.25rem; margin: 1.5rem 0; }
label { display: block; font: 600 .95rem/1.4 system-ui, sans-serif; margin: .75rem 0 .25rem; }
input[type=email], input[type=text] { width: 100%; font: inherit; padding: .6rem .75rem; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--fg); }
button { margin-top: 1rem; font: 600 1rem/1 system-ui, sans-serif; padding: .8rem 1.4rem; border: 0; border-radius: 8px; background: var(--accent); color: #fff; cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #1b1029; } }
button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
.hint { font: .85rem/1.4 system-ui, sans-serif; color: var(--muted); }
.error { color: var(--error); font-weight: 600; }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
ol.lessons { padding-left: 1.25rem; } ol.lessons li { margin: .4rem 0; } ol.lessons .when { color: var(--muted); font: .85rem system-ui, sans-serif; }
table { width: 100%; border-collapse: collapse; font: .9rem/1.4 system-ui, sans-serif; } td, th { text-align: left; padding: .4rem; border-bottom: 1px solid var(--border); vertical-align: top; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 1rem; font-size: .85rem; }
iframe { width: 100%; height: 70vh; border: 1px solid var(--border); border-radius: 8px; background: #fff; }
`;

/** Fills the hidden time-zone field; without JavaScript the course default applies. */
export const SIGNUP_JS = `document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('input[name="timezone"]');
  try { if (field) field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
});`;
