import { Button } from "@react-email/components";
import type { EmailCourse } from "./_components/copy.ts";
import { cleanName, confirmButtonLabel, confirmIgnoreNote, confirmSentence, greeting } from "./_components/copy.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { PrintedUrl } from "./_components/printed-url.tsx";
import { color, font, wrapAnywhere } from "./_components/theme.ts";
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
      <Button
        href={confirmUrl}
        className="lp-button"
        style={{
          backgroundColor: color.accent,
          color: color.buttonInk,
          borderRadius: "8px",
          padding: "14px 24px",
          fontFamily: font.sans,
          fontSize: "16px",
          fontWeight: 600,
          textAlign: "center",
        }}
      >
        {confirmButtonLabel}
      </Button>
      <Small style={{ margin: "28px 0 6px" }}>Button not working? Paste this address into your browser:</Small>
      <Small style={{ margin: "0 0 20px", ...wrapAnywhere }}>
        <PrintedUrl url={confirmUrl} />
      </Small>
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
