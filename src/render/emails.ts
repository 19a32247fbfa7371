import { createElement } from "react";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { EmailTemplate } from "../../emails/_components/email-template.ts";
import { confirmEmail } from "../../emails/confirm-email.tsx";
import type { ConfirmEmailProps } from "../../emails/confirm-email.tsx";
import { confirmReminderEmail } from "../../emails/confirm-reminder-email.tsx";
import { graduationEmail } from "../../emails/graduation-email.tsx";
import type { GraduationEmailProps } from "../../emails/graduation-email.tsx";
import { lessonEmail } from "../../emails/lesson-email.tsx";
import type { LessonEmailProps } from "../../emails/lesson-email.tsx";
import { newsletterEmail } from "../../emails/newsletter-email.tsx";
import type { NewsletterEmailProps } from "../../emails/newsletter-email.tsx";
import { preferencesLinkEmail } from "../../emails/preferences-link-email.tsx";
import type { PreferencesLinkEmailProps } from "../../emails/preferences-link-email.tsx";
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
 * Each template in emails/ owns its subject, preview, HTML and text part (EmailTemplate); this
 * module only turns a send's input into the template's props and renders through that contract.
 */

// Same doctype @react-email/render emits; older Outlook and Yahoo render more predictably with it.
const DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

function toHtml(element: ReactElement): string {
  // React prepends its own HTML5 doctype when the root is <html>; keep exactly one.
  return DOCTYPE + renderToStaticMarkup(element).replace(/^<!DOCTYPE[^>]*>/i, "");
}

/** One email, rendered for one reader: the per-recipient render every other path is held to. */
export function renderEmail<Props extends object>(template: EmailTemplate<Props>, props: Props): RenderedEmail {
  return {
    subject: template.subject(props),
    html: toHtml(createElement(template.Component, props)),
    text: template.text(props),
  };
}

// -- A send's input as each template's props --------------------------------------------------
// Names go in as the reader gave them: every template cleans its own (cleanName).

export const confirmProps = ({ course, recipient, confirmUrl }: ConfirmEmailInput): ConfirmEmailProps => ({
  course,
  lessonCount: course.lessons.length,
  recipientName: recipient.name,
  confirmUrl,
});

export const lessonProps = ({ course, lesson, recipient, unsubscribeUrl, preferencesUrl, webVersionUrl, clickUrls }: LessonEmailInput): LessonEmailProps => ({
  course,
  lesson,
  lessonCount: course.lessons.length,
  recipientName: recipient.name,
  unsubscribeUrl,
  preferencesUrl,
  webVersionUrl,
  // Only when there are some, so an untracked email's props are what they always were.
  ...(clickUrls?.length ? { clickUrls } : {}),
});

export const graduationProps = ({ course, recipient, unsubscribeUrl, preferencesUrl, webVersionUrl, lessonWebVersionUrls, next, joinNextUrl }: GraduationEmailInput): GraduationEmailProps => ({
  course,
  lessons: course.lessons,
  recipientName: recipient.name,
  unsubscribeUrl,
  preferencesUrl,
  webVersionUrl,
  lessonWebVersionUrls,
  // Only the name and description: the next course's Markdown never keys a graduation's template.
  next: next ? { name: next.name, description: next.description } : undefined,
  joinNextUrl,
});

export const newsletterProps = ({ course, subject, markdown, preview, unsubscribeUrl, preferencesUrl, webVersionUrl, clickUrls }: NewsletterEmailInput): NewsletterEmailProps => ({
  course,
  subject,
  markdown,
  preview,
  unsubscribeUrl,
  preferencesUrl,
  webVersionUrl,
  ...(clickUrls?.length ? { clickUrls } : {}),
});

export const preferencesLinkProps = ({ course, recipient, preferencesUrl }: PreferencesLinkEmailInput): PreferencesLinkEmailProps => ({
  course,
  recipientName: recipient.name,
  preferencesUrl,
});

// -- Per-recipient renderers ------------------------------------------------------------------

export const renderConfirmEmail = (input: ConfirmEmailInput): RenderedEmail => renderEmail(confirmEmail, confirmProps(input));
/** The one reminder: the confirmation's input and props, in its own template. */
export const renderConfirmReminderEmail = (input: ConfirmEmailInput): RenderedEmail => renderEmail(confirmReminderEmail, confirmProps(input));
export const renderLessonEmail = (input: LessonEmailInput): RenderedEmail => renderEmail(lessonEmail, lessonProps(input));
export const renderGraduationEmail = (input: GraduationEmailInput): RenderedEmail => renderEmail(graduationEmail, graduationProps(input));
export const renderNewsletterEmail = (input: NewsletterEmailInput): RenderedEmail => renderEmail(newsletterEmail, newsletterProps(input));
export const renderPreferencesLinkEmail = (input: PreferencesLinkEmailInput): RenderedEmail =>
  renderEmail(preferencesLinkEmail, preferencesLinkProps(input));
