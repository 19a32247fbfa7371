import { html } from "hono/html";
import type { Course } from "../../../content/schema.ts";
import type { FailedSendRow } from "../../../store/admin-queries.ts";
import type { RetryProgress } from "../../../store/sends.ts";
import { failedTable } from "./dashboard.ts";
import { adminLayout } from "./layout.ts";
import { actionForm, notice } from "./parts.ts";
import type { Html } from "./parts.ts";

function progressView(p: RetryProgress, since: string): Html {
  const settled = p.sent + p.failed + p.cancelled;
  const percent = p.total === 0 ? 100 : Math.floor((settled / p.total) * 100);
  return html`<section class="retry-progress" data-retry-progress aria-live="polite">
    <h2>Retrying ${p.total} email${p.total === 1 ? "" : "s"}</h2>
    <progress max="${p.total}" value="${settled}">${percent}%</progress>
    <p>
      <span data-field="sent">${p.sent}</span> sent, <span data-field="waiting">${p.waiting}</span> waiting,
      <span data-field="failed">${p.failed}</span> failed again, <span data-field="cancelled">${p.cancelled}</span> cancelled.
      ${p.waiting > 0 ? html`<a href="/admin/failed?since=${since}">Refresh</a>` : ""}
    </p>
  </section>`;
}

export function failedPage(input: {
  course: Course;
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
    html`<h1>Failed sends</h1>
      ${notice(input.message)}
      ${input.progress && input.since ? progressView(input.progress, input.since) : ""}
      <p class="muted">
        ${input.total === 0
          ? "Nothing has failed."
          : `${input.total} email${input.total === 1 ? "" : "s"} gave up after every retry${input.rows.length < input.total ? `; the newest ${input.rows.length} are shown` : ""}. Retry puts one back in the queue: an email that may have reached the provider repeats its original request (same key, same bytes), so it is never sent twice.`}
      </p>
      ${input.total > 0 ? actionForm("/admin/failed/retry-all", `Retry all ${input.total} failed`) : ""}
      ${failedTable(input.course, input.rows, input.zone, { retry: true })}`,
  );
}
