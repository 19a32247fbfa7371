import type { Course, Lesson } from "../../src/content/schema.ts";

/**
 * Wording shared by the HTML and plain-text parts, so the two never drift apart.
 * Plain strings only: React escapes them in HTML, and the text part uses them as-is.
 */

/**
 * The slice of a course the templates need; the full `Course` satisfies it. Every email speaks for
 * its own course: its publisher, footer line and postal address, never the software's name.
 */
export type EmailCourse = Pick<Course, "slug" | "name" | "description" | "sender" | "postalAddress" | "publisher" | "footer">;

/** The slice of a lesson the lesson template needs. */
export type EmailLesson = Pick<
  Lesson,
  "number" | "title" | "subject" | "preview" | "author" | "source" | "credit" | "markdown" | "readingMinutes"
>;

const MAX_NAME_LENGTH = 64;

/** C0/C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates, BOM. */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Recipient names come from a public signup form. React escapes them in HTML, but the name also
 * lands in the text part and must never carry line breaks (header-injection shapes like
 * "\r\nBcc: x@y") or bidi overrides that disguise text. Returns null when nothing usable is left.
 */
export function cleanName(name: string | null | undefined): string | null {
  if (!name) return null;
  const cleaned = name.replace(UNSAFE_CHARS, " ").replace(/\s+/g, " ").trim();
  if (cleaned === "") return null;
  // Count code points, not UTF-16 units, so truncation never splits an emoji into garbage.
  const chars = Array.from(cleaned);
  return chars.length <= MAX_NAME_LENGTH
    ? cleaned
    : `${chars
        .slice(0, MAX_NAME_LENGTH - 1)
        .join("")
        .trimEnd()}…`;
}

/** Subjects become a mail header; a stray newline from content or an admin form must not split it. */
export function cleanSubject(subject: string): string {
  return subject.replace(UNSAFE_CHARS, " ").replace(/\s+/g, " ").trim();
}

export function greeting(name: string | null): string {
  return name ? `Hi ${name},` : "Hi there,";
}

export function lessonPosition(number: number, total: number): string {
  return `Lesson ${number} of ${total}`;
}

export function readingTime(minutes: number): string {
  return `${Math.max(1, Math.round(minutes))} min read`;
}

export function lessonMeta(lesson: EmailLesson, total: number): string {
  return `${lessonPosition(lesson.number, total)} · ${readingTime(lesson.readingMinutes)}`;
}

export function lessonsLabel(count: number): string {
  return count === 1 ? "1 lesson" : `${count} lessons`;
}

export function confirmSubject(course: EmailCourse): string {
  return cleanSubject(`Confirm your subscription to ${course.name}`);
}

export function confirmSentence(course: EmailCourse, lessonCount: number): string {
  return `Please confirm that you’d like to receive ${course.name}, a free ${lessonCount}-lesson email course from ${course.publisher}.`;
}

export const confirmButtonLabel = "Yes, send me the course";

export const confirmIgnoreNote =
  "If you didn’t sign up, just ignore this email and nothing will happen: you won’t be subscribed or hear from us again.";

export function lessonReason(course: EmailCourse): string {
  return `You’re receiving this because you signed up for ${course.name}, an email course from ${course.publisher}.`;
}

export function graduationReason(course: EmailCourse): string {
  return `You’re receiving this because you signed up for ${course.name}, an email course from ${course.publisher}. This is its last email.`;
}

export function newsletterReason(course: EmailCourse): string {
  return `You’re receiving this because you signed up for ${course.name} and agreed to hear from ${course.publisher}.`;
}

export function postalLines(course: EmailCourse): string[] {
  return course.postalAddress
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

export const unsubscribeLabel = "Unsubscribe";
export const preferencesLabel = "Email preferences";
export const webVersionLabel = "View in your browser";

export function creditText(lesson: EmailLesson): string {
  const source = lesson.source.url ? `${lesson.source.name} (${lesson.source.url})` : lesson.source.name;
  return `Written by ${lesson.author}. Originally published on ${source}.`;
}

export function graduationTitle(name: string | null): string {
  return name ? `You made it to the end, ${name}.` : "You made it to the end.";
}

export function graduationParagraphs(course: EmailCourse, lessonCount: number): string[] {
  const paragraphs = [
    `That was the last of the ${lessonsLabel(lessonCount)} in ${course.name}. Thank you for making room for them in your inbox, and in your week.`,
    "Ideas like these take a while to settle. If one of them stayed with you, it’s worth coming back to it once more, on a quiet day, and noticing what has changed since you first read it.",
  ];
  if (course.sender.replyTo)
    paragraphs.push(
      "If a lesson helped, reply to this email and say which one: your reply goes straight to the people who made the course.",
    );
  return paragraphs;
}

export const graduationRecapHeading = "The lessons, at a glance";

/** What the graduation email says about the course `next:` offers (course.yaml). */
export interface NextCourseOffer {
  name: string;
  description: string;
}

export const nextCourseHeading = "What comes next";

export function nextCourseSentence(next: NextCourseOffer): string {
  return `If you would like to keep going, the course that follows this one is ${next.name}. ${next.description} The button opens a page where you can join it with one click; nothing changes unless you do.`;
}

export function nextCourseButtonLabel(next: NextCourseOffer): string {
  return `Join ${next.name}`;
}
