import type { EmailCourse } from "./_components/copy.ts";
import {
  cleanName,
  confirmButtonLabel,
  confirmIgnoreNote,
  confirmSentence,
  confirmSubject,
  greeting,
} from "./_components/copy.ts";
import { ActionLink } from "./_components/action-link.tsx";
import type { EmailTemplate } from "./_components/email-template.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { footerText, joinBlocks } from "./_components/plain-text.ts";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { Eyebrow, Paragraph, Small, Title } from "./_components/typography.tsx";

export interface ConfirmEmailProps {
  course: EmailCourse;
  lessonCount: number;
  recipientName?: string | null;
  confirmUrl: string;
}

/** Double opt-in: transactional, so no marketing, no unsubscribe, nothing but the one action. */
export default function ConfirmEmail(props: ConfirmEmailProps) {
  const { course, lessonCount, recipientName, confirmUrl } = props;
  const name = cleanName(recipientName);
  return (
    <EmailShell title="Confirm your subscription" preview={confirmEmail.preview(props)} footer={<Footer course={course} />}>
      <Eyebrow>{course.name}</Eyebrow>
      <Title>Confirm your subscription</Title>
      <Paragraph style={{ margin: "0 0 8px" }}>{greeting(name)}</Paragraph>
      <Paragraph style={{ margin: "0 0 28px" }}>{confirmSentence(course, lessonCount)}</Paragraph>
      <ActionLink href={confirmUrl} label={confirmButtonLabel} />
      <Small style={{ margin: 0 }}>{confirmIgnoreNote}</Small>
    </EmailShell>
  );
}

export const confirmEmail: EmailTemplate<ConfirmEmailProps> = {
  name: "confirm",
  Component: ConfirmEmail,
  subject: ({ course }) => confirmSubject(course),
  preview: ({ course, lessonCount }) => confirmSentence(course, lessonCount),
  text: ({ course, lessonCount, recipientName, confirmUrl }) =>
    joinBlocks([
      greeting(cleanName(recipientName)),
      confirmSentence(course, lessonCount),
      `${confirmButtonLabel}:\n${confirmUrl}`,
      confirmIgnoreNote,
      footerText(course, null),
    ]),
  // One per signup and nothing in it shared between readers: always the plain render.
  cacheKey: null,
};

definePreviewProps(ConfirmEmail, (): ConfirmEmailProps => ({
  course: previewData().course,
  lessonCount: previewData().course.lessons.length,
  recipientName: previewRecipient.name,
  confirmUrl: previewUrls.confirm,
}));
