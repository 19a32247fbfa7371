import { html } from "hono/html";
import type { Course } from "../../../content/schema.ts";
import type { FailedSendRow } from "../../../store/admin-queries.ts";
import { failedTable } from "./dashboard.ts";
import { adminLayout } from "./layout.ts";
import { notice } from "./parts.ts";
import type { Html } from "./parts.ts";

export function failedPage(input: { course: Course; rows: FailedSendRow[]; total: number; zone: string; message?: string | undefined }): Html {
  return adminLayout(
    "Failed sends",
    "failed",
    html`<h1>Failed sends</h1>
      ${notice(input.message)}
      <p class="muted">
        ${input.total === 0
          ? "Nothing has failed."
          : `${input.total} email${input.total === 1 ? "" : "s"} gave up after every retry${input.rows.length < input.total ? `; the newest ${input.rows.length} are shown` : ""}. Retry puts one back in the queue as a fresh send.`}
      </p>
      ${failedTable(input.course, input.rows, input.zone, { retry: true })}`,
  );
}
