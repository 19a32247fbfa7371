/** @jsxImportSource hono/jsx */
import type { Course } from "../../../content/schema.ts";
import type { FailedSendRow } from "../../../store/admin-queries.ts";
import type { RetryProgress } from "../../../store/sends.ts";
import { FailedTable } from "./dashboard.tsx";
import { adminLayout } from "./layout.tsx";
import { ActionForm, courseHref, Notice } from "./parts.tsx";
import type { CourseNav, Html } from "./parts.tsx";

function ProgressView(props: { progress: RetryProgress; since: string; nav: CourseNav }) {
  const p = props.progress;
  const settled = p.sent + p.failed + p.cancelled;
  const percent = p.total === 0 ? 100 : Math.floor((settled / p.total) * 100);
  return (
    <section class="retry-progress" data-retry-progress="" aria-live="polite">
      <h2>
        Retrying {p.total} email{p.total === 1 ? "" : "s"}
      </h2>
      <progress max={p.total} value={settled}>
        {percent}%
      </progress>
      <p>
        <span data-field="sent">{p.sent}</span> sent, <span data-field="waiting">{p.waiting}</span> waiting, <span data-field="failed">{p.failed}</span> failed again,{" "}
        <span data-field="cancelled">{p.cancelled}</span> cancelled. {p.waiting > 0 ? <a href={courseHref(props.nav, `/admin/failed?since=${props.since}`)}>Refresh</a> : null}
      </p>
    </section>
  );
}

export function failedPage(input: {
  course: Course;
  nav: CourseNav;
  rows: FailedSendRow[];
  total: number;
  zone: string;
  message?: string | undefined;
  progress?: RetryProgress | undefined;
  since?: string | undefined;
}): Html {
  return adminLayout(
    "Failed sends",
    "failed",
    <>
      <h1>Failed sends{input.nav.courses.length > 1 ? ` · ${input.course.name}` : ""}</h1>
      <Notice message={input.message} />
      {input.progress && input.since ? <ProgressView progress={input.progress} since={input.since} nav={input.nav} /> : null}
      {input.nav.courses.length > 1 ? (
        <p class="hint">This course's lessons and newsletters{input.nav.courses[0]?.slug === input.course.slug ? ", and emails of no course (confirmations)" : ""}. Switch course to see the others'.</p>
      ) : null}
      <p class="muted">
        {input.total === 0
          ? "Nothing has failed."
          : `${input.total} email${input.total === 1 ? "" : "s"} gave up after every retry${input.rows.length < input.total ? `; the newest ${input.rows.length} are shown` : ""}. Retry puts one back in the queue: an email that may have reached the provider repeats its original request (same key, same bytes), so it is never sent twice.`}
      </p>
      {input.total > 0 ? <ActionForm action={courseHref(input.nav, "/admin/failed/retry-all")} label={`Retry all ${input.total} failed`} /> : null}
      <FailedTable course={input.course} rows={input.rows} zone={input.zone} retry={true} nav={input.nav} />
    </>,
    { nav: input.nav },
  );
}
