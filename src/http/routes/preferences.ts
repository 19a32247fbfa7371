import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { consentMeta, readerFrom } from "./unsubscribe.ts";
import { deletedPage, preferencesPage } from "../views/reader-pages.ts";
import { isValidTimezone } from "../../scheduler/schedule.ts";
import { pauseEnrollment, resumeEnrollment } from "../../store/enrollments.ts";
import { eraseReader, exportReaderData } from "../../store/reader-data.ts";
import { findSubscriber, recordConsent } from "../../store/subscribers.ts";

const DAY_MS = 24 * 3600 * 1000;
const MESSAGES: Record<string, string> = {
  paused: "Lessons are paused for a week.",
  resumed: "Lessons are back on.",
  timezone: "Time zone saved. Your next lesson is re-timed to it.",
};

// Intl's list, the same on Node and Workers; it omits a few aliases such as "UTC".
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];

/**
 * The preference centre, reached from every email's footer with the reader's own signed link:
 * pause for a week, change time zone, download their data, delete themselves.
 */
export const preferencesRoutes = new Hono<AppEnv>()
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
    await eraseReader(deps.db, subscriberId, now);
    return c.html(deletedPage());
  });
