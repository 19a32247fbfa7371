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
/* The import page streams one progress bar per chunk; each is drawn over the one before. */
.import-progress { position: relative; min-height: 2.5rem; }
.import-progress > p:has(progress) { position: absolute; top: 0; left: 0; right: 0; margin: 0; background: var(--bg); }
.import-progress > h2 { padding-top: 2.5rem; }
`;
