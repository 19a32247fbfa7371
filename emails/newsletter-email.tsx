import { renderMarkdown } from "../src/render/markdown.ts";
import type { Course } from "../src/content/schema.ts";
import type { EmailCourse } from "./_components/copy.ts";
import { cleanSubject, newsletterReason } from "./_components/copy.ts";
import type { Covered, EmailTemplate, ReaderProps } from "./_components/email-template.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { MarkdownBody } from "./_components/markdown-body.tsx";
import { footerText, joinBlocks, underline } from "./_components/plain-text.ts";
import {
  definePreviewProps,
  previewData,
  previewNewsletterMarkdown,
  previewNewsletterSubject,
  previewUrls,
} from "./_components/preview-data.ts";
import { Eyebrow, Title } from "./_components/typography.tsx";

export interface NewsletterEmailProps {
  course: EmailCourse;
  /** As written in the admin form; cleaned here before it becomes a header or a title. */
  subject: string;
  /** Written in an admin form: untrusted, so it only ever goes through the escaping Markdown walk. */
  markdown: string;
  /** Inbox preview text; default: the body's first words. */
  preview?: string;
  unsubscribeUrl: string;
  preferencesUrl?: string;
  webVersionUrl?: string;
  /** A course that records clicks: the body's links, tracked (ReaderProps.clickUrls). */
  clickUrls?: readonly string[];
}

export default function NewsletterEmail(props: NewsletterEmailProps) {
  const { course, markdown, unsubscribeUrl, preferencesUrl, webVersionUrl, clickUrls } = props;
  const subject = cleanSubject(props.subject);
  return (
    <EmailShell
      title={subject}
      preview={newsletterEmail.preview(props)}
      footer={
        <Footer
          course={course}
          reason={newsletterReason(course)}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
          webVersionUrl={webVersionUrl}
        />
      }
    >
      <Eyebrow>{course.name}</Eyebrow>
      <Title>{subject}</Title>
      <MarkdownBody markdown={markdown} links={clickUrls} />
    </EmailShell>
  );
}

export const newsletterEmail: EmailTemplate<NewsletterEmailProps> = {
  name: "newsletter",
  Component: NewsletterEmail,
  subject: ({ subject }) => cleanSubject(subject),
  preview: ({ preview, markdown }) => preview?.trim() || renderMarkdown(markdown).summary,
  text: ({ course, subject, markdown, unsubscribeUrl, preferencesUrl, webVersionUrl, clickUrls }) =>
    joinBlocks([
      course.name,
      underline(cleanSubject(subject)),
      renderMarkdown(markdown, clickUrls).text,
      footerText(course, newsletterReason(course), unsubscribeUrl, preferencesUrl, webVersionUrl),
    ]),
  cacheKey: ({ course, subject, markdown, preview }) => [
    // The course first: two courses' emails never share a template, whatever else they share.
    course.slug,
    course.name,
    course.description,
    course.publisher,
    course.footer,
    course.sender.name,
    course.sender.replyTo,
    course.postalAddress,
    subject,
    markdown,
    preview,
  ],
};

// Compile-time guards: see lesson-email.tsx.
const _keyCovered: [
  Covered<keyof NewsletterEmailProps, "course" | "subject" | "markdown" | "preview" | keyof ReaderProps>,
  Covered<keyof EmailCourse, "slug" | "name" | "description" | "sender" | "postalAddress" | "publisher" | "footer">,
  Covered<keyof Course["sender"], "name" | "replyTo">,
] = [true, true, true];

definePreviewProps(NewsletterEmail, (): NewsletterEmailProps => ({
  course: previewData().course,
  subject: previewNewsletterSubject,
  markdown: previewNewsletterMarkdown,
  unsubscribeUrl: previewUrls.unsubscribe,
  preferencesUrl: previewUrls.preferences,
  webVersionUrl: previewUrls.webVersion,
}));
