/** @jsxImportSource hono/jsx */
import type { Course, Lesson } from "../../../content/schema.ts";
import type { OutgoingEmail } from "../../../send/mailer.ts";
import type { ReaderCounts } from "../../../commands/reader-counts.ts";
import { EmailPreview } from "./email-preview.tsx";
import { adminLayout } from "./layout.tsx";
import { CourseField, courseHref, LessonOptions, Notice, TableBox } from "./parts.tsx";
import type { CourseNav } from "./parts.tsx";
import { htmlFormSnippet, scriptSnippet } from "./signup-snippets.ts";

const WEEKDAY_NAMES: Record<string, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/** Day 0 and days 1–6 are week 1: the way authors talk about a weekly course. */
export function weekOf(day: number): number {
  return Math.floor(day / 7) + 1;
}

export interface StageCount {
  /** Readers whose next email this is, enrollment active. */
  waiting: number;
  /** Same, but their enrollment is paused. */
  waitingPaused: number;
}

export interface CourseOverview {
  course: Course;
  nav: CourseNav;
  paused: boolean;
  daySeconds: number | undefined;
  lessons: (StageCount & { lesson: Lesson; received: number })[];
  graduation: StageCount;
  counts: ReaderCounts;
  message?: string | undefined;
  /** Where the signup form posts (APP_URL) and which other sites may post it (ALLOWED_ORIGINS); without it, no snippets. */
  embed?: { appUrl: string; allowedOrigins: readonly string[] };
}

function Waiting(props: { count: StageCount }) {
  return (
    <td data-count="waiting">
      {props.count.waiting}
      {props.count.waitingPaused ? (
        <>
          {" "}
          <span class="hint">(+{props.count.waitingPaused} paused)</span>
        </>
      ) : null}
    </td>
  );
}

export function coursePage(view: CourseOverview) {
  const { course, nav } = view;
  const s = course.schedule;
  const hour = `${String(s.sendHour).padStart(2, "0")}:00`;
  return adminLayout(
    "Course",
    "course",
    <>
      <h1>{course.name}</h1>
      <Notice message={view.message} />
      <section class="card" aria-labelledby="course-sending">
        <h2 id="course-sending">Sending</h2>
        {view.paused ? (
          <>
            <p>
              <strong>Paused.</strong> No lesson of this course goes out while it is paused; emails already queued wait and go out after you resume. Newsletters are not affected.
            </p>
            <form method="post" action={courseHref(nav, "/admin/course/resume")}>
              <button type="submit">Resume the course</button>
            </form>
          </>
        ) : (
          <>
            <p>
              <strong>Running.</strong> Lessons go out on schedule.
            </p>
            <form method="post" action={courseHref(nav, "/admin/course/pause")}>
              <button type="submit" class="secondary">
                Pause the whole course
              </button>
            </form>
          </>
        )}
      </section>

      <h2>Schedule</h2>
      <table>
        <tbody>
          <tr>
            <th scope="row">Send hour</th>
            <td>{hour} in each reader's own time zone</td>
          </tr>
          <tr>
            <th scope="row">Weekdays</th>
            <td>{s.weekdays.map((d) => WEEKDAY_NAMES[d] ?? d).join(", ")}</td>
          </tr>
          <tr>
            <th scope="row">Course time zone</th>
            <td>{s.timezone} (for readers whose own zone is unknown)</td>
          </tr>
          <tr>
            <th scope="row">Graduation</th>
            <td>
              day {course.graduationDay} (week {weekOf(course.graduationDay)}), {course.graduation.daysAfterLastLesson} days after the last lesson
            </td>
          </tr>
          {view.daySeconds !== undefined ? (
            <tr>
              <th scope="row">Compressed calendar</th>
              <td>one course day lasts {view.daySeconds} seconds (COURSE_DAY_SECONDS); send hour and weekdays are ignored</td>
            </tr>
          ) : null}
        </tbody>
      </table>

      <h2>Lessons and readers</h2>
      <TableBox label="Lessons and readers">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Lesson</th>
              <th scope="col">Day</th>
              <th scope="col">Week</th>
              <th scope="col">Next up for</th>
              <th scope="col">Last received</th>
              <th scope="col">Preview</th>
            </tr>
          </thead>
          <tbody>
            {view.lessons.map((row) => (
              <tr data-lesson={row.lesson.slug}>
                <td>{row.lesson.number}</td>
                <td>
                  {row.lesson.title}
                  <br />
                  <span class="hint">
                    {row.lesson.slug} · subject: {row.lesson.subject}
                  </span>
                </td>
                <td>{row.lesson.day}</td>
                <td>week {weekOf(row.lesson.day)}</td>
                <Waiting count={row} />
                <td data-count="received">{row.received}</td>
                <td>
                  <a href={courseHref(nav, `/admin/course/preview?lesson=${encodeURIComponent(row.lesson.slug)}`)}>Preview</a>
                </td>
              </tr>
            ))}
            <tr data-lesson="graduation">
              <td></td>
              <td>
                Graduation email
                <br />
                <span class="hint">subject: {course.graduation.subject}</span>
              </td>
              <td>{course.graduationDay}</td>
              <td>week {weekOf(course.graduationDay)}</td>
              <Waiting count={view.graduation} />
              <td data-count="completed">{view.counts.finished} finished</td>
              <td>
                <a href={courseHref(nav, "/admin/course/preview?lesson=graduation")}>Preview</a>
              </td>
            </tr>
          </tbody>
        </table>
      </TableBox>
      <p class="hint">
        Readers: <span data-total="active">{view.counts.active}</span> active, <span data-total="paused">{view.counts.paused}</span> paused,{" "}
        <span data-total="finished">{view.counts.finished}</span> finished, <span data-total="left">{view.counts.left}</span> left, the same numbers as on the
        dashboard. “Next up for” counts readers whose
        next email is that one; “last received” counts active and paused readers whose latest lesson it is.
      </p>

      <h2>Preview as a reader</h2>
      <PreviewPicker course={course} nav={nav} lesson={course.lessons[0]?.slug ?? "graduation"} reader="" />

      {view.embed ? <EmbedSnippets appUrl={view.embed.appUrl} allowedOrigins={view.embed.allowedOrigins} course={course} /> : null}
    </>,
    { nav },
  );
}

/** Copy-paste versions of the signup form for the publisher's own site. */
function EmbedSnippets(props: { appUrl: string; allowedOrigins: readonly string[]; course: Course }) {
  const example = props.allowedOrigins[0] ?? "https://www.example.com";
  return (
    <section aria-labelledby="embed-heading" data-embed>
      <h2 id="embed-heading">Embed the signup form on your site</h2>
      <p class="hint">
        These forms sign readers up for <strong>{props.course.name}</strong> (the hidden <code>course</code> field, <code>{props.course.slug}</code>).
      </p>
      {props.allowedOrigins.length ? (
        <p>
          Sites that may post it (<code>ALLOWED_ORIGINS</code>):{" "}
          {props.allowedOrigins.map((origin, i) => (
            <>
              {i ? ", " : ""}
              <code data-origin>{origin}</code>
            </>
          ))}
          . Any other site's signups are refused.
        </p>
      ) : (
        <p data-no-origins>
          <strong>No other site may post it yet.</strong> Set <code>ALLOWED_ORIGINS</code> to your site's origin (for example <code>https://www.example.com</code>) and
          restart, or these snippets are refused.
        </p>
      )}
      <h3>HTML form</h3>
      <p class="hint">Works without scripts. Readers land on this service's “check your inbox” page, or on your own page if you add the optional <code>redirect</code> field.</p>
      <pre><code data-snippet="form">{htmlFormSnippet(props.appUrl, example, props.course.slug)}</code></pre>
      <h3>With a script</h3>
      <p class="hint">Sends the form with <code>fetch</code>, adds the reader's time zone, and shows the answer in place, read out by screen readers. Without scripts it posts as the HTML form.</p>
      <pre><code data-snippet="script">{scriptSnippet(props.appUrl, props.course.slug)}</code></pre>
    </section>
  );
}

function PreviewPicker(props: { course: Course; nav: CourseNav; lesson: string; reader: string }) {
  return (
    <form class="card" method="get" action="/admin/course/preview">
      <CourseField nav={props.nav} />
      <label for="preview-lesson">Lesson</label>
      <select id="preview-lesson" name="lesson">
        <LessonOptions course={props.course} selected={props.lesson} graduation />
      </select>
      <label for="preview-reader">Reader (address or id; empty for a sample reader)</label>
      <input id="preview-reader" type="text" name="reader" value={props.reader} autocomplete="off" />
      <button type="submit" class="secondary">
        Preview
      </button>
    </form>
  );
}

export interface LessonPreviewView {
  course: Course;
  nav: CourseNav;
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
  const { nav } = view;
  const readerQuery = view.reader.sample ? "" : `?reader=${encodeURIComponent(view.reader.id)}`;
  const htmlUrl = courseHref(nav, `/admin/preview/${encodeURIComponent(view.slug)}${readerQuery}`);
  return adminLayout(
    `Preview: ${view.title}`,
    "course",
    <>
      <p>
        <a href={courseHref(nav, "/admin/course")}>← Course</a>
      </p>
      <h1>Preview: {view.title}</h1>
      {view.sentTo ? <Notice message={`A test email is queued for ${view.sentTo}. It arrives with “[Test]” in front of the subject.`} /> : null}
      <PreviewPicker course={view.course} nav={nav} lesson={view.slug} reader={view.readerParam} />
      <p>
        As{" "}
        {view.reader.sample ? (
          <>
            a sample reader (<code>{view.reader.email}</code>)
          </>
        ) : (
          <>
            <strong>{view.reader.email}</strong> <span class="hint">({view.reader.id})</span>
          </>
        )}
        .
      </p>
      <EmailPreview email={view.email} htmlUrl={htmlUrl} frameTitle="HTML version of the email" envelope headingLevel={2} />

      <h2>Send a test</h2>
      <form class="card" method="post" action={courseHref(nav, "/admin/course/test")}>
        <input type="hidden" name="lesson" value={view.slug} />
        <label for="test-to">Your address</label>
        <input id="test-to" type="email" name="to" required autocomplete="email" />
        <p class="hint">Rendered for a sample reader and sent outside the readers' ledger, subject prefixed with “[Test]”.</p>
        <button type="submit">Send test email</button>
      </form>
    </>,
    { nav },
  );
}
