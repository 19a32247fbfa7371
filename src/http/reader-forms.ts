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
  })
  .transform((form) => ({ oneClick: form["List-Unsubscribe"] === "One-Click", scope: form.scope === "course" ? ("course" as const) : ("all" as const) }));

/** The zone is checked by the command against Intl's list; an empty one is refused there. */
export const timezoneForm = z.object({ timezone: text("") });

/** Erasure cannot be undone: only the ticked box (`confirm=yes`) counts as asking for it. */
export const deleteForm = z.object({ confirm: text("") }).transform((form) => ({ confirmed: form.confirm === "yes" }));

/** The "email me a fresh link" form; the address is checked with emailSchema, as on signup. */
export const newLinkForm = z.object({ email: text("") });
