import type { EmailCourse } from "./_components/copy.ts";
import { newsletterReason } from "./_components/copy.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { renderMarkdown } from "../src/render/markdown.ts";
import { MarkdownBody } from "./_components/markdown-body.tsx";
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
  subject: string;
  /** Written in an admin form: untrusted, so it only ever goes through the escaping Markdown walk. */
  markdown: string;
  /** Inbox preview text; default: the body's first words. */
  preview?: string;
  unsubscribeUrl: string;
  preferencesUrl?: string;
}

export default function NewsletterEmail({
  course,
  subject,
  markdown,
  preview,
  unsubscribeUrl,
  preferencesUrl,
}: NewsletterEmailProps) {
  return (
    <EmailShell
      title={subject}
      preview={preview?.trim() || renderMarkdown(markdown).summary}
      footer={
        <Footer
          course={course}
          reason={newsletterReason(course)}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
        />
      }
    >
      <Eyebrow>{course.name}</Eyebrow>
      <Title>{subject}</Title>
      <MarkdownBody markdown={markdown} />
    </EmailShell>
  );
}

definePreviewProps(NewsletterEmail, (): NewsletterEmailProps => ({
  course: previewData().course,
  subject: previewNewsletterSubject,
  markdown: previewNewsletterMarkdown,
  unsubscribeUrl: previewUrls.unsubscribe,
  preferencesUrl: previewUrls.preferences,
}));
