import type { EmailCourse } from "./_components/copy.ts";
import { cleanName, greeting } from "./_components/copy.ts";
import { ActionLink } from "./_components/action-link.tsx";
import type { EmailTemplate } from "./_components/email-template.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { footerText, joinBlocks } from "./_components/plain-text.ts";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { Eyebrow, Paragraph, Small, Title } from "./_components/typography.tsx";

export interface PreferencesLinkEmailProps {
  course: EmailCourse;
  recipientName?: string | null;
  preferencesUrl: string;
}

// This email's own words, shared by its HTML and text parts below.
const preferencesLinkTitle = "Your preferences link";
const preferencesLinkSubject = (course: EmailCourse): string => `Your link to manage ${course.name}`;
const preferencesLinkSentence = (course: EmailCourse): string =>
  `Here is a fresh link to your preferences for ${course.name}: pause lessons, change your time zone, download your data or delete it. It works for 30 days.`;
const preferencesLinkButtonLabel = "Manage my preferences";
const preferencesLinkIgnoreNote = "Didn’t ask for this? Ignore this email: nothing changes, and the link only ever reaches this inbox.";

/** A reader asked for a new link after theirs expired: transactional, one action, no marketing. */
export default function PreferencesLinkEmail(props: PreferencesLinkEmailProps) {
  const { course, recipientName, preferencesUrl } = props;
  const name = cleanName(recipientName);
  return (
    <EmailShell title={preferencesLinkTitle} preview={preferencesLinkEmail.preview(props)} footer={<Footer course={course} />}>
      <Eyebrow>{course.name}</Eyebrow>
      <Title>{preferencesLinkTitle}</Title>
      <Paragraph style={{ margin: "0 0 8px" }}>{greeting(name)}</Paragraph>
      <Paragraph style={{ margin: "0 0 28px" }}>{preferencesLinkSentence(course)}</Paragraph>
      <ActionLink href={preferencesUrl} label={preferencesLinkButtonLabel} />
      <Small style={{ margin: 0 }}>{preferencesLinkIgnoreNote}</Small>
    </EmailShell>
  );
}

export const preferencesLinkEmail: EmailTemplate<PreferencesLinkEmailProps> = {
  name: "preferences-link",
  Component: PreferencesLinkEmail,
  subject: ({ course }) => preferencesLinkSubject(course),
  preview: ({ course }) => preferencesLinkSentence(course),
  text: ({ course, recipientName, preferencesUrl }) =>
    joinBlocks([
      greeting(cleanName(recipientName)),
      preferencesLinkSentence(course),
      `${preferencesLinkButtonLabel}:\n${preferencesUrl}`,
      preferencesLinkIgnoreNote,
      footerText(course, null),
    ]),
  // Sent on request, one reader at a time: always the plain render.
  cacheKey: null,
};

definePreviewProps(PreferencesLinkEmail, (): PreferencesLinkEmailProps => ({
  course: previewData().course,
  recipientName: previewRecipient.name,
  preferencesUrl: previewUrls.preferences,
}));
