import { GUARD_CHECK_EVERY_MS, guardLevel, guardWindow, formatRate, pauseReason, shouldPause } from "../domain/sending-guard.ts";
import type { ComplaintCounts, GuardLevel, GuardWindow } from "../domain/sending-guard.ts";
import { conflict } from "../errors.ts";
import {
  complaintCounts,
  complaintsReceivedSince,
  lastGuardCheck,
  lastSendingResume,
  recordSendingPaused,
  resumeSendingPause,
  sendingPauseInForce,
  storeGuardCheck,
} from "../store/sending-guard.ts";
import type { SendingPause } from "../store/sending-guard.ts";
import { emit } from "./emit-event.ts";
import type { Services } from "./services.ts";

export type { SendingPause } from "../store/sending-guard.ts";

type GuardServices = Pick<Services, "db" | "log" | "now">;

export interface ComplaintCheck {
  level: GuardLevel;
  counts: ComplaintCounts;
  window: GuardWindow;
  checkedAt: number;
  /** The pause in force after this check (made by it or earlier). */
  pause: SendingPause | undefined;
  /** True when this very check paused sending. */
  pausedNow: boolean;
}

/**
 * Counts complaints over the last 7 days, pauses course and newsletter mail at 0.3% (see
 * shouldPause for what a resume changes), and keeps the result for the console's warning. Run
 * after every complaint the provider reports and, at most once a minute, by the tick.
 */
export async function checkComplaintRate(services: GuardServices): Promise<ComplaintCheck> {
  const { db } = services;
  const now = services.now();
  const window = guardWindow(now);
  const counts = await complaintCounts(db, window.start, window.end);
  const level = guardLevel(counts);
  let pause = await sendingPauseInForce(db);
  let pausedNow = false;
  if (level === "pause" && !pause) {
    const lastResumedAt = await lastSendingResume(db);
    const complaintsSinceResume = lastResumedAt === null ? 0 : await complaintsReceivedSince(db, lastResumedAt, window.start);
    if (shouldPause({ level, inForce: false, lastResumedAt, complaintsSinceResume })) {
      const made = await recordSendingPaused(db, { ...counts, windowStart: window.start, windowEnd: window.end, reason: pauseReason(counts, window) }, now);
      pausedNow = made !== undefined;
      pause = made ?? (await sendingPauseInForce(db));
      if (made) services.log.warn("sending paused: complaint rate", { rate: formatRate(counts), complaints: counts.complaints, delivered: counts.delivered, pause: made.id });
      if (made) await emit(services, { type: "sending.paused", dedupeKey: `sending.paused:${made.id}`, data: { pauseId: made.id, reason: "complaint_rate", rate: formatRate(counts), complaints: counts.complaints, delivered: counts.delivered } });
    }
  }
  await storeGuardCheck(db, { level, complaints: counts.complaints, delivered: counts.delivered, window_start: window.start, window_end: window.end, checked_at: now });
  return { level, counts, window, checkedAt: now, pause, pausedNow };
}

/**
 * The tick's view: checks the rate when the last check is a minute old (or from a clock that has
 * since gone back), and says whether course and newsletter mail is paused.
 */
export async function sendingPausedForTick(services: GuardServices, everyMs = GUARD_CHECK_EVERY_MS): Promise<boolean> {
  const now = services.now();
  const last = await lastGuardCheck(services.db);
  if (!last || now - last.checked_at >= everyMs || now < last.checked_at) return (await checkComplaintRate(services)).pause !== undefined;
  return (await sendingPauseInForce(services.db)) !== undefined;
}

export interface SendingStatus {
  /** The pause in force, if any. */
  pause: SendingPause | undefined;
  /** The latest check, if one ran yet. */
  check: { level: GuardLevel; counts: ComplaintCounts; window: GuardWindow; checkedAt: number } | undefined;
}

/** What the console's banner and `GET /admin/api/sending` show: two one-row reads. */
export async function sendingStatus(services: Pick<Services, "db">): Promise<SendingStatus> {
  const [pause, last] = await Promise.all([sendingPauseInForce(services.db), lastGuardCheck(services.db)]);
  return {
    pause,
    check: last && {
      level: last.level as GuardLevel,
      counts: { complaints: last.complaints, delivered: last.delivered },
      window: { start: last.window_start, end: last.window_end },
      checkedAt: last.checked_at,
    },
  };
}

/**
 * An admin lets course and newsletter mail go again: parked emails are offered by the next tick.
 * `by` says which door they used (there are no named admins): "console", "api" or "cli (<user>)".
 * Refused when nothing is paused, so a script learns that its resume did nothing.
 */
export async function resumeSending(services: GuardServices, by: string): Promise<SendingPause> {
  const resumed = await resumeSendingPause(services.db, by, services.now());
  if (!resumed) throw conflict("sending_not_paused", "Sending is not paused.", "Nothing to resume");
  services.log.info("sending resumed by admin", { pause: resumed.id, by });
  return resumed;
}
