import { Hono } from "hono";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { consentMeta } from "./unsubscribe.ts";
import { deletedPage, freshLinkPage, freshLinkSentPage, preferencesPage, tooManyPage } from "../views/reader-pages.tsx";
import { dispatchQuietly } from "../../commands/dispatch.ts";
import { emailSchema } from "../../email-address.ts";
import { eraseEverywhere } from "../../erasure.ts";
import { isValidTimezone } from "../../domain/schedule.ts";
import { pauseEnrollment, resumeEnrollment } from "../../store/enrollments.ts";
import { exportReaderData } from "../../store/reader-data.ts";
import { findSubscriber, recordConsent, requestPreferencesLink } from "../../store/subscribers.ts";
import { unsubscribeToken, verifyToken } from "../../tokens.ts";

const DAY_MS = 24 * 3600 * 1000;
const MESSAGES: Record<string, string> = {
  paused: "Lessons are paused for a week.",
  resumed: "Lessons are back on.",
  timezone: "Time zone saved. Your next lesson is re-timed to it.",
};

// Intl's list, the same on Node and Workers; it omits a few aliases such as "UTC".
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];

/**
 * The reader a preferences link is for. Only a preferences token opens these pages: the
 * unsubscribe token travels in every email's headers and every forward, so it may not reach the
 * reader's data. Anything else lands on the page that emails a fresh link.
 */
async function readerFrom(c: Context<AppEnv>): Promise<string> {
  const check = await verifyToken(c.var.deps.secretKey, c.req.param("token") ?? "", "preferences", c.var.now);
  if (check.ok) return check.claims.subject;
  const [status, heading, message] =
    check.reason === "expired"
      ? ([410, "This link has expired", "Links to your preferences work for 30 days. Enter your address and we'll email you a fresh one."] as const)
      : ([400, "This link can't open your preferences", "It may be cut off, or it is an unsubscribe link, which can only unsubscribe. Enter your address and we'll email you a link to your preferences."] as const);
  throw new HTTPException(status, { res: await c.html(freshLinkPage({ heading, message }), status) });
}

export const preferencesRoutes = new Hono<AppEnv>()
  // Registered before "/:token" so the word is never read as a token.
  .get("/new-link", (c) =>
    c.html(freshLinkPage({ heading: "Get a link to your preferences", message: "Enter your address and we'll email you a link to manage your lessons and your data." })),
  )
  .post("/new-link", async (c) => {
    const { deps, now } = c.var;
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const raw = typeof body.email === "string" ? body.email : "";
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
    const sendId = await requestPreferencesLink(deps.db, parsed.data, now, { enqueuedAt: deps.dispatcher ? now : null });
    if (sendId) await dispatchQuietly(deps, [sendId], { alreadyMarked: true });
    // The same page whether or not the address is a reader: this form must not tell who is.
    return c.html(freshLinkSentPage());
  })
  .get("/:token", async (c) => {
    const { deps } = c.var;
    const subscriberId = await readerFrom(c);
    const subscriber = await findSubscriber(deps.db, subscriberId);
    if (!subscriber) throw new AppError(404, "not_found", "We hold no data for this link any more.", "Nothing here");
    const enrollment = await deps.db.selectFrom("enrollments").select(["status", "paused_until"]).where("subscriber_id", "=", subscriberId).where("course_slug", "=", deps.course.slug).executeTakeFirst();
    return c.html(
      preferencesPage(
        deps.course,
        c.req.param("token"),
        await unsubscribeToken(deps.secretKey, subscriberId),
        subscriber,
        { paused: enrollment?.status === "paused", pausedUntil: enrollment?.paused_until ?? null, enrolled: enrollment?.status === "active" || enrollment?.status === "paused", message: MESSAGES[c.req.query("done") ?? ""] },
        ZONES,
      ),
    );
  })
  .post("/:token/pause", async (c) => {
    const { deps, now } = c.var;
    const subscriberId = await readerFrom(c);
    const enrollment = await deps.db.selectFrom("enrollments").select("id").where("subscriber_id", "=", subscriberId).where("course_slug", "=", deps.course.slug).executeTakeFirst();
    const week = 7 * (deps.courseDaySeconds ? deps.courseDaySeconds * 1000 : DAY_MS);
    if (!enrollment || !(await pauseEnrollment(deps.db, enrollment.id, now, now + week))) {
      throw new AppError(409, "not_active", "There are no lessons to pause right now.", "Nothing to pause");
    }
    await recordConsent(deps.db, subscriberId, "preferences", consentMeta(c, "preferences"), now, { change: "pause-week" });
    return c.redirect(`/preferences/${c.req.param("token")}?done=paused`, 303);
  })
  .post("/:token/resume", async (c) => {
    const { deps, now } = c.var;
    const subscriberId = await readerFrom(c);
    const enrollment = await deps.db.selectFrom("enrollments").select("id").where("subscriber_id", "=", subscriberId).where("course_slug", "=", deps.course.slug).executeTakeFirst();
    if (!enrollment || !(await resumeEnrollment(deps.db, enrollment.id, now))) throw new AppError(409, "not_paused", "Lessons are not paused.", "Not paused");
    return c.redirect(`/preferences/${c.req.param("token")}?done=resumed`, 303);
  })
  .post("/:token/timezone", async (c) => {
    const { deps, now } = c.var;
    const subscriberId = await readerFrom(c);
    const body = await c.req.parseBody();
    const zone = typeof body.timezone === "string" ? body.timezone : "";
    if (!isValidTimezone(zone)) throw new AppError(422, "invalid_timezone", "Choose a time zone from the list.", "Unknown time zone");
    await deps.db.updateTable("subscribers").set({ timezone: zone, updated_at: now }).where("id", "=", subscriberId).execute();
    // Re-time the next lesson: the tick recomputes it against the new zone.
    await deps.db.updateTable("enrollments").set({ next_due_at: now, updated_at: now }).where("subscriber_id", "=", subscriberId).where("status", "=", "active").execute();
    await recordConsent(deps.db, subscriberId, "preferences", consentMeta(c, "preferences"), now, { change: "timezone", timezone: zone });
    return c.redirect(`/preferences/${c.req.param("token")}?done=timezone`, 303);
  })
  .get("/:token/data.json", async (c) => {
    const subscriberId = await readerFrom(c);
    const data = await exportReaderData(c.var.deps.db, subscriberId);
    if (!data) throw new AppError(404, "not_found", "We hold no data for this link any more.", "Nothing here");
    c.header("Content-Disposition", 'attachment; filename="lessonpost-my-data.json"');
    c.header("Cache-Control", "no-store");
    return c.json(data);
  })
  .post("/:token/delete", async (c) => {
    const { deps, now } = c.var;
    const subscriberId = await readerFrom(c);
    const body = await c.req.parseBody();
    if (body.confirm !== "yes") throw new AppError(422, "not_confirmed", "Tick the box to confirm that you want your data deleted.", "Please confirm");
    await eraseEverywhere(deps, subscriberId, now);
    return c.html(deletedPage());
  });
