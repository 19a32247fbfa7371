import type { EmailCourse, EmailLesson } from "./_components/copy.ts";
import { cleanName, greeting, lessonMeta, lessonReason } from "./_components/copy.ts";
import { Credit } from "./_components/credit.tsx";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { MarkdownBody } from "./_components/markdown-body.tsx";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { Eyebrow, Meta, Paragraph, Rule, Title } from "./_components/typography.tsx";

export interface LessonEmailProps {
  course: EmailCourse;
  lesson: EmailLesson;
  /** Number of lessons in the course, for "Lesson N of M". */
  lessonCount: number;
  recipientName?: string | null;
  unsubscribeUrl: string;
  preferencesUrl?: string;
}

export default function LessonEmail({
  course,
  lesson,
  lessonCount,
  recipientName,
  unsubscribeUrl,
  preferencesUrl,
}: LessonEmailProps) {
  const name = cleanName(recipientName);
  return (
    <EmailShell
      title={lesson.title}
      preview={lesson.preview}
      footer={
        <Footer
          course={course}
          reason={lessonReason(course)}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
        />
      }
    >
      <Eyebrow>{course.name}</Eyebrow>
      <Meta style={{ margin: "0 0 14px" }}>{lessonMeta(lesson, lessonCount)}</Meta>
      <Title>{lesson.title}</Title>
      <Paragraph>{greeting(name)}</Paragraph>
      <MarkdownBody markdown={lesson.markdown} />
      <Rule />
      <Credit lesson={lesson} />
    </EmailShell>
  );
}

definePreviewProps(LessonEmail, (): LessonEmailProps => ({
  course: previewData().course,
  lesson: previewData().lesson,
  lessonCount: previewData().course.lessons.length,
  recipientName: previewRecipient.name,
  unsubscribeUrl: previewUrls.unsubscribe,
  preferencesUrl: previewUrls.preferences,
}));
