import type { EmailCourse } from "./_components/copy.ts";
import { cleanName, confirmButtonLabel, confirmIgnoreNote, confirmSentence, greeting } from "./_components/copy.ts";
import { ActionLink } from "./_components/action-link.tsx";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { Eyebrow, Paragraph, Small, Title } from "./_components/typography.tsx";

export interface ConfirmEmailProps {
  course: EmailCourse;
  lessonCount: number;
  recipientName?: string | null;
  confirmUrl: string;
}

/** Double opt-in: transactional, so no marketing, no unsubscribe, nothing but the one action. */
export default function ConfirmEmail({ course, lessonCount, recipientName, confirmUrl }: ConfirmEmailProps) {
  const name = cleanName(recipientName);
  return (
    <EmailShell
      title="Confirm your subscription"
      preview={confirmSentence(course, lessonCount)}
      footer={<Footer course={course} />}
    >
      <Eyebrow>{course.name}</Eyebrow>
      <Title>Confirm your subscription</Title>
      <Paragraph style={{ margin: "0 0 8px" }}>{greeting(name)}</Paragraph>
      <Paragraph style={{ margin: "0 0 28px" }}>{confirmSentence(course, lessonCount)}</Paragraph>
      <ActionLink href={confirmUrl} label={confirmButtonLabel} />
      <Small style={{ margin: 0 }}>{confirmIgnoreNote}</Small>
    </EmailShell>
  );
}

definePreviewProps(ConfirmEmail, (): ConfirmEmailProps => ({
  course: previewData().course,
  lessonCount: previewData().course.lessons.length,
  recipientName: previewRecipient.name,
  confirmUrl: previewUrls.confirm,
}));
