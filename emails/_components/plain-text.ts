import type { EmailCourse } from "./copy.ts";
import { postalLines, preferencesLabel, unsubscribeLabel, webVersionLabel } from "./copy.ts";

/**
 * The plain-text part's layout, shared by every template's text(): what EmailShell and Footer are
 * to the HTML part. It is assembled from the same copy as the HTML so it reads like an email
 * someone wrote.
 */

/** Blocks separated by one blank line; empty blocks dropped. */
export function joinBlocks(blocks: readonly (string | null | undefined | false)[]): string {
  return `${blocks
    .filter((block): block is string => typeof block === "string" && block.trim() !== "")
    .map((block) => block.trim())
    .join("\n\n")}\n`;
}

/** The line under a title: as long as the title, within 3 to 72 characters. */
export function titleRule(title: string, char = "="): string {
  return char.repeat(Math.min(Math.max(title.length, 3), 72));
}

export function underline(title: string, char = "="): string {
  return `${title}\n${titleRule(title, char)}`;
}

export const SEPARATOR = "----------";

export function footerText(
  course: EmailCourse,
  reason: string | null,
  unsubscribeUrl?: string,
  preferencesUrl?: string,
  webVersionUrl?: string,
): string {
  const links = [
    webVersionUrl ? `${webVersionLabel}: ${webVersionUrl}` : null,
    unsubscribeUrl ? `${unsubscribeLabel}: ${unsubscribeUrl}` : null,
    preferencesUrl ? `${preferencesLabel}: ${preferencesUrl}` : null,
  ].filter((line): line is string => line !== null);
  return joinBlocks([SEPARATOR, reason, links.join("\n"), course.footer, [course.publisher, ...postalLines(course)].join("\n")]);
}
