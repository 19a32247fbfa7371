import { html } from "hono/html";
import type { Course } from "../../../content/schema.ts";
import { READER_FILTERS } from "../../../store/admin-queries.ts";
import type { ReaderDetail, ReaderFilter, ReaderPage } from "../../../store/admin-queries.ts";
import type { NextLesson, TimelineEvent } from "../../../domain/reader-timeline.ts";
import { GRADUATION_SLUG } from "../../../domain/course-plan.ts";
import { adminLayout } from "./layout.ts";
import { actionForm, formatAt, notice, statusBadge } from "./parts.ts";
import type { Html } from "./parts.ts";

function nextLabel(course: Course, slug: string | null): string {
  if (slug === null) return "—";
  if (slug === GRADUATION_SLUG) return "graduation";
  const lesson = course.lessons.find((l) => l.slug === slug);
  return lesson ? `lesson ${lesson.number}` : slug;
}

function listUrl(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const query = search.toString();
  return `/admin/readers${query ? `?${query}` : ""}`;
}

export function readersPage(input: { course: Course; q: string; status: ReaderFilter | undefined; page: ReaderPage; zone: string; message?: string | undefined }): Html {
  const { page, q, status } = input;
  return adminLayout(
    "Readers",
    "readers",
    html`<h1>Readers</h1>
      ${notice(input.message)}
      <form method="get" action="/admin/readers" class="filters" role="search">
        <label for="q">Email or name</label>
        <input type="search" id="q" name="q" value="${q}" maxlength="200" />
        <label for="status">Status</label>
        <select id="status" name="status">
          <option value="">Any</option>
          ${READER_FILTERS.map((s) => html`<option value="${s}" ${s === status ? "selected" : ""}>${s}</option>`)}
        </select>
        <button type="submit">Search</button>
      </form>
      ${page.items.length === 0
        ? html`<p class="muted">No readers match.</p>`
        : html`<table class="readers">
            <thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Course</th><th scope="col">Signed up</th></tr></thead>
            <tbody>
              ${page.items.map(
                (r) => html`<tr data-reader="${r.id}">
                  <td><a href="/admin/readers/${encodeURIComponent(r.id)}">${r.email}</a></td>
                  <td>${r.name ?? ""}</td>
                  <td>${statusBadge(r.status)}</td>
                  <td>${r.enrollment_status ? html`${r.enrollment_status}${r.enrollment_status === "active" || r.enrollment_status === "paused" ? `, next ${nextLabel(input.course, r.next_slug)}` : ""}` : "—"}</td>
                  <td>${formatAt(r.created_at, input.zone)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
      <nav class="pager" aria-label="Pages">
        ${page.prev ? html`<a rel="prev" href="${listUrl({ q, status, before: page.prev })}">← Newer</a>` : ""}
        ${page.prev ? html`<a href="${listUrl({ q, status })}">Newest</a>` : ""}
        ${page.next ? html`<a rel="next" href="${listUrl({ q, status, cursor: page.next })}">Older →</a>` : ""}
      </nav>`,
  );
}

function lessonOptions(course: Course, selected: string | null): Html[] {
  return course.lessons.map((l) => html`<option value="${l.slug}" ${l.slug === selected ? "selected" : ""}>${l.number}. ${l.title}</option>`);
}

export function readerPage(input: {
  course: Course;
  detail: ReaderDetail;
  timeline: TimelineEvent[];
  next: NextLesson;
  zone: string;
  message?: string | undefined;
}): Html {
  const { course, detail, zone } = input;
  const { subscriber: s, enrollment } = detail;
  const base = `/admin/readers/${encodeURIComponent(s.id)}`;
  const canSend = s.status === "active" && enrollment !== undefined && enrollment.status !== "cancelled";
  const canMove = enrollment !== undefined && ["active", "paused", "completed"].includes(enrollment.status);
  const nextSlug = input.next.slug && input.next.slug !== GRADUATION_SLUG ? input.next.slug : null;
  return adminLayout(
    s.email,
    "readers",
    html`<p><a href="/admin/readers">← Readers</a></p>
      <h1>${s.email}</h1>
      ${notice(input.message)}
      <p class="next-lesson" data-next-lesson>${input.next.sentence}</p>
      <dl class="facts">
        <dt>Name</dt><dd>${s.name ?? "—"}</dd>
        <dt>Status</dt><dd>${statusBadge(s.status)}${enrollment ? html` · course ${statusBadge(enrollment.status)}` : ""}</dd>
        <dt>Time zone</dt><dd>${s.timezone}</dd>
        <dt>Signed up</dt><dd>${formatAt(s.created_at, zone)} through “${s.consent_form}” (consent text ${s.consent_text_version})</dd>
        <dt>Confirmed</dt><dd>${formatAt(s.confirmed_at, zone)}</dd>
        <dt>Reader id</dt><dd><code>${s.id}</code></dd>
        ${enrollment ? html`<dt>Enrollment id</dt><dd><code>${enrollment.id}</code></dd>` : ""}
      </dl>

      <section aria-labelledby="actions-h" class="actions">
        <h2 id="actions-h">Actions</h2>
        ${canSend
          ? actionForm(
              `${base}/send-lesson`,
              "Send now",
              html`<label for="send-lesson">Send a lesson now</label><select id="send-lesson" name="lesson">${lessonOptions(course, nextSlug)}</select>`,
            )
          : ""}
        ${canMove
          ? actionForm(
              `${base}/move`,
              "Move",
              html`<label for="move-lesson">Make this their next lesson</label><select id="move-lesson" name="lesson">${lessonOptions(course, nextSlug)}</select>`,
              { secondary: true },
            )
          : ""}
        ${input.next.held
          ? html`${actionForm(`${base}/retry-lesson`, "Retry the held lesson")}
            ${actionForm(
              `${base}/skip-lesson`,
              "Skip it",
              html`<label for="skip-reason">Skip the held lesson, because</label><input id="skip-reason" name="reason" required maxlength="500" />`,
              { secondary: true },
            )}`
          : ""}
        ${enrollment?.status === "active" ? actionForm(`${base}/pause`, "Pause the course for this reader", "", { secondary: true }) : ""}
        ${enrollment?.status === "paused" ? actionForm(`${base}/resume`, "Resume", "", { secondary: true }) : ""}
        ${s.status !== "unsubscribed" && s.status !== "deleted" ? actionForm(`${base}/unsubscribe`, "Unsubscribe from all email", "", { secondary: true }) : ""}
        ${actionForm(`${base}/export`, "Download their data (JSON)", "", { secondary: true })}
        ${actionForm(
          `${base}/delete`,
          "Erase this reader",
          html`<label class="confirm"><input type="checkbox" name="confirm" value="yes" required /> Erase everything about ${s.email}. This cannot be undone; only a hash of the address is kept so it is never mailed by accident.</label>`,
          { danger: true },
        )}
      </section>

      <section aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <ol class="timeline">
          ${input.timeline.map((e) => html`<li class="event ${e.kind}" data-kind="${e.kind}"><time datetime="${new Date(e.at).toISOString()}">${formatAt(e.at, zone)}</time> ${e.text}</li>`)}
        </ol>
      </section>`,
  );
}
