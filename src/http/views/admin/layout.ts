import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export type AdminSection = "dashboard" | "readers" | "course" | "broadcasts" | "failed" | "queues" | "import";

const NAV: [AdminSection, string, string][] = [
  ["dashboard", "Dashboard", "/admin"],
  ["readers", "Readers", "/admin/readers"],
  ["course", "Course", "/admin/course"],
  ["broadcasts", "Broadcasts", "/admin/broadcasts"],
  ["failed", "Failed sends", "/admin/failed"],
  ["import", "Import / export", "/admin/import"],
  ["queues", "Queues", "/admin/queues"],
];

/** The admin console shell: one nav, no inline script (the CSP allows only /assets/*). */
export function adminLayout(title: string, active: AdminSection | null, body: Html, options: { scripts?: string[] } = {}): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="robots" content="noindex" />
    <title>${title} · Lessonpost admin</title>
    <link rel="stylesheet" href="/assets/app.css" />
    <link rel="stylesheet" href="/assets/admin.css" />
    ${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
  </head>
  <body class="admin">
    <header class="admin-bar">
      <strong>Lessonpost</strong>
      <nav aria-label="Admin">
        ${NAV.map(([key, label, href]) => html`<a href="${href}" ${key === active ? html`aria-current="page"` : ""}>${label}</a>`)}
      </nav>
      <form method="post" action="/admin/logout"><button type="submit" class="secondary">Log out</button></form>
      <form method="post" action="/admin/logout-everywhere"><button type="submit" class="secondary" title="Ends every console session, on every device">Log out everywhere</button></form>
    </header>
    <main class="admin-main">${body}</main>
  </body>
</html>`;
}

export const ADMIN_CSS = `
body.admin main.admin-main { max-width: 72rem; }
.admin-bar { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .75rem 1.25rem; border-bottom: 1px solid var(--border); font: .95rem system-ui, sans-serif; }
.admin-bar nav { display: flex; flex-wrap: wrap; gap: .75rem; flex: 1; }
.admin-bar nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
.admin-bar form button { margin: 0; padding: .4rem .8rem; }
body.admin { font-family: system-ui, sans-serif; font-size: 15px; }
/* Console core: login, dashboard, readers, failed sends. */
body.admin h1 { font-size: 1.6rem; word-break: break-word; }
.admin-login { max-width: 26rem; }
input[type=password], input[type=search], select { font: inherit; padding: .5rem .65rem; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--fg); }
input[type=password] { width: 100%; }
.muted { color: var(--muted); }
.notice { background: var(--card); border: 1px solid var(--border); border-left: 4px solid var(--accent); border-radius: 8px; padding: .6rem .9rem; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; border: 1px solid var(--border); font-size: .8rem; }
.badge-active { border-color: #2e7d32; } .badge-pending, .badge-paused { border-color: #b26a00; }
.badge-bounced, .badge-complained, .badge-failed { border-color: var(--error); color: var(--error); }
ul.counts { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .75rem; }
ul.counts li a { display: block; padding: .75rem; background: var(--card); border: 1px solid var(--border); border-radius: 10px; text-decoration: none; color: var(--fg); }
ul.counts strong { display: block; font-size: 1.5rem; }
figure.chart { margin: 0; }
figure.chart svg { width: 100%; height: auto; max-width: 48rem; display: block; }
figure.chart .grid { stroke: var(--border); stroke-width: 1; }
figure.chart .axis { fill: var(--muted); font: 11px system-ui, sans-serif; }
figure.chart .series { fill: none; stroke-width: 2; }
figure.chart .series.signups, figure.chart .point.signups { stroke: var(--accent); }
figure.chart .series.sends, figure.chart .point.sends { stroke: #2e7d9a; }
figure.chart .point { fill: var(--card); stroke-width: 2; }
figure.chart figcaption { display: flex; gap: 1.25rem; font-size: .9rem; }
figure.chart .key.signups { color: var(--accent); } figure.chart .key.sends { color: #2e7d9a; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: 1rem 0; }
form.filters label { margin: 0; } form.filters button { margin: 0; padding: .55rem 1rem; }
nav.pager { display: flex; gap: 1rem; margin: 1rem 0; }
p.next-lesson { font-size: 1.1rem; padding: .75rem 1rem; background: var(--card); border: 1px solid var(--border); border-radius: 10px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
section.actions form.action { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0; }
section.actions form.action label { margin: 0; font-weight: 400; }
form.action button { margin: 0; padding: .5rem .9rem; font-size: .9rem; }
button.danger { background: var(--error); color: #fff; }
ol.timeline { list-style: none; padding: 0; border-left: 2px solid var(--border); }
ol.timeline li { padding: .2rem 0 .2rem .9rem; }
ol.timeline time { color: var(--muted); font-size: .85rem; margin-right: .5rem; }
ol.timeline li.failed, ol.timeline li.bounced, ol.timeline li.complained { color: var(--error); }
table.failed td.reason { max-width: 24rem; word-break: break-word; }
progress { width: 100%; height: 1rem; }
textarea, select, input[type=datetime-local], input[type=file] { width: 100%; font: inherit; padding: .5rem .6rem; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--fg); }
textarea { min-height: 12rem; font-family: ui-monospace, monospace; }
/* The import page streams one progress bar per chunk; each is drawn over the one before. */
.import-progress { position: relative; min-height: 2.5rem; }
.import-progress > p:has(progress) { position: absolute; top: 0; left: 0; right: 0; margin: 0; background: var(--bg); }
.import-progress > h2 { padding-top: 2.5rem; }
`;
