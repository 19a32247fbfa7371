import { Heading, Link, Section } from "@react-email/components";
import type { Course } from "../src/content/schema.ts";
import type { EmailCourse, EmailLesson, NextCourseOffer } from "./_components/copy.ts";
import {
  cleanName,
  nextCourseButtonLabel,
  nextCourseHeading,
  nextCourseSentence,
  cleanSubject,
  graduationParagraphs,
  graduationReason,
  graduationRecapHeading,
  graduationTitle,
  lessonsLabel,
} from "./_components/copy.ts";
import { ActionLink } from "./_components/action-link.tsx";
import type { Covered, EmailTemplate, ReaderProps } from "./_components/email-template.ts";
import { EmailShell } from "./_components/email-shell.tsx";
import { Footer } from "./_components/footer.tsx";
import { footerText, joinBlocks, underline } from "./_components/plain-text.ts";
import { definePreviewProps, previewData, previewRecipient, previewUrls } from "./_components/preview-data.ts";
import { color, font, link } from "./_components/theme.ts";
import { Eyebrow, Meta, Paragraph, Title } from "./_components/typography.tsx";

/** The course, and the one setting of its graduation the email says: its subject. */
export type GraduationCourse = EmailCourse & { graduation: Pick<Course["graduation"], "subject"> };

export interface GraduationEmailProps {
  course: GraduationCourse;
  lessons: readonly Pick<EmailLesson, "number" | "title" | "author">[];
  recipientName?: string | null;
  unsubscribeUrl: string;
  preferencesUrl?: string;
  webVersionUrl?: string;
  /** The web version of the reader's own copy of each lesson, by position in `lessons`; "" = none. */
  lessonWebVersionUrls?: readonly string[];
  /** The course `next:` offers (course.yaml), shown only with a joinNextUrl to join it by. */
  next?: NextCourseOffer | undefined;
  /** This graduation's own one-click link to join the next course (a page, then a POST: never automatic). */
  joinNextUrl?: string;
}

const nextHeadingStyle = {
  margin: "30px 0 12px",
  fontFamily: font.serif,
  fontSize: "21px",
  lineHeight: "28px",
  fontWeight: 700,
  color: color.ink,
} as const;

export default function GraduationEmail(props: GraduationEmailProps) {
  const { course, lessons, recipientName, unsubscribeUrl, preferencesUrl, webVersionUrl, lessonWebVersionUrls, next, joinNextUrl } = props;
  const name = cleanName(recipientName);
  return (
    <EmailShell
      title={graduationTitle(name)}
      preview={graduationEmail.preview(props)}
      footer={
        <Footer
          course={course}
          reason={graduationReason(course)}
          unsubscribeUrl={unsubscribeUrl}
          preferencesUrl={preferencesUrl}
          webVersionUrl={webVersionUrl}
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
        {lessons.map((lesson, i) => (
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
            {lessonWebVersionUrls?.[i] ? (
              <Link href={lessonWebVersionUrls[i]} style={link}>
                {lesson.title}
              </Link>
            ) : (
              lesson.title
            )}
            <span className="lp-muted" style={{ fontFamily: font.sans, fontSize: "14px", color: color.muted }}>
              {" "}
              · {lesson.author}
            </span>
          </li>
        ))}
      </ol>
      {next && joinNextUrl ? (
        <>
          <Heading as="h2" style={nextHeadingStyle}>
            {nextCourseHeading}
          </Heading>
          <Paragraph style={{ margin: "0 0 24px" }}>{nextCourseSentence(next)}</Paragraph>
          <Section style={{ margin: "0 0 28px" }}>
            <ActionLink href={joinNextUrl} label={nextCourseButtonLabel(next)} printed={false} />
          </Section>
        </>
      ) : null}
      <Paragraph style={{ margin: 0 }}>— {course.sender.name}</Paragraph>
    </EmailShell>
  );
}

export const graduationEmail: EmailTemplate<GraduationEmailProps> = {
  name: "graduation",
  Component: GraduationEmail,
  subject: ({ course }) => cleanSubject(course.graduation.subject),
  preview: ({ course, lessons }) => `All ${lessonsLabel(lessons.length)} done. Here is a look back at ${course.name}.`,
  text: ({ course, lessons, recipientName, unsubscribeUrl, preferencesUrl, webVersionUrl, lessonWebVersionUrls, next, joinNextUrl }) =>
    joinBlocks([
      course.name,
      underline(graduationTitle(cleanName(recipientName))),
      ...graduationParagraphs(course, lessons.length),
      underline(graduationRecapHeading, "-"),
      lessons
        .map((lesson, i) => {
          const line = `${lesson.number}. ${lesson.title} (${lesson.author})`;
          const url = lessonWebVersionUrls?.[i];
          return url ? `${line}\n   ${url}` : line;
        })
        .join("\n"),
      next && joinNextUrl ? underline(nextCourseHeading, "-") : null,
      next && joinNextUrl ? `${nextCourseSentence(next)}\n\n${nextCourseButtonLabel(next)}:\n${joinNextUrl}` : null,
      `— ${course.sender.name}`,
      footerText(course, graduationReason(course), unsubscribeUrl, preferencesUrl, webVersionUrl),
    ]),
  cacheKey: ({ course, lessons, next }) => [
    // The course first: two courses' emails never share a template, whatever else they share.
    course.slug,
    course.name,
    course.description,
    course.publisher,
    course.footer,
    course.sender.name,
    course.sender.replyTo,
    course.postalAddress,
    course.graduation.subject,
    next?.name,
    next?.description,
    lessons.length,
    ...lessons.flatMap((lesson) => [lesson.number, lesson.title, lesson.author]),
  ],
  // The title carries the reader's name, so its `===` line in the text part follows the name.
  underlinedTitle: graduationTitle,
};

// Compile-time guards: see lesson-email.tsx.
const _keyCovered: [
  Covered<keyof GraduationEmailProps, "course" | "lessons" | "next" | keyof ReaderProps>,
  Covered<keyof NextCourseOffer, "name" | "description">,
  Covered<keyof GraduationCourse, "slug" | "name" | "description" | "sender" | "postalAddress" | "publisher" | "footer" | "graduation">,
  Covered<keyof Course["sender"], "name" | "replyTo">,
  Covered<keyof GraduationEmailProps["lessons"][number], "number" | "title" | "author">,
] = [true, true, true, true, true];

definePreviewProps(GraduationEmail, (): GraduationEmailProps => ({
  course: previewData().course,
  lessons: previewData().course.lessons,
  recipientName: previewRecipient.name,
  unsubscribeUrl: previewUrls.unsubscribe,
  preferencesUrl: previewUrls.preferences,
  webVersionUrl: previewUrls.webVersion,
  lessonWebVersionUrls: previewData().course.lessons.map((_, i) => `${previewUrls.webVersion}-${i + 1}`),
}));
