import type { SendingPause, SendingStatus } from "../../commands/sending-guard.ts";
import { complaintRate, GUARD_MIN_DELIVERED, GUARD_WINDOW_MS, PAUSE_PER_THOUSAND, WARN_PER_THOUSAND } from "../../domain/sending-guard.ts";

const iso = (at: number | null) => (at === null ? null : new Date(Number(at)).toISOString());

/** One automatic pause, as the API shows it (times in ISO 8601). */
export function presentSendingPause(pause: SendingPause) {
  return {
    id: pause.id,
    pausedAt: iso(pause.paused_at),
    reason: pause.reason,
    complaints: pause.complaints,
    delivered: pause.delivered,
    rate: complaintRate(pause),
    window: { start: iso(pause.window_start), end: iso(pause.window_end) },
    resumedAt: iso(pause.resumed_at),
    resumedBy: pause.resumed_by,
  };
}

/** `GET /admin/api/sending`: is course and newsletter mail paused, and the latest complaint-rate check. */
export function presentSendingStatus(status: SendingStatus) {
  const { pause, check } = status;
  return {
    paused: pause !== undefined,
    pause: pause ? presentSendingPause(pause) : null,
    check: check
      ? {
          level: check.level,
          complaints: check.counts.complaints,
          delivered: check.counts.delivered,
          rate: complaintRate(check.counts),
          window: { start: iso(check.window.start), end: iso(check.window.end) },
          checkedAt: iso(check.checkedAt),
        }
      : null,
    rules: { windowDays: GUARD_WINDOW_MS / 86_400_000, minimumDelivered: GUARD_MIN_DELIVERED, warnRate: WARN_PER_THOUSAND / 1000, pauseRate: PAUSE_PER_THOUSAND / 1000 },
  };
}
