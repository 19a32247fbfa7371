import { z } from "zod";

/**
 * The small forms on the reader's pages, read leniently: a missing or odd field takes the value
 * that refuses or changes least, and the command says what is wrong with it, so a hand-made POST
 * gets the same answer as the page's own form.
 */

/** Anything but the literal string falls back: `catch` turns a File or an array into the default. */
const text = (fallback: string) => z.string().catch(fallback).default(fallback);

export const unsubscribeForm = z
  .object({
    /** RFC 8058's body, exactly `List-Unsubscribe=One-Click`. */
    "List-Unsubscribe": text(""),
    /** The page's choice; anything else stops all email, the safer reading. */
    scope: text("all"),
    /** The course of "stop this course" (a slug); the command refuses one it does not know. */
    course: text(""),
  })
  .transform((form) => ({
    oneClick: form["List-Unsubscribe"] === "One-Click",
    scope: form.scope === "course" ? ("course" as const) : ("all" as const),
    course: form.course.slice(0, 200) || undefined,
  }));

/**
 * The per-course buttons of the preferences page (pause, resume, leave): the course's slug. Left
 * out, the command takes the reader's only course, or asks which.
 */
export const courseForm = z.object({ course: text("") }).transform((form) => ({ course: form.course.slice(0, 200) || undefined }));

/** The zone is checked by the command against Intl's list; an empty one is refused there. */
export const timezoneForm = z.object({ timezone: text("") });

/** Erasure cannot be undone: only the ticked box (`confirm=yes`) counts as asking for it. */
export const deleteForm = z.object({ confirm: text("") }).transform((form) => ({ confirmed: form.confirm === "yes" }));

/** The "email me a fresh link" form; the address is checked with emailSchema, as on signup. */
export const newLinkForm = z.object({ email: text("") });
