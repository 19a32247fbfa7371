import { describe, expect, it } from "vitest";
import type { EmailTemplate } from "../../../emails/_components/email-template.ts";
import ConfirmEmail, { confirmEmail } from "../../../emails/confirm-email.tsx";
import ConfirmReminderEmail, { confirmReminderEmail } from "../../../emails/confirm-reminder-email.tsx";
import GraduationEmail, { graduationEmail } from "../../../emails/graduation-email.tsx";
import LessonEmail, { lessonEmail } from "../../../emails/lesson-email.tsx";
import NewsletterEmail, { newsletterEmail } from "../../../emails/newsletter-email.tsx";
import PreferencesLinkEmail, { preferencesLinkEmail } from "../../../emails/preferences-link-email.tsx";
import { renderEmail } from "../../../src/render/emails.ts";

/**
 * Every template module is one email: the component `npm run email:dev` previews (its default
 * export, with PreviewProps) and, beside it, the subject, preview, text part and cache key that
 * src/render/ renders through.
 */

const TEMPLATES: [string, object, EmailTemplate<never>][] = [
  ["confirm", ConfirmEmail, confirmEmail],
  ["confirm-reminder", ConfirmReminderEmail, confirmReminderEmail],
  ["lesson", LessonEmail, lessonEmail],
  ["graduation", GraduationEmail, graduationEmail],
  ["newsletter", NewsletterEmail, newsletterEmail],
  ["preferences-link", PreferencesLinkEmail, preferencesLinkEmail],
];

/** React's escaping of text, to find a plain string in rendered HTML. */
const escaped = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");

describe.each(TEMPLATES)("the %s email template", (name, Default, template) => {
  const previewProps = () => (Default as { PreviewProps: never }).PreviewProps;

  it("is the module's default export, with props for the preview server", () => {
    expect(template.name).toBe(name);
    expect(template.Component).toBe(Default);
    expect(previewProps()).toBeTypeOf("object");
  });

  it("renders its own subject, hidden inbox preview and plain-text part from the preview props", () => {
    const props = previewProps();
    const email = renderEmail(template, props);
    expect(email.subject).toBe(template.subject(props));
    expect(email.subject.length).toBeGreaterThan(0);
    // <Preview> keeps the first 150 characters.
    expect(email.html).toContain(`data-skip-in-text="true">${escaped(template.preview(props)).slice(0, 100)}`);
    expect(email.text).toBe(template.text(props));
    expect(email.text).not.toMatch(/<[a-z][^>]*>/i);
  });
});

describe("cache keys", () => {
  it("belong to the list emails, which are personalised per reader, and not to the one-off transactional ones", () => {
    expect(TEMPLATES.filter(([, , template]) => template.cacheKey !== null).map(([name]) => name)).toEqual([
      "lesson",
      "graduation",
      "newsletter",
    ]);
  });
});
