import type { Course } from "../content/schema.ts";
import { headerSafe } from "../send/mailer.ts";

/**
 * RFC 2919 `List-Id: phrase <list-label.namespace>`, which mailbox providers use to group and
 * filter a list's mail. Stable across sends: the course's own `listId`, or its slug under the
 * APP_URL host, so it changes only when the operator moves the service.
 */

// RFC 5322 atext; a dot-atom is atext runs joined by single dots.
const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
export const DOT_ATOM = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)+$`);
const MAX_LIST_ID = 255;

export function listIdOf(course: Pick<Course, "slug" | "listId"> & { formerSlugs?: readonly string[] | undefined }, appUrl: string): string {
  if (course.listId) return course.listId;
  let host: string;
  try {
    host = new URL(appUrl).hostname.toLowerCase();
  } catch {
    host = "localhost";
  }
  // An IPv6 literal ([::1]) is no dot-atom; RFC 2919 §3 allows "localhost" as the namespace then.
  if (host.startsWith("[")) host = "localhost";
  const namespace = host
    .replace(/[^a-z0-9.-]+/g, "-")
    .split(".")
    .filter((label) => label !== "" && label !== "-")
    .join(".");
  // A renamed course keeps the List-Id it was first known by: readers' filters rely on it.
  const label = course.formerSlugs?.[0] ?? course.slug;
  return `${label}.${namespace || "localhost"}`.slice(0, MAX_LIST_ID).replace(/\.+$/, "");
}

export function listIdHeader(course: Pick<Course, "slug" | "name" | "listId"> & { formerSlugs?: readonly string[] | undefined }, appUrl: string): string {
  return `${phrase(course.name)} <${listIdOf(course, appUrl)}>`;
}

/** The course name as an RFC 5322 phrase: a quoted string, or RFC 2047 encoded words when not ASCII. */
function phrase(name: string): string {
  const clean = headerSafe(name).trim();
  if (/^[\x20-\x7e]*$/.test(clean)) return `"${clean.replace(/["\\]/g, "\\$&")}"`;
  // Encoded words are at most 75 characters: ~45 bytes of UTF-8 each, never splitting a character.
  const words: string[] = [];
  let chunk = "";
  for (const char of clean) {
    if (new TextEncoder().encode(chunk + char).length > 45) {
      words.push(encodedWord(chunk));
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(encodedWord(chunk));
  return words.join(" ");
}

function encodedWord(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return `=?UTF-8?B?${btoa(binary)}?=`;
}
