import { z } from "zod";

/**
 * A course as authors write it: `content/<slug>/course.yaml` plus one Markdown file per lesson in
 * `content/<slug>/lessons/` (see catalogue.ts for how the courses of one install are found).
 * Everything downstream (signup page, scheduler, templates) reads these types, never the files.
 */

const slug = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lowercase words joined by hyphens, e.g. blame-to-compassion");

const weekday = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
export type Weekday = z.infer<typeof weekday>;

/** RFC 5322 dot-atom with at least one dot, as RFC 2919 wants of a List-Id. */
const listId = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/, "must look like course-name.your-domain.com (letters, digits and hyphens joined by dots)");

export const courseFileSchema = z.object({
  /** The course's folder name under content/ (content/<slug>/course.yaml), and its address: /courses/<slug>. */
  slug,
  /**
   * Slugs this course was known by before. On start the store moves readers enrolled under one of
   * them to this slug, so renaming (or moving) a course never strands anyone mid-course; the first
   * one also keeps the default List-Id, which must not change over a list's life (RFC 2919 §2).
   */
  formerSlugs: z.array(slug).default([]),
  /** The course offered (never joined automatically) in this course's graduation email. */
  next: slug.optional(),
  /** RFC 2919 List-Id of every course email; default: the slug under the APP_URL host. */
  listId: listId.optional(),
  name: z.string().min(1),
  description: z.string().min(1),
  /** Who publishes the course, as emails and pages name them (never "Lessonpost"); default: sender.name. */
  publisher: z.string().min(1).max(200).optional(),
  /** One line at the foot of every email of this course, above the postal address (e.g. why the reader gets it). */
  footer: z.string().min(1).max(300).optional(),
  /** The privacy note on the course's public pages: which data is kept and why; default: a plain statement of what Lessonpost keeps. */
  privacy: z.string().min(1).max(2000).optional(),
  sender: z.object({
    name: z.string().min(1),
    replyTo: z.email().optional(),
  }),
  /** CAN-SPAM wants a physical postal address in every commercial email. */
  postalAddress: z.string().min(1),
  schedule: z.object({
    /** Local hour (0-23) in the reader's time zone at which lessons go out. */
    sendHour: z.number().int().min(0).max(23).default(9),
    weekdays: z.array(weekday).min(1).default(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    /** IANA zone used when a reader's own zone is missing or invalid. */
    timezone: z.string().min(1).default("UTC"),
  }),
  graduation: z.object({
    subject: z.string().min(1),
    /** Days after the last lesson's day offset. */
    daysAfterLastLesson: z.number().int().min(1).default(7),
  }),
  /**
   * What the course measures about its readers. Off unless the publisher turns it on: `clicks: true`
   * rewrites the links of its lessons and newsletters to APP_URL/r/… and records who followed which
   * (the course's pages say so in their privacy note). Optional, so a course written before it
   * existed (or built in code) reads as "nothing tracked".
   */
  tracking: z
    .object({ clicks: z.boolean().default(false) })
    .strict()
    .optional(),
});
export type CourseFile = z.infer<typeof courseFileSchema>;

export const lessonFrontMatterSchema = z.object({
  slug,
  title: z.string().min(1),
  subject: z.string().min(1),
  preview: z.string().min(1).max(200),
  author: z.string().min(1),
  source: z.object({
    name: z.string().min(1),
    url: z.url().optional(),
  }),
  /** Copyright / attribution lines from the original, kept as credit rather than body text. */
  credit: z.string().optional(),
  /** Days after confirmation. 0 = sent at confirmation. */
  day: z.number().int().min(0),
});
export type LessonFrontMatter = z.infer<typeof lessonFrontMatterSchema>;

export interface Lesson extends LessonFrontMatter {
  /** 1-based position in the course. */
  number: number;
  /** Markdown body, front matter removed. */
  markdown: string;
  /** Estimated reading time in whole minutes (at least 1). */
  readingMinutes: number;
  /** Path of the source file relative to the content dir, for error messages. */
  file: string;
}

export interface Course extends Omit<CourseFile, "publisher"> {
  /** course.yaml's `publisher`, or the sender's name when it has none. */
  publisher: string;
  lessons: Lesson[];
  /** Day offset of the graduation email. */
  graduationDay: number;
}

/** Whether a course rewrites its links to record clicks (course.yaml `tracking: { clicks: true }`). */
export function tracksClicks(course: Pick<Course, "tracking">): boolean {
  return course.tracking?.clicks === true;
}
