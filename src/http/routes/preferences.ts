import { Hono } from "hono";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env.ts";
import { statusOf } from "../errors.ts";
import { courseForm, deleteForm, newLinkForm, timezoneForm } from "../reader-forms.ts";
import { servicesFor, whoAsked } from "../services.ts";
import { deletedPage, freshLinkPage, freshLinkSentPage, preferencesPage, tooManyPage } from "../views/reader-pages.tsx";
import {
  changeTimezone,
  deleteMyData,
  emailPreferencesLink,
  exportMyData,
  leaveCourseOf,
  pauseForAWeek,
  PREFERENCES_LINK_REFUSALS,
  preferencesReader,
  readPreferences,
  resumeLessons,
} from "../../commands/preferences.ts";
import { emailSchema } from "../../email-address.ts";
import { DomainError } from "../../errors.ts";

const MESSAGES: Record<string, string> = {
  paused: "Lessons are paused for a week.",
  resumed: "Lessons are back on.",
  left: "You've left the course. Any other course you're in goes on.",
  timezone: "Time zone saved. Your next lesson is re-timed to it.",
};

// Intl's list, the same on Node and Workers; it omits a few aliases such as "UTC".
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];

/**
 * The reader the link in the path is for. A link that cannot open the preferences lands on the
 * page that emails a fresh one (an HTML page whatever the client asked for, as it always was),
 * rather than on the plain error page.
 */
async function readerOf(c: Context<AppEnv>): Promise<string> {
  try {
    return await preferencesReader(servicesFor(c), c.req.param("token") ?? "");
  } catch (error) {
    if (!(error instanceof DomainError) || !PREFERENCES_LINK_REFUSALS.has(error.code)) throw error;
    const status = statusOf(error);
    throw new HTTPException(status, { res: await c.html(freshLinkPage({ heading: error.details.title ?? "", message: error.message }), status) });
  }
}

const backToPreferences = (c: Context<AppEnv>, done: keyof typeof MESSAGES) => c.redirect(`/preferences/${c.req.param("token")}?done=${done}`, 303);

export const preferencesRoutes = new Hono<AppEnv>()
  // Registered before "/:token" so the word is never read as a token.
  .get("/new-link", (c) =>
    c.html(freshLinkPage({ heading: "Get a link to your preferences", message: "Enter your address and we'll email you a link to manage your lessons and your data." })),
  )
  .post("/new-link", async (c) => {
    const { deps } = c.var;
    const { email: raw } = newLinkForm.parse(await c.req.parseBody().catch(() => ({})));
    const parsed = emailSchema.safeParse(raw);
    if (!parsed.success) {
      const error = parsed.error.issues[0]?.message ?? "That doesn't look like an email address.";
      return c.html(freshLinkPage({ heading: "Get a link to your preferences", message: "Enter your address and we'll email you a fresh link.", error, email: raw.slice(0, 254) }), 422);
    }
    const verdict = (await deps.signupLimiter?.checkLinkRequest(deps.clientIp?.(c) ?? null, parsed.data)) ?? { allowed: true };
    if (!verdict.allowed) {
      c.header("Retry-After", String(verdict.retryAfterSeconds));
      return c.html(tooManyPage(verdict.retryAfterSeconds, "link-requests"), 429);
    }
    await emailPreferencesLink(servicesFor(c), { email: parsed.data });
    // The same page whether or not the address is a reader: this form must not tell who is.
    return c.html(freshLinkSentPage());
  })
  .get("/:token", async (c) => {
    const subscriberId = await readerOf(c);
    const { subscriber, unsubscribeToken, courses } = await readPreferences(servicesFor(c), subscriberId);
    return c.html(preferencesPage(c.req.param("token"), unsubscribeToken, subscriber, { courses, message: MESSAGES[c.req.query("done") ?? ""] }, ZONES));
  })
  .post("/:token/pause", async (c) => {
    const subscriberId = await readerOf(c);
    const { course } = courseForm.parse(await c.req.parseBody().catch(() => ({})));
    await pauseForAWeek(servicesFor(c), { subscriberId, course, meta: whoAsked(c) });
    return backToPreferences(c, "paused");
  })
  .post("/:token/resume", async (c) => {
    const subscriberId = await readerOf(c);
    const { course } = courseForm.parse(await c.req.parseBody().catch(() => ({})));
    await resumeLessons(servicesFor(c), { subscriberId, course });
    return backToPreferences(c, "resumed");
  })
  .post("/:token/leave", async (c) => {
    const subscriberId = await readerOf(c);
    const { course } = courseForm.parse(await c.req.parseBody().catch(() => ({})));
    await leaveCourseOf(servicesFor(c), { subscriberId, course, meta: whoAsked(c) });
    return backToPreferences(c, "left");
  })
  .post("/:token/timezone", async (c) => {
    const subscriberId = await readerOf(c);
    const { timezone } = timezoneForm.parse(await c.req.parseBody());
    await changeTimezone(servicesFor(c), { subscriberId, timezone, meta: whoAsked(c) });
    return backToPreferences(c, "timezone");
  })
  .get("/:token/data.json", async (c) => {
    const subscriberId = await readerOf(c);
    const data = await exportMyData(servicesFor(c), subscriberId);
    c.header("Content-Disposition", 'attachment; filename="lessonpost-my-data.json"');
    c.header("Cache-Control", "no-store");
    return c.json(data);
  })
  .post("/:token/delete", async (c) => {
    const subscriberId = await readerOf(c);
    const { confirmed } = deleteForm.parse(await c.req.parseBody());
    await deleteMyData(servicesFor(c), { subscriberId, confirmed });
    return c.html(deletedPage());
  });
