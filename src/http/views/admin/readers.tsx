/** @jsxImportSource hono/jsx */
import type { Course } from "../../../content/schema.ts";
import { READER_FILTERS } from "../../../store/admin-queries.ts";
import type { ReaderDetail, ReaderFilter, ReaderPage } from "../../../store/admin-queries.ts";
import type { EnrollmentView } from "../../../commands/reader-actions.ts";
import type { NextLesson, TimelineEvent } from "../../../domain/reader-timeline.ts";
import { GRADUATION_SLUG } from "../../../domain/course-plan.ts";
import { adminLayout } from "./layout.tsx";
import { ActionForm, CourseField, courseHref, formatAt, LessonOptions, Notice, StatusBadge, TableBox } from "./parts.tsx";
import type { CourseNav, Html } from "./parts.tsx";

function nextLabel(course: Course, slug: string | null): string {
  if (slug === null) return "—";
  if (slug === GRADUATION_SLUG) return "graduation";
  const lesson = course.lessons.find((l) => l.slug === slug);
  return lesson ? `lesson ${lesson.number}` : slug;
}

function listUrl(nav: CourseNav, params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const query = search.toString();
  return courseHref(nav, `/admin/readers${query ? `?${query}` : ""}`);
}

export function readersPage(input: { course: Course; nav: CourseNav; q: string; status: ReaderFilter | undefined; page: ReaderPage; zone: string; message?: string | undefined }): Html {
  const { page, q, status, nav } = input;
  const several = nav.courses.length > 1;
  return adminLayout(
    "Readers",
    "readers",
    <>
      <h1>Readers{several ? ` of ${input.course.name}` : ""}</h1>
      <Notice message={input.message} />
      {several ? (
        <p class="hint">
          Readers enrolled in this course{nav.courses[0]?.slug === input.course.slug ? ", and readers not in any course yet" : ""}. A reader in several courses is listed under each; their page shows every
          enrollment.
        </p>
      ) : null}
      <form method="get" action="/admin/readers" class="filters" role="search">
        <CourseField nav={nav} />
        <div class="field field-grow">
          <label for="q">Email or name</label>
          <input type="search" id="q" name="q" value={q} maxlength={200} />
        </div>
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">Any</option>
            {READER_FILTERS.filter((s) => s !== "completed").map((s) => (
              <option value={s} selected={s === status || (s === "finished" && status === "completed")}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      {page.items.length === 0 ? (
        <p class="muted">No readers match.</p>
      ) : (
        <TableBox label="Readers">
          <table class="readers">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">{several ? input.course.name : "Course"}</th>
                <th scope="col">Signed up</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr data-reader={r.id}>
                  <td>
                    <a href={courseHref(nav, `/admin/readers/${encodeURIComponent(r.id)}`)}>{r.email}</a>
                  </td>
                  <td>{r.name ?? ""}</td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>
                    {r.enrollment_status
                      ? `${r.enrollment_status}${r.enrollment_status === "active" || r.enrollment_status === "paused" ? `, next ${nextLabel(input.course, r.next_slug)}` : ""}`
                      : "—"}
                  </td>
                  <td>{formatAt(r.created_at, input.zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      <nav class="pager" aria-label="Pages">
        {page.prev ? (
          <a rel="prev" href={listUrl(nav, { q, status, before: page.prev })}>
            ← Newer
          </a>
        ) : null}
        {page.prev ? <a href={listUrl(nav, { q, status })}>Newest</a> : null}
        {page.next ? (
          <a rel="next" href={listUrl(nav, { q, status, cursor: page.next })}>
            Older →
          </a>
        ) : null}
      </nav>
    </>,
    { nav },
  );
}

/** Every course the reader is in, each with where they are; the page's own course is marked. */
function Enrollments(props: { enrollments: EnrollmentView[]; current: Course; nav: CourseNav; base: string }) {
  return (
    <section aria-labelledby="courses-h">
      <h2 id="courses-h">Courses</h2>
      <TableBox label="Courses">
        <table class="enrollments">
          <thead>
            <tr>
              <th scope="col">Course</th>
              <th scope="col">Status</th>
              <th scope="col">Next</th>
            </tr>
          </thead>
          <tbody>
            {props.enrollments.map(({ course, enrollment, next }) => (
              <tr data-enrollment={enrollment.course_slug}>
                <td>
                  {course === undefined ? (
                    <>
                      {enrollment.course_slug} <span class="hint">(no longer in content/)</span>
                    </>
                  ) : course.slug === props.current.slug ? (
                    <strong aria-current="true">{course.name}</strong>
                  ) : (
                    <a href={courseHref({ current: course, courses: props.nav.courses }, props.base)}>{course.name}</a>
                  )}
                </td>
                <td>
                  <StatusBadge status={enrollment.status} />
                </td>
                <td>{next?.sentence ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </section>
  );
}

/** Why the reader as a whole gets no course email: the words the page uses for each status. */
const READER_BLOCKS: Record<string, string> = {
  pending: "they have not confirmed their address",
  unsubscribed: "they unsubscribed from all email",
  bounced: "their address bounced",
  complained: "they marked an email as spam",
  deleted: "they were erased",
};

const ENROLLMENT_BLOCKS: Record<string, string> = {
  pending: "the course starts when they confirm their address",
  completed: "they finished the course",
  cancelled: "they left the course",
};

/**
 * The actions this page does not offer the reader, each with the reason: a button that is simply
 * missing (or greyed out) leaves the admin guessing whether the console is broken.
 */
export function unavailableActions(readerStatus: string, enrollmentStatus: string | undefined, canSend: boolean, canMove: boolean): string[] {
  const ofEnrollment = enrollmentStatus === undefined ? "they are not enrolled in this course" : (ENROLLMENT_BLOCKS[enrollmentStatus] ?? `the course is ${enrollmentStatus} for them`);
  const ofReader = readerStatus === "active" ? ofEnrollment : (READER_BLOCKS[readerStatus] ?? `the reader is ${readerStatus}`);
  const missing: string[] = [];
  if (!canSend) missing.push(`sending a lesson (${ofReader})`);
  if (!canMove) missing.push(`moving to another lesson (${ofEnrollment})`);
  if (enrollmentStatus !== "active" && enrollmentStatus !== "paused") missing.push(`pausing (${ofEnrollment})`);
  return missing;
}

function Unavailable(props: { reasons: string[] }) {
  if (props.reasons.length === 0) return null;
  return (
    <p class="hint" data-unavailable="">
      Not offered for this reader: {props.reasons.join("; ")}.
    </p>
  );
}

export function readerPage(input: {
  course: Course;
  nav: CourseNav;
  enrollments: EnrollmentView[];
  detail: ReaderDetail;
  timeline: TimelineEvent[];
  next: NextLesson;
  zone: string;
  message?: string | undefined;
}): Html {
  const { course, detail, zone, nav } = input;
  const { subscriber: s, enrollment } = detail;
  const base = `/admin/readers/${encodeURIComponent(s.id)}`;
  const several = nav.courses.length > 1;
  // Every action but "unsubscribe from all email" is on this course: the form says which.
  const courseField = <input type="hidden" name="course" value={course.slug} />;
  const canSend = s.status === "active" && enrollment !== undefined && enrollment.status !== "cancelled";
  const canMove = enrollment !== undefined && ["active", "paused", "completed"].includes(enrollment.status);
  const nextSlug = input.next.slug && input.next.slug !== GRADUATION_SLUG ? input.next.slug : null;
  return adminLayout(
    s.email,
    "readers",
    <>
      <p>
        <a href={courseHref(nav, "/admin/readers")}>← Readers</a>
      </p>
      <h1>{s.email}</h1>
      <Notice message={input.message} />
      <p class="next-lesson" data-next-lesson="">
        {several ? <>{course.name}: </> : null}
        {input.next.sentence}
      </p>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{s.name ?? "—"}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={s.status} />
          {enrollment ? (
            <>
              {several ? ` · ${course.name} ` : " · course "}
              <StatusBadge status={enrollment.status} />
            </>
          ) : null}
        </dd>
        <dt>Time zone</dt>
        <dd>{s.timezone}</dd>
        <dt>Signed up</dt>
        <dd>
          {formatAt(s.created_at, zone)} through “{s.consent_form}” (consent text {s.consent_text_version})
        </dd>
        <dt>Confirmed</dt>
        <dd>{formatAt(s.confirmed_at, zone)}</dd>
        <dt>Reader id</dt>
        <dd>
          <code>{s.id}</code>
        </dd>
        {enrollment ? (
          <>
            <dt>Enrollment id</dt>
            <dd>
              <code>{enrollment.id}</code>
            </dd>
          </>
        ) : null}
      </dl>

      {input.enrollments.length > 1 || (several && input.enrollments.length > 0) ? <Enrollments enrollments={input.enrollments} current={course} nav={nav} base={base} /> : null}

      <section aria-labelledby="actions-h" class="actions">
        <h2 id="actions-h">Actions{several ? ` in ${course.name}` : ""}</h2>
        {canSend ? (
          <ActionForm action={`${base}/send-lesson`} label="Send now">
            {courseField}
            <label for="send-lesson">Send a lesson now</label>
            <select id="send-lesson" name="lesson">
              <LessonOptions course={course} selected={nextSlug} />
            </select>
          </ActionForm>
        ) : null}
        {canMove ? (
          <ActionForm action={`${base}/move`} label="Move" secondary>
            {courseField}
            <label for="move-lesson">Make this their next lesson</label>
            <select id="move-lesson" name="lesson">
              <LessonOptions course={course} selected={nextSlug} />
            </select>
          </ActionForm>
        ) : null}
        {input.next.held ? (
          <>
            <ActionForm action={`${base}/retry-lesson`} label="Retry the held lesson">
              {courseField}
            </ActionForm>
            <ActionForm action={`${base}/skip-lesson`} label="Skip it" secondary>
              {courseField}
              <label for="skip-reason">Skip the held lesson, because</label>
              <input id="skip-reason" name="reason" required maxlength={500} />
            </ActionForm>
          </>
        ) : null}
        {enrollment?.status === "active" ? (
          <ActionForm action={`${base}/pause`} label="Pause the course for this reader" secondary>
            {courseField}
          </ActionForm>
        ) : null}
        {enrollment?.status === "paused" ? (
          <ActionForm action={`${base}/resume`} label="Resume" secondary>
            {courseField}
          </ActionForm>
        ) : null}
        {s.status !== "unsubscribed" && s.status !== "deleted" ? <ActionForm action={`${base}/unsubscribe`} label="Unsubscribe from all email" secondary /> : null}
        <Unavailable reasons={unavailableActions(s.status, enrollment?.status, canSend, canMove)} />
        <ActionForm action={`${base}/export`} label="Download their data (JSON)" secondary />
        <ActionForm action={`${base}/delete`} label="Erase this reader" danger>
          <label class="confirm">
            <input type="checkbox" name="confirm" value="yes" required /> Erase everything about {s.email}. This cannot be undone; only a hash of the address is kept so it is never mailed by
            accident.
          </label>
        </ActionForm>
      </section>

      <section aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <ol class="timeline">
          {input.timeline.map((e) => (
            <li class={`event ${e.kind}`} data-kind={e.kind}>
              <time datetime={new Date(e.at).toISOString()}>{formatAt(e.at, zone)}</time> {e.text}
            </li>
          ))}
        </ol>
      </section>
    </>,
    { nav },
  );
}
