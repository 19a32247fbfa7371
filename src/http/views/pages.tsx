/** @jsxImportSource hono/jsx */
import { DateTime } from "luxon";
import type { Course } from "../../content/schema.ts";
import { GRADUATION_SLUG } from "../../domain/course-plan.ts";
import { TURNSTILE_SCRIPT } from "../page-csp.ts";
import { EmailField, layout } from "./layout.tsx";

function when(day: number): string {
  if (day === 0) return "right after you confirm";
  if (day % 7 === 0) return `week ${day / 7 + 1}`;
  return `day ${day + 1}`;
}

export interface SignupFormOptions {
  /** A problem with the address (or another field), said on the address field. */
  error?: string | undefined;
  /** A refusal of the bot check, said above the button rather than on the address field. */
  checkError?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  turnstileSiteKey?: string | undefined;
}

/**
 * The form's fields. With `course` it is that course's form (the course rides along hidden); with
 * `choices` the reader picks the course (the form came back because it named none, or none known).
 * `turnstileSiteKey` adds Cloudflare's widget, which puts its token in the form as
 * `cf-turnstile-response`; the route sends the CSP that lets its script and frame load.
 */
function SignupForm(props: { course?: Course | undefined; choices?: readonly Course[] | undefined; courseError?: string | undefined; options: SignupFormOptions }) {
  const { options } = props;
  return (
    <form class="card" method="post" action="/subscribe" aria-labelledby="signup-heading">
      <h2 id="signup-heading">Get the course by email</h2>
      {props.course ? <input type="hidden" name="course" value={props.course.slug} /> : null}
      {props.choices ? (
        <>
          {props.courseError ? (
            <p class="error" role="alert" id="course-error">
              {props.courseError}
            </p>
          ) : null}
          <label for="course">Course</label>
          <select id="course" name="course" required aria-invalid={props.courseError ? "true" : undefined} aria-describedby={props.courseError ? "course-error" : undefined}>
            <option value="">Choose a course</option>
            {props.choices.map((course) => (
              <option value={course.slug}>{course.name}</option>
            ))}
          </select>
        </>
      ) : null}
      <EmailField label="Email address" value={options.email} error={options.error} errorId="signup-error" />
      <label for="name">
        First name <span class="hint">(optional)</span>
      </label>
      <input id="name" name="name" type="text" autocomplete="given-name" maxlength={100} value={options.name ?? ""} />
      <input type="hidden" name="timezone" value="" />
      <div class="hp" aria-hidden="true">
        <label for="website">Leave this empty</label>
        <input id="website" name="website" type="text" tabindex={-1} autocomplete="off" />
      </div>
      {options.turnstileSiteKey ? (
        <>
          <div class="cf-turnstile" data-sitekey={options.turnstileSiteKey}></div>
          <script src={TURNSTILE_SCRIPT} async defer></script>
        </>
      ) : null}
      {options.checkError ? (
        <p class="error" role="alert" id="signup-check-error">
          {options.checkError}
        </p>
      ) : null}
      <button type="submit">Send me lesson 1</button>
      <p class="hint">We'll email you a link to confirm. One lesson at a time, and you can leave with one click.</p>
    </form>
  );
}

/** A course's own page (`/courses/<slug>`, and `/` when it is the only course): what it is, its form, its lessons. */
export function signupPage(course: Course, options: SignupFormOptions = {}) {
  return layout(
    course.name,
    <>
      <h1>{course.name}</h1>
      <p class="lead">{course.description}</p>
      <p class="hint">
        From <span data-publisher>{course.publisher}</span>
      </p>
      <SignupForm course={course} options={options} />
      <h2>What you'll get</h2>
      <ol class="lessons">
        {course.lessons.map((lesson) => (
          <li>
            <strong>{lesson.title}</strong>{" "}
            <span class="when">
              — {when(lesson.day)}, {lesson.readingMinutes} min read
            </span>
            <br />
            <span class="hint">
              by {lesson.author}, {lesson.source.name}
            </span>
          </li>
        ))}
      </ol>
    </>,
    { scripts: ["signup.js"], course },
  );
}

/** The one publisher of every course here, if they share one: the catalogue page then speaks for them. */
function soleCourseOfPublisher(courses: readonly Course[]): Course | undefined {
  const first = courses[0];
  return first && courses.every((course) => course.publisher === first.publisher) ? first : undefined;
}

function lessonCount(course: Course): string {
  return course.lessons.length === 1 ? "1 lesson" : `${course.lessons.length} lessons`;
}

/** `/` when the install has several courses: each with what it is, who publishes it, and a link to its page. */
export function cataloguePage(courses: readonly Course[]) {
  const sole = soleCourseOfPublisher(courses);
  const title = sole ? `Courses from ${sole.publisher}` : "Courses by email";
  return layout(
    title,
    <>
      <h1>{title}</h1>
      <p class="lead">Short courses that arrive by email, one lesson at a time. Pick one to see its lessons and sign up.</p>
      <ul class="courses">
        {courses.map((course) => (
          <li class="card" data-course={course.slug}>
            <h2>
              <a href={`/courses/${course.slug}`}>{course.name}</a>
            </h2>
            <p>{course.description}</p>
            <p class="hint">
              From <span data-publisher>{course.publisher}</span> · <span data-lessons>{lessonCount(course)}</span>
            </p>
          </li>
        ))}
      </ul>
    </>,
    { course: sole },
  );
}

/**
 * The form again when a signup could not tell which course it was for (no `course` with several
 * courses here, or a slug that names none): the reader picks one, and keeps what they typed.
 */
export function courseChoicePage(courses: readonly Course[], courseError: string, options: SignupFormOptions = {}) {
  return layout(
    "Choose a course",
    <>
      <h1>Choose a course</h1>
      <p class="lead">Which course would you like by email?</p>
      <SignupForm choices={courses} courseError={courseError} options={options} />
    </>,
    { scripts: ["signup.js"], course: soleCourseOfPublisher(courses) },
  );
}

/**
 * The answer to every accepted signup, whoever the address belongs to, so it must be true for all:
 * a new or unconfirmed address gets a link to confirm, an address already confirmed with us gets
 * lesson 1 of the course at once, one already taking it gets nothing new, and one that may not be
 * mailed gets nothing. The page says each case without saying which one this was.
 */
export function checkInboxPage(course: Course) {
  return layout(
    "Check your inbox",
    <>
      <h1>Check your inbox</h1>
      <p class="lead">
        If that address can receive email from us, we've sent it a link to confirm it, or, if it's already confirmed with us, the first lesson of <strong>{course.name}</strong>.
      </p>
      <p class="hint">Already taking {course.name}? Then nothing new is on its way: your lessons continue as before.</p>
      <p class="hint">Nothing there after a few minutes? Look in your spam folder. You can ask for a new link in ten minutes.</p>
    </>,
    { course },
  );
}

/** "A", "A and B", "A, B and C". */
function namesOf(courses: readonly Course[]): string {
  const names = courses.map((course) => course.name);
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * One step for most readers: confirm.js posts the form as soon as the page is shown, so opening the
 * link is enough. Link scanners that only GET never run it, so they confirm no one; readers without
 * scripts press the button, which stays. `courses`: what confirming starts (none: nothing waiting).
 */
export function confirmPage(courses: readonly Course[], actionPath: string) {
  return layout(
    "Confirm your subscription",
    <>
      <h1>One more step</h1>
      <p class="lead">
        {courses.length ? (
          <>
            Confirm that you want to receive <strong>{namesOf(courses)}</strong> by email.
          </>
        ) : (
          "Confirm your email address."
        )}
      </p>
      <form class="card" method="post" action={actionPath}>
        <button type="submit">Confirm my subscription</button>
      </form>
    </>,
    { scripts: ["confirm.js"], courses },
  );
}

/** What the "you're in" page needs: the confirm command's answer. */
export interface ConfirmedView {
  alreadyConfirmed: boolean;
  courses: readonly { course: Course; arriving: string | null; next: { slug: string; at: number } | null }[];
  timezone: string;
  now: number;
}

/** "lesson 2, “Keep Going”," as the subject of a sentence (the title set off by commas), or "the closing email". */
function emailName(course: Course, slug: string): string {
  if (slug === GRADUATION_SLUG) return "the closing email";
  const index = course.lessons.findIndex((lesson) => lesson.slug === slug);
  return index === -1 ? "the next lesson" : `lesson ${index + 1}, “${course.lessons[index]!.title}”,`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Tuesday 3 November at 07:00 (Europe/Paris)": in the reader's own zone, as the schedule sends it. */
function whenAt(at: number, zone: string): string {
  const time = DateTime.fromMillis(at, { zone });
  const local = time.isValid ? time : DateTime.fromMillis(at, { zone: "UTC" });
  return `${local.setLocale("en-GB").toFormat("cccc d LLLL 'at' HH:mm")} (${local.zoneName})`;
}

/** One course's line: what is on its way now, and when the next email comes. */
function CourseUnderwayLine(props: { item: ConfirmedView["courses"][number]; view: ConfirmedView }) {
  const { item, view } = props;
  const { course, arriving, next } = item;
  const dueNow = next !== null && next.at <= view.now;
  const now = arriving ?? (dueNow ? next.slug : null);
  const later = next !== null && !dueNow ? next : null;
  return (
    <li data-course={course.slug}>
      <strong>{course.name}</strong>
      {now ? `: ${capitalised(emailName(course, now))} is on its way to your inbox.` : ":"}
      {later ? (
        <>
          {" "}
          {now ? `The next one, ${emailName(course, later.slug).replace(/,$/, "")},` : capitalised(emailName(course, later.slug))} comes on <time datetime={new Date(later.at).toISOString()}>{whenAt(later.at, view.timezone)}</time>.
        </>
      ) : null}
      {!now && !later ? " nothing more is scheduled." : null}
    </li>
  );
}

export function confirmedPage(view: ConfirmedView) {
  const courses = view.courses.map((item) => item.course);
  return layout(
    "You're in",
    <>
      <h1>{view.alreadyConfirmed ? "You're already confirmed" : "You're in"}</h1>
      <p class="lead">
        {view.alreadyConfirmed ? "Your address was already confirmed" : "Your address is confirmed"}
        {courses.length ? (
          <>
            {" "}
            for <strong>{namesOf(courses)}</strong>.
          </>
        ) : (
          "."
        )}
      </p>
      {view.courses.length ? (
        <ul class="underway">
          {view.courses.map((item) => (
            <CourseUnderwayLine item={item} view={view} />
          ))}
        </ul>
      ) : null}
      <p class="hint">Each lesson comes at the course's usual hour in your time zone. Every email has a link to pause or leave.</p>
    </>,
    { courses },
  );
}

export function errorPage(title: string, message: string) {
  return layout(
    title,
    <>
      <h1>{title}</h1>
      <p class="lead">{message}</p>
      <p>
        <a href="/">Back to the front page</a>
      </p>
    </>,
  );
}
