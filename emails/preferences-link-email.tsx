import type { EmailCourse } from "./_components/copy.ts";
import { cleanName, greeting } from "./_components/copy.ts";
import { ActionLink } from "./_components/action-link.tsx";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { Eyebrow, Paragraph, Small, Title } from "./_components/typography.tsx";

export interface PreferencesLinkEmailProps {
  course: EmailCourse;
  recipientName?: string | null;
  preferencesUrl: string;
}

// This email's own words, shared by the HTML here and the text part in src/render/emails.ts.
export const preferencesLinkTitle = "Your preferences link";
export const preferencesLinkSubject = (course: EmailCourse): string => `Your link to manage ${course.name}`;
export const preferencesLinkSentence = (course: EmailCourse): string =>
  `Here is a fresh link to your preferences for ${course.name}: pause lessons, change your time zone, download your data or delete it. It works for 30 days.`;
export const preferencesLinkButtonLabel = "Manage my preferences";
export const preferencesLinkIgnoreNote = "Didn’t ask for this? Ignore this email: nothing changes, and the link only ever reaches this inbox.";

/** A reader asked for a new link after theirs expired: transactional, one action, no marketing. */
export default function PreferencesLinkEmail({ course, recipientName, preferencesUrl }: PreferencesLinkEmailProps) {
  const name = cleanName(recipientName);
  return (
    <EmailShell title={preferencesLinkTitle} preview={preferencesLinkSentence(course)} footer={<Footer course={course} />}>
      <Eyebrow>{course.name}</Eyebrow>
      <Title>{preferencesLinkTitle}</Title>
      <Paragraph style={{ margin: "0 0 8px" }}>{greeting(name)}</Paragraph>
      <Paragraph style={{ margin: "0 0 28px" }}>{preferencesLinkSentence(course)}</Paragraph>
      <ActionLink href={preferencesUrl} label={preferencesLinkButtonLabel} />
      <Small style={{ margin: 0 }}>{preferencesLinkIgnoreNote}</Small>
    </EmailShell>
  );
}

definePreviewProps(PreferencesLinkEmail, (): PreferencesLinkEmailProps => ({
  course: previewData().course,
  recipientName: previewRecipient.name,
  preferencesUrl: previewUrls.preferences,
}));
