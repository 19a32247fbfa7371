import { html } from "hono/html";
import type { Course, Lesson } from "../../../content/schema.ts";
import type { OutgoingEmail } from "../../../send/mailer.ts";
import { adminLayout } from "./layout.ts";
import { notice } from "./parts.ts";

const WEEKDAY_NAMES: Record<string, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/** Day 0 and days 1–6 are week 1: the way authors talk about a weekly course. */
export function weekOf(day: number): number {
  return Math.floor(day / 7) + 1;
}

/** Long tokens (unsubscribe URLs) get break opportunities, so they wrap instead of widening the page. */
export function breakable(value: string) {
  const parts = value.match(/.{1,32}/gs) ?? [];
  return html`${parts.map((part, i) => (i === 0 ? part : html`<wbr />${part}`))}`;
}

export interface StageCount {
  /** Readers whose next email this is, enrollment active. */
  waiting: number;
  /** Same, but their enrollment is paused. */
  waitingPaused: number;
}

export interface CourseOverview {
  course: Course;
  paused: boolean;
  daySeconds: number | undefined;
  lessons: (StageCount & { lesson: Lesson; received: number })[];
  graduation: StageCount;
  totals: { active: number; paused: number; completed: number; cancelled: number };
  message?: string | undefined;
}

/** Lesson choices for pickers; "graduation" is the graduation email's preview slug. */
export function lessonOptions(course: Course, selected: string | null, options: { graduation?: boolean } = {}) {
  return html`${course.lessons.map((l) => html`<option value="${l.slug}" ${l.slug === selected ? "selected" : ""}>${l.number}. ${l.title}</option>`)}${options.graduation
    ? html`<option value="graduation" ${selected === "graduation" ? "selected" : ""}>Graduation email</option>`
    : ""}`;
}

export function coursePage(view: CourseOverview) {
  const { course } = view;
  const s = course.schedule;
  const hour = `${String(s.sendHour).padStart(2, "0")}:00`;
  return adminLayout(
    "Course",
    "course",
    html`<h1>${course.name}</h1>
      ${notice(view.message)}
      <section class="card" aria-labelledby="course-sending">
        <h2 id="course-sending">Sending</h2>
        ${view.paused
          ? html`<p><strong>Paused.</strong> No lesson goes out while the course is paused; emails already queued wait and go out after you resume. Newsletters are not affected.</p>
              <form method="post" action="/admin/course/resume"><button type="submit">Resume the course</button></form>`
          : html`<p><strong>Running.</strong> Lessons go out on schedule.</p>
              <form method="post" action="/admin/course/pause"><button type="submit" class="secondary">Pause the whole course</button></form>`}
      </section>

      <h2>Schedule</h2>
      <table>
        <tbody>
          <tr><th scope="row">Send hour</th><td>${hour} in each reader's own time zone</td></tr>
          <tr><th scope="row">Weekdays</th><td>${s.weekdays.map((d) => WEEKDAY_NAMES[d] ?? d).join(", ")}</td></tr>
          <tr><th scope="row">Course time zone</th><td>${s.timezone} (for readers whose own zone is unknown)</td></tr>
          <tr><th scope="row">Graduation</th><td>day ${course.graduationDay} (week ${weekOf(course.graduationDay)}), ${course.graduation.daysAfterLastLesson} days after the last lesson</td></tr>
          ${view.daySeconds !== undefined
            ? html`<tr><th scope="row">Compressed calendar</th><td>one course day lasts ${view.daySeconds} seconds (COURSE_DAY_SECONDS); send hour and weekdays are ignored</td></tr>`
            : ""}
        </tbody>
      </table>

      <h2>Lessons and readers</h2>
      <table>
        <thead>
          <tr><th scope="col">#</th><th scope="col">Lesson</th><th scope="col">Day</th><th scope="col">Week</th><th scope="col">Next up for</th><th scope="col">Last received</th><th scope="col">Preview</th></tr>
        </thead>
        <tbody>
          ${view.lessons.map(
            (row) => html`<tr data-lesson="${row.lesson.slug}">
              <td>${row.lesson.number}</td>
              <td>${row.lesson.title}<br /><span class="hint">${row.lesson.slug} · subject: ${row.lesson.subject}</span></td>
              <td>${row.lesson.day}</td>
              <td>week ${weekOf(row.lesson.day)}</td>
              <td data-count="waiting">${row.waiting}${row.waitingPaused ? html` <span class="hint">(+${row.waitingPaused} paused)</span>` : ""}</td>
              <td data-count="received">${row.received}</td>
              <td><a href="/admin/course/preview?lesson=${encodeURIComponent(row.lesson.slug)}">Preview</a></td>
            </tr>`,
          )}
          <tr data-lesson="graduation">
            <td></td>
            <td>Graduation email<br /><span class="hint">subject: ${course.graduation.subject}</span></td>
            <td>${course.graduationDay}</td>
            <td>week ${weekOf(course.graduationDay)}</td>
            <td data-count="waiting">${view.graduation.waiting}${view.graduation.waitingPaused ? html` <span class="hint">(+${view.graduation.waitingPaused} paused)</span>` : ""}</td>
            <td data-count="completed">${view.totals.completed} completed</td>
            <td><a href="/admin/course/preview?lesson=graduation">Preview</a></td>
          </tr>
        </tbody>
      </table>
      <p class="hint">
        Enrolled: <span data-total="active">${view.totals.active}</span> active, <span data-total="paused">${view.totals.paused}</span> paused,
        <span data-total="completed">${view.totals.completed}</span> completed, <span data-total="cancelled">${view.totals.cancelled}</span> stopped.
        “Next up for” counts readers whose next email is that one; “last received” counts active and paused readers whose latest lesson it is.
      </p>

      <h2>Preview as a reader</h2>
      ${previewPicker(course, course.lessons[0]?.slug ?? "graduation", "")}`,
  );
}

function previewPicker(course: Course, lesson: string, reader: string) {
  return html`<form class="card" method="get" action="/admin/course/preview">
    <label for="preview-lesson">Lesson</label>
    <select id="preview-lesson" name="lesson">${lessonOptions(course, lesson, { graduation: true })}</select>
    <label for="preview-reader">Reader (address or id; empty for a sample reader)</label>
    <input id="preview-reader" type="text" name="reader" value="${reader}" autocomplete="off" />
    <button type="submit" class="secondary">Preview</button>
  </form>`;
}

export interface LessonPreviewView {
  course: Course;
  /** Lesson slug, or "graduation". */
  slug: string;
  title: string;
  reader: { id: string; email: string; sample: boolean };
  /** What the admin typed, kept in the picker. */
  readerParam: string;
  email: OutgoingEmail;
  sentTo?: string | undefined;
}

/** One lesson as a chosen reader receives it: HTML in a sandboxed frame, the text part, a test send. */
export function lessonPreviewPage(view: LessonPreviewView) {
  const readerQuery = view.reader.sample ? "" : `?reader=${encodeURIComponent(view.reader.id)}`;
  const htmlUrl = `/admin/preview/${encodeURIComponent(view.slug)}${readerQuery}`;
  return adminLayout(
    `Preview: ${view.title}`,
    "course",
    html`<p><a href="/admin/course">← Course</a></p>
      <h1>Preview: ${view.title}</h1>
      ${view.sentTo ? notice(`A test email is queued for ${view.sentTo}. It arrives with “[Test]” in front of the subject.`) : ""}
      ${previewPicker(view.course, view.slug, view.readerParam)}
      <p>As ${view.reader.sample ? html`a sample reader (<code>${view.reader.email}</code>)` : html`<strong>${view.reader.email}</strong> <span class="hint">(${view.reader.id})</span>`}.</p>
      <table>
        <tbody>
          <tr><th scope="row">From</th><td>${view.email.from}</td></tr>
          <tr><th scope="row">To</th><td>${view.email.to}</td></tr>
          <tr><th scope="row">Subject</th><td data-field="subject">${view.email.subject}</td></tr>
          ${Object.entries(view.email.headers).map(([name, value]) => html`<tr><th scope="row">${name}</th><td><code>${breakable(value)}</code></td></tr>`)}
        </tbody>
      </table>
      <h2>HTML</h2>
      <iframe sandbox="" src="${htmlUrl}" title="HTML version of the email"></iframe>
      <p class="hint"><a href="${htmlUrl}">Open the HTML on its own</a></p>
      <h2>Text</h2>
      <pre data-field="text">${view.email.text}</pre>

      <h2>Send a test</h2>
      <form class="card" method="post" action="/admin/course/test">
        <input type="hidden" name="lesson" value="${view.slug}" />
        <label for="test-to">Your address</label>
        <input id="test-to" type="email" name="to" required autocomplete="email" />
        <p class="hint">Rendered for a sample reader and sent outside the readers' ledger, subject prefixed with “[Test]”.</p>
        <button type="submit">Send test email</button>
      </form>`,
  );
}
