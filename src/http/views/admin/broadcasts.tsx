/** @jsxImportSource hono/jsx */
import type { Course } from "../../../content/schema.ts";
import type { OutgoingEmail } from "../../../send/mailer.ts";
import type { Broadcast, BroadcastProgress } from "../../../store/broadcasts.ts";
import { EmailPreview } from "./email-preview.tsx";
import { adminLayout } from "./layout.tsx";
import { courseHref, formatAt, LessonOptions, Notice, TableBox } from "./parts.tsx";
import type { CourseNav } from "./parts.tsx";

export const STATUS_LABELS: Record<Broadcast["status"], string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  sending: "Sending",
  sent: "Sent",
  cancelled: "Cancelled",
};

/** Progress as the page and /progress.json show it. */
export interface ProgressView extends BroadcastProgress {
  /** Recipients expected: the ledger count once final, else at least the audience's current size. */
  expected: number;
  /** Rows that reached an end state (sent, failed or cancelled). */
  settled: number;
  /** Whole percent of `expected` settled; 100 only when every recipient row is settled. */
  percent: number;
  /** Nothing will change any more: the newsletter is sent or cancelled and no row is in flight. */
  done: boolean;
  statusLabel: string;
}

export interface BroadcastResults {
  total: number;
  sent: number;
  failed: number;
  bounced: number;
  delivered: number;
}

export interface ComposeValues {
  subject: string;
  preview: string;
  markdown: string;
  lesson: string;
  audience: string;
  when: "now" | "schedule";
  scheduledAt: string;
  timezone: string;
}

export interface AudienceChoice {
  value: string;
  label: string;
  size: number;
}

export interface BroadcastListView {
  course: Course;
  nav: CourseNav;
  broadcasts: { broadcast: Broadcast; audience: string; results: BroadcastResults }[];
  audiences: AudienceChoice[];
  zones: readonly string[];
  values: ComposeValues;
  error?: string | undefined;
}

/**
 * An audience in words. With several courses the words name the course, and "all" says it means
 * every course's readers; with one they read as they always did.
 */
export function audienceLabel(course: Course, key: string, several = false): string {
  const of = several ? ` of ${course.name}` : "";
  if (key === "course") return `Readers${of || " of the course"}`;
  if (!key.startsWith("stage:")) return several ? "Everyone: every active reader of every course" : "All active readers";
  const lesson = course.lessons.find((l) => l.slug === key.slice("stage:".length));
  return lesson ? `Readers${of} whose next lesson is ${lesson.number}. ${lesson.title}` : `Readers${of} at stage ${key.slice("stage:".length)}`;
}

function whenCell(b: Broadcast, zone: string): string {
  if (b.status === "scheduled") return `for ${formatAt(b.scheduled_at, zone)}`;
  if (b.finished_at) return `finished ${formatAt(b.finished_at, zone)}`;
  if (b.started_at) return `started ${formatAt(b.started_at, zone)}`;
  return `created ${formatAt(b.created_at, zone)}`;
}

function ZoneOptions(props: { zones: readonly string[]; selected: string }) {
  return (
    <>
      {props.zones.map((z) => (
        <option value={z} selected={z === props.selected}>
          {z}
        </option>
      ))}
    </>
  );
}

export function broadcastListPage(view: BroadcastListView) {
  const zone = view.course.schedule.timezone;
  const v = view.values;
  const { nav } = view;
  const several = nav.courses.length > 1;
  return adminLayout(
    "Broadcasts",
    "broadcasts",
    <>
      <h1>Broadcasts{several ? ` · ${view.course.name}` : ""}</h1>
      <p class="lead">
        {several
          ? `Newsletters sent in the name of ${view.course.name} (${view.course.publisher}): to its readers, one stage of it, or everyone. They go through the same ledger as lessons.`
          : "One-off newsletters to the course's readers, sent through the same ledger as lessons."}
      </p>

      <h2>Newsletters</h2>
      {view.broadcasts.length === 0 ? (
        <p>No newsletters yet.</p>
      ) : (
        <TableBox label="Newsletters">
          <table>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Audience</th>
                <th scope="col">Status</th>
                <th scope="col">When</th>
                <th scope="col">Recipients</th>
                <th scope="col">Sent</th>
                <th scope="col">Failed</th>
                <th scope="col">Bounced</th>
                <th scope="col">Delivered</th>
              </tr>
            </thead>
            <tbody>
              {view.broadcasts.map(({ broadcast: b, audience, results: r }) => (
                <tr data-broadcast={b.id}>
                  <td>
                    <a href={courseHref(nav, `/admin/broadcasts/${b.id}`)}>{b.subject}</a>
                  </td>
                  <td>{audience}</td>
                  <td data-field="status">{STATUS_LABELS[b.status]}</td>
                  <td>{whenCell(b, zone)}</td>
                  <td data-field="total">{r.total}</td>
                  <td data-field="sent">{r.sent}</td>
                  <td data-field="failed">{r.failed}</td>
                  <td data-field="bounced">{r.bounced}</td>
                  <td data-field="delivered">{r.delivered}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}

      <h2 id="compose">Write a newsletter</h2>
      <form class="card" method="post" action={courseHref(nav, "/admin/broadcasts")} aria-labelledby="compose">
        {view.error ? (
          <p class="error" role="alert">
            {view.error}
          </p>
        ) : null}
        <label for="b-subject">Subject</label>
        <input id="b-subject" type="text" name="subject" maxlength={200} value={v.subject} />
        <p class="hint">May stay empty when you send a lesson: the lesson's subject is used.</p>
        <label for="b-preview">Preview text</label>
        <input id="b-preview" type="text" name="preview" maxlength={150} value={v.preview} />
        <p class="hint">The line inboxes show after the subject. Empty: the newsletter's first words (or the lesson's own preview text).</p>
        <label for="b-markdown">Newsletter (Markdown)</label>
        <textarea id="b-markdown" name="markdown" rows={12} cols={60}>
          {v.markdown}
        </textarea>
        <label for="b-lesson">…or send a lesson as the newsletter</label>
        <select id="b-lesson" name="lesson">
          <option value="" selected={!v.lesson}>
            No lesson: send the Markdown above
          </option>
          <LessonOptions course={view.course} selected={v.lesson} />
        </select>

        <label for="b-audience">Audience</label>
        <select id="b-audience" name="audience">
          {view.audiences.map((a) => (
            <option value={a.value} selected={a.value === v.audience}>
              {a.label} ({a.size})
            </option>
          ))}
        </select>

        <fieldset>
          <legend>When</legend>
          <label>
            <input type="radio" name="when" value="now" checked={v.when === "now"} /> Send now
          </label>
          <label>
            <input type="radio" name="when" value="schedule" checked={v.when === "schedule"} /> Schedule at
          </label>
          <label for="b-at">Date and time</label>
          <input id="b-at" type="datetime-local" name="scheduled_at" value={v.scheduledAt} />
          <label for="b-zone">Time zone</label>
          <select id="b-zone" name="timezone">
            <ZoneOptions zones={view.zones} selected={v.timezone} />
          </select>
        </fieldset>

        <button type="submit" name="intent" value="draft" class="secondary">
          Save draft and preview
        </button>
        <button type="submit" name="intent" value="go" data-confirm="Send or schedule this newsletter for its whole audience?">
          Send or schedule
        </button>
        <p class="hint">A draft goes out only when you send it from its page; there you can preview it and send yourself a test first.</p>
      </form>
    </>,
    { nav },
  );
}

export interface BroadcastPageView {
  /** The newsletter's course: its sender identity, and its readers for "course" and "stage:". */
  course: Course;
  nav: CourseNav;
  broadcast: Broadcast;
  audience: AudienceChoice;
  progress: ProgressView;
  zones: readonly string[];
  preview: { email: OutgoingEmail; htmlUrl: string; readerParam: string; readerLabel: string } | { error: string };
  message?: string | undefined;
}

export function broadcastPage(view: BroadcastPageView) {
  const b = view.broadcast;
  const p = view.progress;
  const zone = view.course.schedule.timezone;
  const lesson = b.lesson_slug ? view.course.lessons.find((l) => l.slug === b.lesson_slug) : undefined;
  const cancellable = b.status === "draft" || b.status === "scheduled" || b.status === "sending";
  // Only a newsletter on its way changes by itself; a draft waits for the admin.
  const live = b.status === "scheduled" || b.status === "sending" || !p.done;
  const { nav } = view;
  const pollUrl = b.status === "draft" ? undefined : `/admin/broadcasts/${b.id}/progress.json`;
  const row = (label: string, value: string | number) => (
    <tr>
      <th scope="row">{label}</th>
      <td>{value}</td>
    </tr>
  );
  const figure = (label: string, field: keyof ProgressView) => (
    <tr>
      <th scope="row">{label}</th>
      <td data-field={field}>{String(p[field])}</td>
    </tr>
  );
  return adminLayout(
    b.subject,
    "broadcasts",
    <>
      <p>
        <a href={courseHref(nav, "/admin/broadcasts")}>← Broadcasts</a>
      </p>
      <h1>{b.subject}</h1>
      {/* A notice about sending stops being true once the send is done: the page's script hides it then. */}
      {b.status === "sending" ? (
        <div data-hide-when-done="">
          <Notice message={view.message} />
        </div>
      ) : (
        <Notice message={view.message} />
      )}
      <table>
        <tbody>
          {nav.courses.length > 1 ? row("Sent in the name of", `${view.course.name} (${view.course.publisher})`) : null}
          <tr>
            <th scope="row">Audience</th>
            <td>
              {view.audience.label} <span class="hint">({view.audience.size} now)</span>
            </td>
          </tr>
          {row("Content", lesson ? `Lesson ${lesson.number}. ${lesson.title}` : b.lesson_slug ? `Lesson “${b.lesson_slug}” (no longer in the course)` : "Markdown written for this newsletter")}
          {row("Created", formatAt(b.created_at, zone))}
          {b.scheduled_at ? row("Scheduled for", formatAt(b.scheduled_at, zone)) : null}
          {b.started_at ? row("Started", formatAt(b.started_at, zone)) : null}
          {b.finished_at ? row("Finished", formatAt(b.finished_at, zone)) : null}
        </tbody>
      </table>

      <section data-progress="" aria-labelledby="progress-heading">
        <h2 id="progress-heading">Progress</h2>
        <progress id="broadcast-progress" max="100" value={p.percent} aria-labelledby="progress-heading" data-progress-url={pollUrl} data-done={live ? "false" : "true"}>
          {p.percent}%
        </progress>
        <p role="status">
          <span data-field="percent">{p.percent}</span>% · <span data-field="settled">{p.settled}</span> of <span data-field="expected">{p.expected}</span> recipients settled · status:{" "}
          <strong data-field="statusLabel">{p.statusLabel}</strong>
        </p>
        <table>
          <tbody>
            {figure("Recipients so far", "total")}
            {figure("Waiting", "queued")}
            {figure("Sent", "sent")}
            {figure("Failed", "failed")}
            {figure("Cancelled", "cancelled")}
            {figure("Bounced", "bounced")}
            {figure("Delivered", "delivered")}
          </tbody>
        </table>
        <p class="hint">“Sent” means the provider accepted the email; bounced and delivered come from provider webhooks.</p>
        <Actions view={view} cancellable={cancellable} />
      </section>

      <PreviewSection view={view} />
    </>,
    { scripts: ["admin.js"], nav },
  );
}

function Actions(props: { view: BroadcastPageView; cancellable: boolean }) {
  const { view } = props;
  const b = view.broadcast;
  const size = view.audience.size;
  return (
    <>
      {b.status === "draft" ? (
        <>
          <form class="card" method="post" action={courseHref(view.nav, `/admin/broadcasts/${b.id}/send`)}>
            <button type="submit" data-confirm={`Send “${b.subject}” to ${size} readers now?`}>
              Send now to {size} readers
            </button>
          </form>
          <form class="card" method="post" action={courseHref(view.nav, `/admin/broadcasts/${b.id}/schedule`)}>
            <label for="s-at">Schedule at</label>
            <input id="s-at" type="datetime-local" name="scheduled_at" required />
            <label for="s-zone">Time zone</label>
            <select id="s-zone" name="timezone">
              <ZoneOptions zones={view.zones} selected={view.course.schedule.timezone} />
            </select>
            <button type="submit" class="secondary">
              Schedule
            </button>
          </form>
        </>
      ) : null}
      {props.cancellable ? (
        <form method="post" action={courseHref(view.nav, `/admin/broadcasts/${b.id}/cancel`)} data-hide-when-done="">
          <button type="submit" class="secondary" data-confirm="Cancel this newsletter? Emails not yet sent will not go out.">
            {b.status === "draft" ? "Discard draft" : "Cancel newsletter"}
          </button>
        </form>
      ) : null}
    </>
  );
}

function PreviewSection(props: { view: BroadcastPageView }) {
  const b = props.view.broadcast;
  const preview = props.view.preview;
  if ("error" in preview) {
    return (
      <>
        <h2>Preview</h2>
        <p class="error">{preview.error}</p>
      </>
    );
  }
  return (
    <>
      <h2>Preview</h2>
      <form class="card" method="get" action={`/admin/broadcasts/${b.id}`}>
        {props.view.nav.courses.length > 1 ? <input type="hidden" name="course" value={props.view.course.slug} /> : null}
        <label for="p-reader">Preview as reader (address or id; empty for a sample reader)</label>
        <input id="p-reader" type="text" name="reader" value={preview.readerParam} autocomplete="off" />
        <button type="submit" class="secondary">
          Preview
        </button>
      </form>
      <p>
        As {preview.readerLabel}. Subject: <strong data-field="subject">{preview.email.subject}</strong>
      </p>
      <EmailPreview email={preview.email} htmlUrl={preview.htmlUrl} frameTitle="HTML version of the newsletter" envelope={false} headingLevel={3} />

      {/* A test is for checking before readers get it: once it has gone out (or been cancelled), there is nothing left to check. */}
      {b.status === "draft" || b.status === "scheduled" ? (
        <>
          <h2>Send a test</h2>
          <form class="card" method="post" action={courseHref(props.view.nav, `/admin/broadcasts/${b.id}/test`)}>
            <label for="t-to">Your address</label>
            <input id="t-to" type="email" name="to" required autocomplete="email" />
            <p class="hint">Rendered for a sample reader, sent outside the readers' ledger, subject prefixed with “[Test]”.</p>
            <button type="submit">Send test email</button>
          </form>
        </>
      ) : null}
    </>
  );
}
