/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { AssetName } from "../../assets.ts";
import { Document } from "../document.tsx";
import type { Html } from "../document.tsx";

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
export function adminLayout(title: string, active: AdminSection | null, body: Child, options: { scripts?: AssetName[] } = {}): Html {
  return (
    <Document title={`${title} · Lessonpost admin`} stylesheets={["app.css", "admin.css"]} scripts={options.scripts} noindex bodyClass="admin">
      <header class="admin-bar">
        <strong>Lessonpost</strong>
        <nav aria-label="Admin">
          {NAV.map(([key, label, href]) => (
            <a href={href} aria-current={key === active ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <form method="post" action="/admin/logout">
          <button type="submit" class="secondary">
            Log out
          </button>
        </form>
        <form method="post" action="/admin/logout-everywhere">
          <button type="submit" class="secondary" title="Ends every console session, on every device">
            Log out everywhere
          </button>
        </form>
      </header>
      <main class="admin-main">{body}</main>
    </Document>
  );
}
