/** @jsxImportSource hono/jsx */
import type { CourseStanding } from "../../commands/preferences.ts";
import type { Course } from "../../content/schema.ts";
import type { Subscriber } from "../../store/subscribers.ts";
import { EmailField, layout } from "./layout.tsx";

/** Pages a reader reaches from the links in their emails: leave, undo, manage, delete. */

export function unsubscribeChoicesPage(course: Course | undefined, token: string) {
  return layout(
    "Unsubscribe",
    <>
      <h1>Unsubscribe</h1>
      <p class="lead">What would you like to stop?</p>
      {course ? (
        <form class="card" method="post" action={`/unsubscribe/${token}`}>
          <input type="hidden" name="scope" value="course" />
          <input type="hidden" name="course" value={course.slug} />
          <p>
            <strong>Stop {course.name}.</strong> No more lessons of {course.name}. Anything else you get from {course.publisher} goes on.
          </p>
          <button type="submit" class="secondary">
            Stop this course
          </button>
        </form>
      ) : null}
      <form class="card" method="post" action={`/unsubscribe/${token}`}>
        <input type="hidden" name="scope" value="all" />
        <p>
          <strong>Stop all email.</strong> Nothing more from us, ever, unless you sign up again.
        </p>
        <button type="submit">Stop all email</button>
      </form>
      <p class="hint">
        {course ? "Rather take a break, leave another course or change when lessons arrive?" : "Rather leave just one course, take a break or change when lessons arrive?"} Use the{" "}
        <em>Email preferences</em> link at the bottom of any of our emails, or <a href="/preferences/new-link">have a fresh one sent to you</a>.
      </p>
    </>,
    { course },
  );
}

/** `undoToken` is null when this unsubscribe changed nothing: there is nothing of theirs to undo. */
export function unsubscribedPage(undoToken: string | null, scope: "all" | "course", course: Course | undefined) {
  const oneCourse = scope === "course" && course !== undefined;
  return layout(
    oneCourse ? "Course stopped" : "You're unsubscribed",
    <>
      <h1>{oneCourse ? "Course stopped" : "You're unsubscribed"}</h1>
      <p class="lead">{oneCourse ? `You won't get more lessons of ${course.name}. Any other course you're in goes on.` : "You won't get any more email from us."}</p>
      {undoToken ? (
        <form class="card" method="post" action={`/unsubscribe/${undoToken}/undo`}>
          <p>Clicked by mistake?</p>
          <button type="submit" class="secondary">
            {oneCourse ? `Undo, keep ${course.name}` : "Undo, keep me subscribed"}
          </button>
        </form>
      ) : null}
    </>,
    { course },
  );
}

/** `course`: the undo gave back one course; without it, the reader's subscription as a whole. */
export function resubscribedPage(course: Course | undefined) {
  return layout(
    "Welcome back",
    <>
      <h1>Welcome back</h1>
      <p class="lead">{course ? `${course.name} picks up where you left off.` : "You're subscribed again. Your lessons pick up where you left off."}</p>
    </>,
    { course },
  );
}

const dateOf = (at: number) => new Date(at).toUTCString();

function standingText(standing: CourseStanding, subscriber: Subscriber): string {
  if (!standing.course) return "This course is no longer offered.";
  switch (standing.status) {
    case "pending":
      return "Starts as soon as you confirm your address.";
    case "paused":
      return `Paused${standing.pausedUntil ? ` until ${dateOf(standing.pausedUntil)}` : ""}.`;
    case "completed":
      return "You graduated: every lesson has been sent.";
    case "cancelled":
      return subscriber.status === "active" ? "You left this course." : "Stopped.";
    case "active":
      if (standing.next?.kind === "lesson") return `Next: lesson ${standing.next.number}, ${standing.next.title}.`;
      if (standing.next?.kind === "graduation") return "Next: the graduation email, with every lesson in one place.";
      return "You're receiving this course.";
  }
}

/**
 * Why a course the reader is in offers no "Pause for a week", when it offers none: the button is
 * left out rather than shown and refused, and this sentence takes its place.
 */
function noPauseReason(standing: CourseStanding, subscriber: Subscriber): string | undefined {
  if (!standing.course || standing.canPause || standing.canResume) return undefined;
  if (subscriber.status === "unsubscribed") return "Nothing to pause: you're unsubscribed from all email.";
  if (subscriber.status === "pending" || standing.status === "pending") return "You can pause once you've confirmed your address.";
  if (standing.status === "completed") return "Nothing to pause: every lesson of this course has been sent.";
  if (standing.status === "cancelled") return "Nothing to pause: you left this course.";
  return undefined;
}

function CourseCard(props: { token: string; standing: CourseStanding; subscriber: Subscriber }) {
  const { token, standing, subscriber } = props;
  const id = `course-${standing.slug}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h3 id={id}>{standing.name}</h3>
      <p>{standingText(standing, subscriber)}</p>
      <h4>Lessons you've had</h4>
      {standing.sentLessons.length ? (
        <ol>
          {standing.sentLessons.map((lesson) => (
            <li value={lesson.number}>
              <a href={lesson.webVersionUrl}>{lesson.title}</a>
            </li>
          ))}
        </ol>
      ) : (
        <p class="hint">None yet. Each lesson shows up here once it has been sent, to read again in your browser.</p>
      )}
      {standing.canResume ? (
        <form method="post" action={`/preferences/${token}/resume`}>
          <input type="hidden" name="course" value={standing.slug} />
          <button type="submit">Resume lessons now</button>
        </form>
      ) : null}
      {standing.canPause ? (
        <form method="post" action={`/preferences/${token}/pause`}>
          <input type="hidden" name="course" value={standing.slug} />
          <p class="hint">Pause this course for a week. It starts again by itself; your other courses go on.</p>
          <button type="submit" class="secondary">
            Pause for a week
          </button>
        </form>
      ) : null}
      {noPauseReason(standing, subscriber) ? <p class="hint">{noPauseReason(standing, subscriber)}</p> : null}
      {standing.canLeave ? (
        <form method="post" action={`/preferences/${token}/leave`}>
          <input type="hidden" name="course" value={standing.slug} />
          <button type="submit" class="secondary">
            Leave {standing.name}
          </button>
        </form>
      ) : null}
    </section>
  );
}

export function preferencesPage(token: string, unsubscribeToken: string, subscriber: Subscriber, state: { courses: readonly CourseStanding[]; message?: string | undefined }, zones: readonly string[]) {
  const status =
    subscriber.status === "active"
      ? "You're subscribed."
      : subscriber.status === "unsubscribed"
        ? "You're unsubscribed from all email."
        : subscriber.status === "pending"
          ? "You haven't confirmed your address yet."
          : `Status: ${subscriber.status}.`;
  const offered = state.courses.flatMap((standing) => (standing.course ? [standing.course] : []));
  // The page speaks for the reader's course when they have one; with several, for none in particular.
  const only = offered.length === 1 ? offered[0] : undefined;
  const hours = offered.map((course) => `${course.name} at ${String(course.schedule.sendHour).padStart(2, "0")}:00`);
  return layout(
    "Your preferences",
    <>
      <h1>Your preferences</h1>
      {state.message ? (
        <p class="card" role="status">
          {state.message}
        </p>
      ) : null}
      <p class="lead">{subscriber.email}</p>
      <p>{status}</p>

      <h2>Your courses</h2>
      {state.courses.length ? (
        state.courses.map((standing) => <CourseCard token={token} standing={standing} subscriber={subscriber} />)
      ) : (
        <p class="hint">You're not in any course yet.</p>
      )}

      <h2>When lessons arrive</h2>
      <form class="card" method="post" action={`/preferences/${token}/timezone`}>
        <label for="timezone">Your time zone</label>
        <select id="timezone" name="timezone">
          {zones.map((zone) => (
            <option value={zone} selected={zone === subscriber.timezone}>
              {zone}
            </option>
          ))}
        </select>
        {hours.length ? <p class="hint">Lessons arrive in this time zone: {hours.join("; ")}.</p> : null}
        <button type="submit" class="secondary">
          Save time zone
        </button>
      </form>

      <h2>Your data</h2>
      <p>
        <a href={`/preferences/${token}/data.json`} download>
          Download everything we hold about you (JSON)
        </a>
      </p>
      <form class="card" method="post" action={`/preferences/${token}/delete`}>
        <p>
          <strong>Delete me.</strong> Erases your address, name and history for good. We keep only a one-way fingerprint of your address so we never email it again by accident.
        </p>
        <label>
          <input type="checkbox" name="confirm" value="yes" required /> Yes, delete my data
        </label>
        <button type="submit">Delete my data</button>
      </form>
      <p class="hint">
        <a href={`/unsubscribe/${unsubscribeToken}`}>Unsubscribe from all email instead</a>
      </p>
    </>,
    { course: only },
  );
}

/** "Join <next course>": the offer a graduation email links to. Showing it changes nothing; only its button joins. */
export function joinOfferPage(token: string, offer: { course: Course; from: Course; already: "in" | "done" | null }) {
  const { course, from, already } = offer;
  return layout(
    `Join ${course.name}`,
    <>
      <h1>Join {course.name}</h1>
      <p class="lead">{course.description}</p>
      {already ? (
        <p class="card" role="status">
          {already === "in" ? `You're already in ${course.name}. Its lessons keep coming by email, nothing to do.` : `You've already taken ${course.name} to the end.`}
        </p>
      ) : (
        <form class="card" method="post" action={`/join/${token}`}>
          <p>
            You finished {from.name}. {course.name} is next: lesson 1 arrives right away, then the rest on {`${course.publisher}'s`} schedule. You can leave it at any time from the
            link at the bottom of every lesson.
          </p>
          <button type="submit">Join {course.name}</button>
        </form>
      )}
    </>,
    { course },
  );
}

export function joinedPage(course: Course, already: "in" | "done" | null) {
  const title = already === null ? "You're in" : already === "in" ? "You're already in" : "Already taken";
  return layout(
    title,
    <>
      <h1>{title}</h1>
      <p class="lead">
        {already === null
          ? `Welcome to ${course.name}. Lesson 1 is on its way to your inbox.`
          : already === "in"
            ? `You're already in ${course.name}; nothing changes. Your lessons keep coming as planned.`
            : `You've already taken ${course.name} to the end; nothing changes.`}
      </p>
    </>,
    { course },
  );
}

export function deletedPage() {
  return layout(
    "Deleted",
    <>
      <h1>Your data is deleted</h1>
      <p class="lead">We erased your address, name and history. You won't hear from us again.</p>
    </>,
  );
}

/** The 429 page; `of` names what was limited, so a reader asking for a link isn't told about signups. */
export function tooManyPage(retryAfterSeconds: number, of: "signups" | "link-requests" = "signups") {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  const wait = `Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  return layout(
    "Too many attempts",
    <>
      <h1>Too many attempts</h1>
      {of === "signups" ? (
        <p class="lead">We've had a lot of signups from here in a short time. {wait}</p>
      ) : (
        <>
          <p class="lead">We've had a lot of requests for a preferences link, from here or for this address, in a short time. {wait}</p>
          <p>If the address is on our list, a link may already be on its way: check your inbox and spam folder first.</p>
        </>
      )}
    </>,
  );
}

/**
 * Where an expired, mistyped or wrong preferences link lands (the unsubscribe link from an email
 * header cannot open the reader's data): a form to have a fresh link emailed.
 */
export function freshLinkPage(options: { heading: string; message: string; error?: string; email?: string }) {
  return layout(
    options.heading,
    <>
      <h1>{options.heading}</h1>
      <p class="lead">{options.message}</p>
      <form class="card" method="post" action="/preferences/new-link">
        <EmailField label="Your email address" value={options.email} error={options.error} errorId="link-error" />
        <button type="submit">Email me a fresh link</button>
        <p class="hint">The link goes only to that inbox, and works for 30 days.</p>
      </form>
    </>,
  );
}

export function freshLinkSentPage() {
  return layout(
    "Check your inbox",
    <>
      <h1>Check your inbox</h1>
      <p class="lead">If this address gets email from us, a fresh link to your preferences is on its way. It works for 30 days.</p>
    </>,
  );
}
