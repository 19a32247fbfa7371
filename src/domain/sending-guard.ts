/**
 * The complaint-rate guard's rules, with no I/O. Gmail and Yahoo hold bulk senders to a spam
 * complaint rate under 0.3%; above it their mail is rejected or filtered, and every reader of every
 * course pays for it. So at 0.3% course and newsletter mail stops until an admin looks, and at 0.1%
 * the console warns while there is still room.
 *
 * The rate, precisely: of the ledger rows the provider accepted (`sent_at`) in the last 7 days,
 * complaints = rows with a complaint recorded (`complained_at`), delivered = rows known delivered
 * (`delivered_at`, or a complaint, which proves delivery even if the delivered event never came).
 * A complaint counts for the email it is about: one about an email sent 8 days ago is outside the
 * window, and a reader who complains twice about one email counts once. Below 1,000 delivered the
 * sample is too small to mean anything (3 complaints out of 400 would read as 0.75%): no warning,
 * no pause.
 */

export const GUARD_WINDOW_MS = 7 * 24 * 3600_000;
export const GUARD_MIN_DELIVERED = 1000;
/** Thresholds in complaints per 1,000 delivered, compared in integers: 3 of 1,000 is 0.3% exactly. */
export const WARN_PER_THOUSAND = 1;
export const PAUSE_PER_THOUSAND = 3;
/**
 * The tick re-checks at most this often: a complaint is checked the moment its webhook lands, so
 * the tick only catches what time does (old deliveries leaving the window, the 1,000th delivery).
 */
export const GUARD_CHECK_EVERY_MS = 60_000;

/** What the guard holds back. Confirmations, their reminder and preference links answer a reader's own request and keep flowing. */
export const GUARDED_KINDS = ["lesson", "graduation", "newsletter"] as const;

export function isGuardedKind(kind: string): boolean {
  return (GUARDED_KINDS as readonly string[]).includes(kind);
}

export interface ComplaintCounts {
  complaints: number;
  delivered: number;
}

export interface GuardWindow {
  start: number;
  end: number;
}

/** "too-few": under 1,000 delivered, nothing is decided. */
export type GuardLevel = "too-few" | "ok" | "warn" | "pause";

export function guardWindow(now: number): GuardWindow {
  return { start: now - GUARD_WINDOW_MS, end: now };
}

export function guardLevel(counts: ComplaintCounts): GuardLevel {
  if (counts.delivered < GUARD_MIN_DELIVERED) return "too-few";
  if (counts.complaints * 1000 >= counts.delivered * PAUSE_PER_THOUSAND) return "pause";
  if (counts.complaints * 1000 >= counts.delivered * WARN_PER_THOUSAND) return "warn";
  return "ok";
}

/** complaints / delivered, or null with nothing delivered. */
export function complaintRate(counts: ComplaintCounts): number | null {
  return counts.delivered === 0 ? null : counts.complaints / counts.delivered;
}

/** "0.30%": two decimals, since the thresholds are a tenth of a percent apart. */
export function formatRate(counts: ComplaintCounts): string {
  const rate = complaintRate(counts);
  return rate === null ? "n/a" : `${(rate * 100).toFixed(2)}%`;
}

export interface PauseFacts {
  level: GuardLevel;
  /** A pause already holds: nothing to do. */
  inForce: boolean;
  /** When an admin last resumed sending, if ever. */
  lastResumedAt: number | null;
  /** Complaints counted in the window whose events arrived after that resume. */
  complaintsSinceResume: number;
}

/**
 * Pause now? At the pause level, unless a pause already holds, or an admin resumed with these very
 * figures in front of them: after a resume, the guard pauses again only once a new complaint (one
 * received after the resume, about an email in the window) arrives while the rate is still at or
 * over 0.3%. Otherwise a resume would last until the next check, a minute at most, and the admin
 * could never let the backlog out while the old complaints age out of the window.
 */
export function shouldPause(facts: PauseFacts): boolean {
  if (facts.level !== "pause" || facts.inForce) return false;
  return facts.lastResumedAt === null || facts.complaintsSinceResume > 0;
}

/** The decision in words, kept with the pause and shown in the console. */
export function pauseReason(counts: ComplaintCounts, window: GuardWindow): string {
  return (
    `Complaints reached ${formatRate(counts)} (${counts.complaints} of ${counts.delivered} delivered) of the emails sent ` +
    `from ${new Date(window.start).toISOString()} to ${new Date(window.end).toISOString()}; ` +
    `the limit is ${(PAUSE_PER_THOUSAND / 10).toFixed(1)}%.`
  );
}
