/** @jsxImportSource hono/jsx */
import type { SentLessonLink } from "../../commands/preferences.ts";
import type { Course } from "../../content/schema.ts";
import type { Subscriber } from "../../store/subscribers.ts";
import { EmailField, layout } from "./layout.tsx";

/** Pages a reader reaches from the links in their emails: leave, undo, manage, delete. */

export function unsubscribeChoicesPage(course: Course, token: string) {
  return layout(
    "Unsubscribe",
    <>
      <h1>Unsubscribe</h1>
      <p class="lead">What would you like to stop?</p>
      <form class="card" method="post" action={`/unsubscribe/${token}`}>
        <input type="hidden" name="scope" value="course" />
        <p>
          <strong>Stop this course.</strong> No more lessons of {course.name}. You may still get the occasional newsletter.
        </p>
        <button type="submit" class="secondary">
          Stop this course
        </button>
      </form>
      <form class="card" method="post" action={`/unsubscribe/${token}`}>
        <input type="hidden" name="scope" value="all" />
        <p>
          <strong>Stop all email.</strong> Nothing more from us, ever, unless you sign up again.
        </p>
        <button type="submit">Stop all email</button>
      </form>
      <p class="hint">
        Rather take a break or change when lessons arrive? Use the <em>Email preferences</em> link at the bottom of any of our emails, or{" "}
        <a href="/preferences/new-link">have a fresh one sent to you</a>.
      </p>
    </>,
  );
}

/** `undoToken` is null when this unsubscribe changed nothing: there is nothing of theirs to undo. */
export function unsubscribedPage(undoToken: string | null, scope: "all" | "course", course: Course) {
  return layout(
    "You're unsubscribed",
    <>
      <h1>{scope === "all" ? "You're unsubscribed" : "Course stopped"}</h1>
      <p class="lead">{scope === "all" ? "You won't get any more email from us." : `You won't get more lessons of ${course.name}.`}</p>
      {undoToken ? (
        <form class="card" method="post" action={`/unsubscribe/${undoToken}/undo`}>
          <p>Clicked by mistake?</p>
          <button type="submit" class="secondary">
            Undo, keep me subscribed
          </button>
        </form>
      ) : null}
    </>,
  );
}

export function resubscribedPage(course: Course) {
  return layout(
    "Welcome back",
    <>
      <h1>Welcome back</h1>
      <p class="lead">You're subscribed again. {course.name} picks up where you left off.</p>
    </>,
  );
}

export function preferencesPage(
  course: Course,
  token: string,
  unsubscribeToken: string,
  subscriber: Subscriber,
  state: { paused: boolean; pausedUntil: number | null; enrolled: boolean; sentLessons?: readonly SentLessonLink[]; message?: string | undefined },
  zones: readonly string[],
) {
  const status =
    subscriber.status === "active"
      ? state.paused
        ? `Lessons are paused${state.pausedUntil ? ` until ${new Date(state.pausedUntil).toUTCString()}` : ""}.`
        : state.enrolled
          ? "You're receiving the course."
          : "You're subscribed; the course is finished or stopped."
      : subscriber.status === "unsubscribed"
        ? "You're unsubscribed from all email."
        : `Status: ${subscriber.status}.`;
  return layout(
    "Your preferences",
    <>
      <h1>Your preferences</h1>
      {state.message ? (
        <p class="card" role="status">
          {state.message}
        </p>
      ) : null}
      <p class="lead">
        {subscriber.email} · {course.name}
      </p>
      <p>{status}</p>

      <h2>Lessons you've had</h2>
      {state.sentLessons?.length ? (
        <ol>
          {state.sentLessons.map((lesson) => (
            <li value={lesson.number}>
              <a href={lesson.webVersionUrl}>{lesson.title}</a>
            </li>
          ))}
        </ol>
      ) : (
        <p class="hint">None yet. Each lesson shows up here once it has been sent, to read again in your browser.</p>
      )}

      <h2>Take a break</h2>
      {state.paused ? (
        <form class="card" method="post" action={`/preferences/${token}/resume`}>
          <button type="submit">Resume lessons now</button>
        </form>
      ) : (
        <form class="card" method="post" action={`/preferences/${token}/pause`}>
          <p>Pause lessons for a week. They start again by themselves.</p>
          <button type="submit" class="secondary" disabled={!(state.enrolled && subscriber.status === "active")}>
            Pause for a week
          </button>
        </form>
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
        <p class="hint">Lessons arrive at {String(course.schedule.sendHour).padStart(2, "0")}:00 in this time zone.</p>
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
        <a href={`/unsubscribe/${unsubscribeToken}`}>Unsubscribe instead</a>
      </p>
    </>,
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
