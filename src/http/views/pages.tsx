/** @jsxImportSource hono/jsx */
import type { Course } from "../../content/schema.ts";
import { TURNSTILE_SCRIPT } from "../page-csp.ts";
import { EmailField, layout } from "./layout.tsx";

function when(day: number): string {
  if (day === 0) return "right after you confirm";
  if (day % 7 === 0) return `week ${day / 7 + 1}`;
  return `day ${day + 1}`;
}

/**
 * `turnstileSiteKey` adds Cloudflare's widget, which puts its token in the form as
 * `cf-turnstile-response`; the route sends the CSP that lets its script and frame load.
 * `checkError` is a refusal of that check, said above the button rather than on the address field.
 */
export function signupPage(course: Course, options: { error?: string; checkError?: string; email?: string; name?: string; turnstileSiteKey?: string | undefined } = {}) {
  return layout(
    course.name,
    <>
      <h1>{course.name}</h1>
      <p class="lead">{course.description}</p>
      <form class="card" method="post" action="/subscribe" aria-labelledby="signup-heading">
        <h2 id="signup-heading">Get the course by email</h2>
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
    { scripts: ["signup.js"] },
  );
}

export function checkInboxPage(course: Course) {
  return layout(
    "Check your inbox",
    <>
      <h1>Check your inbox</h1>
      <p class="lead">If that address can receive {course.name}, a confirmation link is on its way. Open it to get your first lesson.</p>
      <p class="hint">Nothing there after a few minutes? Look in your spam folder. You can ask for a new link in ten minutes.</p>
    </>,
  );
}

/**
 * One step for most readers: confirm.js posts the form as soon as the page is shown, so opening the
 * link is enough. Link scanners that only GET never run it, so they confirm no one; readers without
 * scripts press the button, which stays.
 */
export function confirmPage(course: Course, actionPath: string) {
  return layout(
    "Confirm your subscription",
    <>
      <h1>One more step</h1>
      <p class="lead">
        Confirm that you want to receive <strong>{course.name}</strong> by email.
      </p>
      <form class="card" method="post" action={actionPath}>
        <button type="submit">Confirm my subscription</button>
      </form>
    </>,
    { scripts: ["confirm.js"] },
  );
}

export function confirmedPage(course: Course, alreadyConfirmed: boolean) {
  return layout(
    "You're in",
    <>
      <h1>{alreadyConfirmed ? "You're already confirmed" : "You're in"}</h1>
      <p class="lead">{alreadyConfirmed ? `Your subscription to ${course.name} was already confirmed.` : `Lesson 1 of ${course.name} is on its way to your inbox.`}</p>
    </>,
  );
}

export function errorPage(title: string, message: string) {
  return layout(
    title,
    <>
      <h1>{title}</h1>
      <p class="lead">{message}</p>
      <p>
        <a href="/">Back to the course page</a>
      </p>
    </>,
  );
}
