import type { FunctionComponent } from "react";

/**
 * What each template module exports next to its default component (the one `npm run email:dev`
 * previews): the email's subject, inbox preview, plain-text part and cache key, all worked out
 * from the same props the component gets, in the same file, so the parts of one email never
 * drift apart. src/render/emails.ts renders through this and nothing else.
 */
export interface EmailTemplate<Props extends object> {
  /** Names the template in the render cache, so two templates never share an entry. */
  name: string;
  Component: FunctionComponent<Props>;
  subject(props: Props): string;
  preview(props: Props): string;
  /** Written from the same copy and Markdown tokens as the HTML, not scraped from it. */
  text(props: Props): string;
  /**
   * Every value other than the reader's own (name, unsubscribe, preferences, web-version, join-next and tracked links) that decides
   * what the email says, field by field: src/render/personalize.ts serves one cached render per
   * key. Null for an email that is never cached: one per reader, nothing shared between readers.
   */
  cacheKey: ((props: Props) => readonly KeyPart[]) | null;
  /**
   * The one reader-dependent value that is not a prop as-is: the text part's title whose `===`
   * underline is as long as the title, for a template that puts the reader's name in it.
   */
  underlinedTitle?: (name: string) => string;
}

/** One value in a cache key: compared by identity, so a key never copies a lesson's Markdown. */
export type KeyPart = string | number | boolean | null | undefined;

/** The props that carry the reader's own values; the rest of the props is the same for everyone. */
export interface ReaderProps {
  recipientName?: string | null;
  unsubscribeUrl: string;
  preferencesUrl?: string;
  /** This email's own "View in your browser" link: one per send, so per reader like the others. */
  webVersionUrl?: string;
  /**
   * The web versions of the reader's own earlier lessons, by position in the course's lesson list;
   * "" or absent = that lesson has no link (the reader never got it). Only graduation shows them.
   */
  lessonWebVersionUrls?: readonly string[];
  /** Graduation's one-click link to join the next course: one per send, so per reader too. */
  joinNextUrl?: string;
  /**
   * A course that records clicks: the tracked address (APP_URL/r/…) of each http(s) link of the
   * Markdown body, by its position (src/render/markdown.ts trackedLinks); each names the send, so
   * per reader too. Absent: the links stay as written. Footer links are never in it.
   */
  clickUrls?: readonly string[];
}

/**
 * Compile-time guard for a cache key: `Covered<keyof Thing, "listed" | "fields">` is `true` only
 * when every field of Thing is listed, so a field added to what a template reads, and not to its
 * cacheKey, fails typecheck instead of serving one version's email for another.
 */
export type Covered<Keys, Listed> = [Exclude<Keys, Listed>] extends [never] ? true : never;
