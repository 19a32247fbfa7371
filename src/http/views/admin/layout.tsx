/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { AssetName } from "../../assets.ts";
import { Document } from "../document.tsx";
import type { Html } from "../document.tsx";
import { currentSendingStatus } from "../../sending-notice.ts";
import { courseHref } from "./parts.tsx";
import type { CourseNav } from "./parts.tsx";
import { SendingBanner } from "./sending-banner.tsx";

export type AdminSection = "dashboard" | "readers" | "course" | "broadcasts" | "failed" | "queues" | "import" | "analytics" | "keys" | "webhooks" | "api";

const NAV: [AdminSection, string, string][] = [
  ["dashboard", "Dashboard", "/admin"],
  ["readers", "Readers", "/admin/readers"],
  ["course", "Course", "/admin/course"],
  ["broadcasts", "Broadcasts", "/admin/broadcasts"],
  ["failed", "Failed sends", "/admin/failed"],
  ["import", "Import / export", "/admin/import"],
  ["analytics", "Analytics", "/admin/analytics"],
  ["queues", "Queues", "/admin/queues"],
  ["keys", "API keys", "/admin/keys"],
  ["webhooks", "Webhooks", "/admin/webhooks"],
  ["api", "API reference", "/admin/api/docs"],
];

/** Sections about one course: their links carry the course. The queues are every course's. */
const PER_COURSE = new Set<AdminSection>(["dashboard", "readers", "course", "broadcasts", "failed", "import", "analytics"]);

/**
 * Picks the course the console shows. A GET form, so it works without scripts and the choice is
 * in the address (bookmarkable, back button); it reopens the current section for the new course.
 */
function CourseSwitcher(props: { nav: CourseNav; active: AdminSection | null }) {
  const section = NAV.find(([key]) => key === props.active && PER_COURSE.has(key));
  return (
    <form method="get" action={section?.[2] ?? "/admin"} class="course-switch">
      <label for="course-switch">Course</label>
      <select id="course-switch" name="course">
        {props.nav.courses.map((course) => (
          <option value={course.slug} selected={course.slug === props.nav.current.slug}>
            {course.name}
          </option>
        ))}
      </select>
      <button type="submit" class="secondary">
        Switch
      </button>
    </form>
  );
}

/**
 * The admin console shell: one nav, no inline script (the CSP allows only /assets/*). With `nav`
 * and several courses, a course switcher, and the nav's links stay on the chosen course.
 */
export function adminLayout(title: string, active: AdminSection | null, body: Child, options: { scripts?: AssetName[]; nav?: CourseNav | undefined } = {}): Html {
  const { nav } = options;
  const several = nav !== undefined && nav.courses.length > 1;
  return (
    <Document title={`${title} · Lessonpost admin`} stylesheets={["app.css", "admin.css"]} scripts={["admin.js", ...(options.scripts ?? []).filter((name) => name !== "admin.js")]} noindex bodyClass="admin">
      <header class="admin-bar">
        <strong>Lessonpost</strong>
        {several ? <CourseSwitcher nav={nav} active={active} /> : null}
        {/* A disclosure, so the menu opens and closes without a script; open by default so a desktop
            without scripts shows every link. admin.js closes it on a phone's width (CSS hides the
            summary on a wide screen, where the links sit in one row). */}
        <details class="admin-menu" open>
          <summary>Menu</summary>
          <div class="admin-menu-body">
            <nav aria-label="Admin">
              {NAV.map(([key, label, href]) => (
                <a href={PER_COURSE.has(key) ? courseHref(nav, href) : href} aria-current={key === active ? "page" : undefined}>
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
          </div>
        </details>
      </header>
      <main class="admin-main">
        <SendingBanner status={currentSendingStatus()} />
        {body}
      </main>
    </Document>
  );
}
