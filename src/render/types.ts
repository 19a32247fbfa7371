import type { Course, Lesson } from "../content/schema.ts";

/** What every email renderer returns: ready for the provider, both parts always present. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface Recipient {
  email: string;
  name?: string | null;
}

interface BaseEmailInput {
  course: Course;
  recipient: Recipient;
}

export interface ConfirmEmailInput extends BaseEmailInput {
  confirmUrl: string;
}

export interface PreferencesLinkEmailInput extends BaseEmailInput {
  preferencesUrl: string;
}

export interface LessonEmailInput extends BaseEmailInput {
  lesson: Lesson;
  unsubscribeUrl: string;
  preferencesUrl?: string;
  /** This email's "View in your browser" link. */
  webVersionUrl?: string;
  /** A course that records clicks: the tracked address of each link of the body, by position. */
  clickUrls?: readonly string[];
}

export interface GraduationEmailInput extends BaseEmailInput {
  unsubscribeUrl: string;
  preferencesUrl?: string;
  webVersionUrl?: string;
  /** The web version of the reader's copy of each lesson, by position in the course; "" = never sent. */
  lessonWebVersionUrls?: readonly string[];
  /** The course the graduating course's `next:` offers, if any. */
  next?: { name: string; description: string } | undefined;
  /** This graduation's one-click link to join `next` (compose.ts joinNextUrlFor). */
  joinNextUrl?: string;
}

export interface NewsletterEmailInput extends BaseEmailInput {
  subject: string;
  markdown: string;
  /** Inbox preview text; default: the body's first words. */
  preview?: string;
  unsubscribeUrl: string;
  preferencesUrl?: string;
  webVersionUrl?: string;
  /** A course that records clicks: the tracked address of each link of the body, by position. */
  clickUrls?: readonly string[];
}
