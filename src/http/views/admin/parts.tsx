/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import { DateTime } from "luxon";
import type { Catalogue } from "../../../content/catalogue.ts";
import type { Course } from "../../../content/schema.ts";

export type { Html } from "../document.tsx";

/** The course a console page is about, and the ones it could switch to. */
export interface CourseNav {
  current: Course;
  courses: readonly Course[];
}

export function courseNav(catalogue: Pick<Catalogue, "courses">, current: Course): CourseNav {
  return { current, courses: catalogue.courses };
}

/**
 * A console address that stays on the page's course: `?course=<slug>` is added when the install
 * has several courses. With one there is nothing to choose, and addresses stay as they always were.
 */
export function courseHref(nav: CourseNav | undefined, href: string): string {
  if (!nav || nav.courses.length < 2) return href;
  const url = new URL(href, "http://console.invalid");
  url.searchParams.set("course", nav.current.slug);
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The course as a hidden field, for GET forms whose fields replace the address's query. */
export function CourseField(props: { nav: CourseNav | undefined }) {
  return props.nav && props.nav.courses.length > 1 ? <input type="hidden" name="course" value={props.nav.current.slug} /> : null;
}

/** "2025-12-09 09:00 UTC": the console names the zone so nobody has to guess it. */
export function formatAt(at: number | null | undefined, zone: string): string {
  if (at === null || at === undefined) return "—";
  return `${DateTime.fromMillis(Number(at), { zone }).toFormat("yyyy-LL-dd HH:mm")} ${zone}`;
}

/** The outcome of the last action, shown once at the top of the page it redirected to. */
export function Notice(props: { message: string | undefined }) {
  return props.message ? (
    <p class="notice" role="status">
      {props.message}
    </p>
  ) : null;
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

/** A POST form for one console action; the session cookie plus the same-origin check protect it. */
export function ActionForm(props: { action: string; label: string; danger?: boolean; secondary?: boolean; children?: Child }) {
  const cls = props.danger ? "danger" : props.secondary ? "secondary" : "";
  return (
    <form method="post" action={props.action} class="action">
      {props.children}
      <button type="submit" class={cls}>
        {props.label}
      </button>
    </form>
  );
}

/** Lesson choices for pickers; "graduation" is the graduation email's preview slug. */
export function LessonOptions(props: { course: Course; selected: string | null; graduation?: boolean }) {
  return (
    <>
      {props.course.lessons.map((l) => (
        <option value={l.slug} selected={l.slug === props.selected}>
          {l.number}. {l.title}
        </option>
      ))}
      {props.graduation ? (
        <option value="graduation" selected={props.selected === "graduation"}>
          Graduation email
        </option>
      ) : null}
    </>
  );
}

/**
 * A table that may be wider than a phone: it scrolls inside this box, not the page. The box is a
 * labelled region in the tab order, so a keyboard can scroll it too (axe: scrollable-region-focusable).
 */
export function TableBox(props: { label: string; children: Child }) {
  return (
    <div class="table-box" role="region" aria-label={props.label} tabindex={0}>
      {props.children}
    </div>
  );
}
