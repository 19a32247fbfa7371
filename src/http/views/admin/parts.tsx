import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { DateTime } from "luxon";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** "2025-12-09 09:00 UTC": the console names the zone so nobody has to guess it. */
export function formatAt(at: number | null | undefined, zone: string): string {
  if (at === null || at === undefined) return "—";
  return `${DateTime.fromMillis(Number(at), { zone }).toFormat("yyyy-LL-dd HH:mm")} ${zone}`;
}

/** The outcome of the last action, shown once at the top of the page it redirected to. */
export function notice(message: string | undefined): Html | string {
  return message ? html`<p class="notice" role="status">${message}</p>` : "";
}

export function statusBadge(status: string): Html {
  return html`<span class="badge badge-${status}">${status}</span>`;
}

/** A POST form for one console action; the session cookie plus the same-origin check protect it. */
export function actionForm(action: string, label: string, fields: Html | string = "", options: { danger?: boolean; secondary?: boolean } = {}): Html {
  const cls = options.danger ? "danger" : options.secondary ? "secondary" : "";
  return html`<form method="post" action="${action}" class="action">${fields}<button type="submit" class="${cls}">${label}</button></form>`;
}
