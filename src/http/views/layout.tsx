/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import { tracksClicks } from "../../content/schema.ts";
import type { Course } from "../../content/schema.ts";
import type { AssetName } from "../assets.ts";
import { Document } from "./document.tsx";
import type { Html } from "./document.tsx";

export interface LayoutOptions {
  scripts?: AssetName[];
  /** The course the page speaks for: its publisher, postal address and privacy note make the footer. */
  course?: Course | undefined;
  /** Other courses the page speaks for too (a confirmation of several): their publishers join the footer. */
  courses?: readonly Course[] | undefined;
}

/** Every public page: the document shell around one <main>, and the footer of the courses it speaks for. */
export function layout(title: string, body: Child, options: LayoutOptions = {}): Html {
  const courses = publishersOf([...(options.course ? [options.course] : []), ...(options.courses ?? [])]);
  return (
    <Document title={title} stylesheets={["app.css"]} scripts={options.scripts}>
      <main>{body}</main>
      {courses.length ? <CourseFooter courses={courses} /> : null}
    </Document>
  );
}

/** One course per publisher (by name and address), in order: a footer names each publisher once. */
function publishersOf(courses: readonly Course[]): Course[] {
  const seen = new Set<string>();
  return courses.filter((course) => {
    const key = `${course.publisher}\n${course.postalAddress}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Said when course.yaml has no `privacy`: what this service keeps about a reader, and why. It must
 * stay true of the code: the consent record (time, address, browser, form) is kept as proof of the
 * opt-in, and the sends ledger is what lets each email go out exactly once.
 */
export function defaultPrivacyNote(course: Pick<Course, "publisher">): string {
  return (
    `${course.publisher} keeps your email address, your first name if you gave one, and your time zone, to send each lesson at a sensible hour in your day; ` +
    "a record of your consent (when you signed up and confirmed, with the network address and browser used), as proof that you asked for these emails; " +
    "and a log of what was sent to you and when, so that no email goes out twice. " +
    "None of it is sold, or shared with anyone but the service that delivers the emails. You can leave in one click from any email, and download or delete all of it from your preferences page."
  );
}

/**
 * Said after the privacy note, the publisher's own or the default, of a course that records clicks
 * (course.yaml `tracking: { clicks: true }`): a reader is told before they sign up. It must stay true
 * of src/commands/click.ts and src/render/compose.ts.
 */
export function clickTrackingNote(course: Pick<Course, "publisher">): string {
  return (
    `The links in this course's lessons and newsletters pass through this site first, which records the first time you follow each link of each email, so that ${course.publisher} can see which links readers find useful. ` +
    "No tracking image is added to the emails."
  );
}

/**
 * The publisher behind the page, as a reader (and the law on commercial email) expects: who they
 * are, where to write to them, and what is kept about a reader. The publisher, never the software.
 */
function CourseFooter(props: { courses: readonly Course[] }) {
  return (
    <footer class="site-footer" aria-label={props.courses.length > 1 ? "About the publishers" : "About the publisher"}>
      {props.courses.map((course) => (
        <div data-publisher-of={course.slug}>
          <p>
            <strong data-footer-publisher>{course.publisher}</strong>
            <br />
            <span data-postal-address>{course.postalAddress}</span>
          </p>
          <p class="privacy" data-privacy>
            <strong>Privacy.</strong> {course.privacy ?? defaultPrivacyNote(course)}
            {tracksClicks(course) ? <> {clickTrackingNote(course)}</> : null}
          </p>
        </div>
      ))}
    </footer>
  );
}

/**
 * An email address field with its label and, when the form came back with a problem, the alert
 * that explains it (tied to the field, so a screen reader reads it with the field).
 */
export function EmailField(props: { label: string; value: string | undefined; error: string | undefined; errorId: string }) {
  return (
    <>
      {props.error ? (
        <p class="error" role="alert" id={props.errorId}>
          {props.error}
        </p>
      ) : null}
      <label for="email">{props.label}</label>
      <input
        id="email"
        name="email"
        type="email"
        required
        autocomplete="email"
        maxlength={254}
        value={props.value ?? ""}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={props.error ? props.errorId : undefined}
      />
    </>
  );
}
