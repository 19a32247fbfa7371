import { queueConfirmReminders } from "../store/confirm-reminders.ts";
import type { Services } from "./services.ts";

const HOUR_MS = 3600_000;

/**
 * How far past the reminder's time a pending reader may still get it. Beyond this the signup is
 * stale: a deployment that turns reminders on (or a tick that was down for weeks) does not write
 * to everyone who ever left a signup unconfirmed.
 */
export const REMINDER_LATE_LIMIT_MS = 7 * 24 * HOUR_MS;

/** Readers per database round trip; the tick runs every second, so a backlog drains in a few. */
const PAGE = 500;

/**
 * One reminder, never two, to readers who have not confirmed `afterHours` hours after their
 * confirmation email (0 turns it off). It is a ledger row under a unique key per reader, so it
 * exists once however often the tick runs; the send worker drops it if the reader has confirmed
 * or left by the time it goes out. Returns the new rows' ids.
 */
export async function remindUnconfirmed(services: Pick<Services, "db" | "now">, options: { afterHours: number; limit?: number }): Promise<{ sendIds: string[] }> {
  if (options.afterHours <= 0) return { sendIds: [] };
  const now = services.now();
  const until = now - options.afterHours * HOUR_MS;
  const sendIds = await queueConfirmReminders(services.db, { from: until - REMINDER_LATE_LIMIT_MS, until }, options.limit ?? PAGE, now);
  return { sendIds };
}
