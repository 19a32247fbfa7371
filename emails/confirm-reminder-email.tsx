import type { EmailCourse } from "./_components/copy.ts";
import { cleanName, cleanSubject, confirmButtonLabel, greeting } from "./_components/copy.ts";
import { ActionLink } from "./_components/action-link.tsx";
import type { EmailTemplate } from "./_components/email-template.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { footerText, joinBlocks } from "./_components/plain-text.ts";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { Eyebrow, Paragraph, Small, Title } from "./_components/typography.tsx";

export interface ConfirmReminderEmailProps {
  course: EmailCourse;
  lessonCount: number;
  recipientName?: string | null;
  confirmUrl: string;
}

// This email's own words, shared by its HTML and text parts below.
const reminderTitle = "Still want the course?";
const reminderSubject = (course: EmailCourse): string => cleanSubject(`Still want ${course.name}? Confirm your subscription`);
const reminderSentence = (course: EmailCourse, lessonCount: number): string =>
  `You signed up for ${course.name}, a free ${lessonCount}-lesson email course from ${course.publisher}, but haven’t confirmed yet. One click and lesson 1 is on its way.`;
const reminderLastNote =
  "This is the only reminder we’ll send. If you didn’t sign up, or changed your mind, ignore this email: you won’t be subscribed or hear from us again.";

/**
 * The one reminder to a reader who signed up and never confirmed. Transactional like the
 * confirmation it follows: no list headers, no marketing, a fresh confirm link and nothing else.
 */
export default function ConfirmReminderEmail(props: ConfirmReminderEmailProps) {
  const { course, lessonCount, recipientName, confirmUrl } = props;
  const name = cleanName(recipientName);
  return (
    <EmailShell title={reminderTitle} preview={confirmReminderEmail.preview(props)} footer={<Footer course={course} />}>
      <Eyebrow>{course.name}</Eyebrow>
      <Title>{reminderTitle}</Title>
      <Paragraph style={{ margin: "0 0 8px" }}>{greeting(name)}</Paragraph>
      <Paragraph style={{ margin: "0 0 28px" }}>{reminderSentence(course, lessonCount)}</Paragraph>
      <ActionLink href={confirmUrl} label={confirmButtonLabel} />
      <Small style={{ margin: 0 }}>{reminderLastNote}</Small>
    </EmailShell>
  );
}

export const confirmReminderEmail: EmailTemplate<ConfirmReminderEmailProps> = {
  name: "confirm-reminder",
  Component: ConfirmReminderEmail,
  subject: ({ course }) => reminderSubject(course),
  preview: ({ course, lessonCount }) => reminderSentence(course, lessonCount),
  text: ({ course, lessonCount, recipientName, confirmUrl }) =>
    joinBlocks([
      greeting(cleanName(recipientName)),
      reminderSentence(course, lessonCount),
      `${confirmButtonLabel}:\n${confirmUrl}`,
      reminderLastNote,
      footerText(course, null),
    ]),
  // One per reader, ever, with the reader's own link: always the plain render.
  cacheKey: null,
};

definePreviewProps(ConfirmReminderEmail, (): ConfirmReminderEmailProps => ({
  course: previewData().course,
  lessonCount: previewData().course.lessons.length,
  recipientName: previewRecipient.name,
  confirmUrl: previewUrls.confirm,
}));
