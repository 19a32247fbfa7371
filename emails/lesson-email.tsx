import { renderMarkdown } from "../src/render/markdown.ts";
import type { Course } from "../src/content/schema.ts";
import type { EmailCourse, EmailLesson } from "./_components/copy.ts";
import { cleanName, cleanSubject, creditText, greeting, lessonMeta, lessonReason } from "./_components/copy.ts";
import { Credit } from "./_components/credit.tsx";
import type { Covered, EmailTemplate, ReaderProps } from "./_components/email-template.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { MarkdownBody } from "./_components/markdown-body.tsx";
import { footerText, joinBlocks, SEPARATOR, underline } from "./_components/plain-text.ts";
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
  webVersionUrl?: string;
  /** A course that records clicks: the body's links, tracked (ReaderProps.clickUrls). */
  clickUrls?: readonly string[];
}

export default function LessonEmail(props: LessonEmailProps) {
  const { course, lesson, lessonCount, recipientName, unsubscribeUrl, preferencesUrl, webVersionUrl, clickUrls } = props;
  const name = cleanName(recipientName);
  return (
    <EmailShell
      title={lesson.title}
      preview={lessonEmail.preview(props)}
      footer={
        <Footer
          course={course}
          reason={lessonReason(course)}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
          webVersionUrl={webVersionUrl}
        />
      }
    >
      <Eyebrow>{course.name}</Eyebrow>
      <Meta style={{ margin: "0 0 14px" }}>{lessonMeta(lesson, lessonCount)}</Meta>
      <Title>{lesson.title}</Title>
      <Paragraph>{greeting(name)}</Paragraph>
      <MarkdownBody markdown={lesson.markdown} links={clickUrls} />
      <Rule />
      <Credit lesson={lesson} />
    </EmailShell>
  );
}

export const lessonEmail: EmailTemplate<LessonEmailProps> = {
  name: "lesson",
  Component: LessonEmail,
  subject: ({ lesson }) => cleanSubject(lesson.subject),
  preview: ({ lesson }) => lesson.preview,
  text: ({ course, lesson, lessonCount, recipientName, unsubscribeUrl, preferencesUrl, webVersionUrl, clickUrls }) =>
    joinBlocks([
      `${course.name}\n${lessonMeta(lesson, lessonCount)}`,
      underline(lesson.title),
      greeting(cleanName(recipientName)),
      renderMarkdown(lesson.markdown, clickUrls).text,
      SEPARATOR,
      [creditText(lesson), lesson.credit].filter(Boolean).join("\n"),
      footerText(course, lessonReason(course), unsubscribeUrl, preferencesUrl, webVersionUrl),
    ]),
  // Spelled out field by field rather than spreading a helper's array: it is built per reader.
  cacheKey: ({ course, lesson, lessonCount }) => [
    // The course first: two courses' emails never share a template, whatever else they share.
    course.slug,
    course.name,
    course.description,
    course.publisher,
    course.footer,
    course.sender.name,
    course.sender.replyTo,
    course.postalAddress,
    lessonCount,
    lesson.number,
    lesson.title,
    lesson.subject,
    lesson.preview,
    lesson.author,
    lesson.source.name,
    lesson.source.url,
    lesson.credit,
    lesson.readingMinutes,
    lesson.markdown,
  ],
};

// Compile-time guards: a field added to what this template reads, and not to its cacheKey above,
// fails typecheck here instead of serving one version's email for another.
const _keyCovered: [
  Covered<keyof LessonEmailProps, "course" | "lesson" | "lessonCount" | keyof ReaderProps>,
  Covered<keyof EmailCourse, "slug" | "name" | "description" | "sender" | "postalAddress" | "publisher" | "footer">,
  Covered<keyof Course["sender"], "name" | "replyTo">,
  Covered<
    keyof EmailLesson,
    "number" | "title" | "subject" | "preview" | "author" | "source" | "credit" | "markdown" | "readingMinutes"
  >,
  Covered<keyof EmailLesson["source"], "name" | "url">,
] = [true, true, true, true, true];

definePreviewProps(LessonEmail, (): LessonEmailProps => ({
  course: previewData().course,
  lesson: previewData().lesson,
  lessonCount: previewData().course.lessons.length,
  recipientName: previewRecipient.name,
  unsubscribeUrl: previewUrls.unsubscribe,
  preferencesUrl: previewUrls.preferences,
  webVersionUrl: previewUrls.webVersion,
}));
