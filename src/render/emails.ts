import { createElement } from "react";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import {
  cleanName,
  cleanSubject,
  confirmButtonLabel,
  confirmIgnoreNote,
  confirmSentence,
  confirmSubject,
  creditText,
  graduationParagraphs,
  graduationReason,
  graduationRecapHeading,
  graduationTitle,
  greeting,
  lessonMeta,
  lessonReason,
  newsletterReason,
  postalLines,
  preferencesLabel,
  unsubscribeLabel,
} from "../../emails/_components/copy.ts";
import type { EmailCourse } from "../../emails/_components/copy.ts";
import { renderMarkdown } from "./markdown.ts";
import ConfirmEmail from "../../emails/confirm-email.tsx";
import GraduationEmail from "../../emails/graduation-email.tsx";
import LessonEmail from "../../emails/lesson-email.tsx";
import NewsletterEmail from "../../emails/newsletter-email.tsx";
import PreferencesLinkEmail, {
  preferencesLinkButtonLabel,
  preferencesLinkIgnoreNote,
  preferencesLinkSentence,
  preferencesLinkSubject,
} from "../../emails/preferences-link-email.tsx";
import type {
  ConfirmEmailInput,
  GraduationEmailInput,
  LessonEmailInput,
  NewsletterEmailInput,
  PreferencesLinkEmailInput,
  RenderedEmail,
} from "./types.ts";

/**
 * Email rendering for every send path. Synchronous on purpose: `renderToStaticMarkup` is available
 * in every react-dom/server build (Node, workerd, browser), our templates never suspend, and a sync
 * call skips the stream plumbing of @react-email/render on the per-recipient hot path. Callers may
 * still `await` the result.
 *
 * The text part is assembled from the same copy and Markdown tokens as the HTML, not scraped from
 * it, so it reads like an email someone wrote.
 */

// Same doctype @react-email/render emits; older Outlook and Yahoo render more predictably with it.
const DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

function toHtml(element: ReactElement): string {
  // React prepends its own HTML5 doctype when the root is <html>; keep exactly one.
  return DOCTYPE + renderToStaticMarkup(element).replace(/^<!DOCTYPE[^>]*>/i, "");
}

/** Blocks separated by one blank line; empty blocks dropped. */
function joinBlocks(blocks: readonly (string | null | undefined | false)[]): string {
  return `${blocks
    .filter((block): block is string => typeof block === "string" && block.trim() !== "")
    .map((block) => block.trim())
    .join("\n\n")}\n`;
}

function underline(title: string, char = "="): string {
  return `${title}\n${char.repeat(Math.min(Math.max(title.length, 3), 72))}`;
}

const SEPARATOR = "----------";

function footerText(
  course: EmailCourse,
  reason: string | null,
  unsubscribeUrl?: string,
  preferencesUrl?: string,
): string {
  const links = [
    unsubscribeUrl ? `${unsubscribeLabel}: ${unsubscribeUrl}` : null,
    preferencesUrl ? `${preferencesLabel}: ${preferencesUrl}` : null,
  ].filter((line): line is string => line !== null);
  return joinBlocks([SEPARATOR, reason, links.join("\n"), [course.sender.name, ...postalLines(course)].join("\n")]);
}

export function renderConfirmEmail(input: ConfirmEmailInput): RenderedEmail {
  const { course, recipient, confirmUrl } = input;
  const name = cleanName(recipient.name);
  const lessonCount = course.lessons.length;
  const html = toHtml(createElement(ConfirmEmail, { course, lessonCount, recipientName: name, confirmUrl }));
  const text = joinBlocks([
    greeting(name),
    confirmSentence(course, lessonCount),
    `${confirmButtonLabel}:\n${confirmUrl}`,
    confirmIgnoreNote,
    footerText(course, null),
  ]);
  return { subject: confirmSubject(course), html, text };
}

export function renderLessonEmail(input: LessonEmailInput): RenderedEmail {
  const { course, lesson, recipient, unsubscribeUrl, preferencesUrl } = input;
  const name = cleanName(recipient.name);
  const lessonCount = course.lessons.length;
  const html = toHtml(
    createElement(LessonEmail, { course, lesson, lessonCount, recipientName: name, unsubscribeUrl, preferencesUrl }),
  );
  const text = joinBlocks([
    `${course.name}\n${lessonMeta(lesson, lessonCount)}`,
    underline(lesson.title),
    greeting(name),
    renderMarkdown(lesson.markdown).text,
    SEPARATOR,
    [creditText(lesson), lesson.credit].filter(Boolean).join("\n"),
    footerText(course, lessonReason(course), unsubscribeUrl, preferencesUrl),
  ]);
  return { subject: cleanSubject(lesson.subject), html, text };
}

export function renderGraduationEmail(input: GraduationEmailInput): RenderedEmail {
  const { course, recipient, unsubscribeUrl, preferencesUrl } = input;
  const name = cleanName(recipient.name);
  const lessons = course.lessons;
  const html = toHtml(
    createElement(GraduationEmail, { course, lessons, recipientName: name, unsubscribeUrl, preferencesUrl }),
  );
  const text = joinBlocks([
    course.name,
    underline(graduationTitle(name)),
    ...graduationParagraphs(course, lessons.length),
    underline(graduationRecapHeading, "-"),
    lessons.map((lesson) => `${lesson.number}. ${lesson.title} (${lesson.author})`).join("\n"),
    `— ${course.sender.name}`,
    footerText(course, graduationReason(course), unsubscribeUrl, preferencesUrl),
  ]);
  return { subject: cleanSubject(course.graduation.subject), html, text };
}

export function renderNewsletterEmail(input: NewsletterEmailInput): RenderedEmail {
  const { course, markdown, preview, unsubscribeUrl, preferencesUrl } = input;
  const subject = cleanSubject(input.subject);
  const html = toHtml(createElement(NewsletterEmail, { course, subject, markdown, ...(preview ? { preview } : {}), unsubscribeUrl, preferencesUrl }));
  const text = joinBlocks([
    course.name,
    underline(subject),
    renderMarkdown(markdown).text,
    footerText(course, newsletterReason(course), unsubscribeUrl, preferencesUrl),
  ]);
  return { subject, html, text };
}

export function renderPreferencesLinkEmail(input: PreferencesLinkEmailInput): RenderedEmail {
  const { course, recipient, preferencesUrl } = input;
  const name = cleanName(recipient.name);
  const html = toHtml(createElement(PreferencesLinkEmail, { course, recipientName: name, preferencesUrl }));
  const text = joinBlocks([
    greeting(name),
    preferencesLinkSentence(course),
    `${preferencesLinkButtonLabel}:\n${preferencesUrl}`,
    preferencesLinkIgnoreNote,
    footerText(course, null),
  ]);
  return { subject: preferencesLinkSubject(course), html, text };
}
