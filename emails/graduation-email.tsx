import { Heading } from "@react-email/components";
import type { EmailCourse, EmailLesson } from "./_components/copy.ts";
import {
  cleanName,
  graduationParagraphs,
  graduationReason,
  graduationRecapHeading,
  graduationTitle,
  lessonsLabel,
} from "./_components/copy.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { color, font } from "./_components/theme.ts";
import { Eyebrow, Meta, Paragraph, Title } from "./_components/typography.tsx";

export interface GraduationEmailProps {
  course: EmailCourse;
  lessons: readonly Pick<EmailLesson, "number" | "title" | "author">[];
  recipientName?: string | null;
  unsubscribeUrl: string;
  preferencesUrl?: string;
}

export default function GraduationEmail({
  course,
  lessons,
  recipientName,
  unsubscribeUrl,
  preferencesUrl,
}: GraduationEmailProps) {
  const name = cleanName(recipientName);
  return (
    <EmailShell
      title={graduationTitle(name)}
      preview={`All ${lessonsLabel(lessons.length)} done. Here is a look back at ${course.name}.`}
      footer={
        <Footer
          course={course}
          reason={graduationReason(course)}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
        />
      }
    >
      <Eyebrow>{course.name}</Eyebrow>
      <Meta style={{ margin: "0 0 14px" }}>Course complete · {lessonsLabel(lessons.length)}</Meta>
      <Title>{graduationTitle(name)}</Title>
      {graduationParagraphs(course, lessons.length).map((paragraph, i) => (
        <Paragraph key={i}>{paragraph}</Paragraph>
      ))}
      <Heading
        as="h2"
        style={{
          margin: "30px 0 12px",
          fontFamily: font.serif,
          fontSize: "21px",
          lineHeight: "28px",
          fontWeight: 700,
          color: color.ink,
        }}
      >
        {graduationRecapHeading}
      </Heading>
      <ol
        style={{
          margin: "0 0 24px",
          padding: "0 0 0 28px",
          fontFamily: font.serif,
          fontSize: "18px",
          lineHeight: "27px",
          color: color.body,
        }}
      >
        {lessons.map((lesson) => (
          <li
            key={lesson.number}
            style={{
              margin: "0 0 10px",
              fontFamily: font.serif,
              fontSize: "18px",
              lineHeight: "27px",
              color: color.body,
            }}
          >
            {lesson.title}
            <span className="lp-muted" style={{ fontFamily: font.sans, fontSize: "14px", color: color.muted }}>
              {" "}
              · {lesson.author}
            </span>
          </li>
        ))}
      </ol>
      <Paragraph style={{ margin: 0 }}>— {course.sender.name}</Paragraph>
    </EmailShell>
  );
}

definePreviewProps(GraduationEmail, (): GraduationEmailProps => ({
  course: previewData().course,
  lessons: previewData().course.lessons,
  recipientName: previewRecipient.name,
  unsubscribeUrl: previewUrls.unsubscribe,
  preferencesUrl: previewUrls.preferences,
}));
