import { DateTime, IANAZone } from "luxon";
import type { Weekday } from "../content/schema.ts";

/**
 * When a lesson is due, in the reader's own time zone. Pure functions of their inputs so the
 * calendar rules can be tested without a clock, a database or Redis.
 */

export interface ScheduleRules {
  /** Local hour at which lessons go out (ignored when daySeconds is set). */
  sendHour: number;
  /** Weekdays on which lessons may go out (ignored when daySeconds is set). */
  weekdays: readonly Weekday[];
  /** Compressed calendar for demos and tests: one course day lasts this many seconds. */
  daySeconds?: number | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function isValidTimezone(zone: string | null | undefined): zone is string {
  if (typeof zone !== "string" || zone.length === 0 || zone.length > 64) return false;
  // luxon checks by constructing an Intl.DateTimeFormat, about 50 µs a call: remember the answer.
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (zoneValidity.size >= 1_000) zoneValidity.clear();
    zoneValidity.set(zone, valid);
  }
  return valid;
}

const zoneValidity = new Map<string, boolean>();

/** The reader's zone when it is a real IANA name, else the course default. */
export function resolveTimezone(zone: string | null | undefined, courseDefault: string): string {
  return isValidTimezone(zone) ? zone : courseDefault;
}

/**
 * Due time of the email placed on `day` of the course for a reader who confirmed at `startedAt`.
 * Day 0 goes out at confirmation. Later days go out at the send hour, local time, on the first
 * allowed weekday on or after the calendar day; luxon resolves hours that DST skips or repeats.
 */
export function dueAt(startedAt: number, day: number, zone: string, rules: ScheduleRules): number {
  if (rules.daySeconds !== undefined) return startedAt + day * rules.daySeconds * 1000;
  if (day === 0) return startedAt;
  // Every UTC offset in use is a multiple of 15 minutes, so all confirmations within one UTC
  // quarter-hour share a local calendar date, and therefore the same due time.
  const key = `${zone}|${Math.floor(startedAt / QUARTER_HOUR)}|${day}|${rules.sendHour}|${rules.weekdays.join()}`;
  const cached = dueCache.get(key);
  if (cached !== undefined) return cached;
  const due = computeDueAt(startedAt, day, zone, rules);
  if (dueCache.size >= CACHE_LIMIT) dueCache.clear();
  dueCache.set(key, due);
  return due;
}

// luxon's zone arithmetic costs tens of microseconds a call: at 100,000 due readers a tick it
// dominates, and readers who confirmed around the same time ask the same question.
const QUARTER_HOUR = 15 * 60 * 1000;
const CACHE_LIMIT = 100_000;
const dueCache = new Map<string, number>();

function computeDueAt(startedAt: number, day: number, zone: string, rules: ScheduleRules): number {
  let local = DateTime.fromMillis(startedAt, { zone })
    .startOf("day")
    .plus({ days: day })
    .set({ hour: rules.sendHour, minute: 0, second: 0, millisecond: 0 });
  for (let i = 0; i < 7 && !allowed(local, rules); i++) {
    local = local.plus({ days: 1 }).set({ hour: rules.sendHour });
  }
  return local.toMillis();
}

/** Smallest time allowed between two emails to one reader: one course day. */
export function minimumGapMs(rules: ScheduleRules): number {
  return rules.daySeconds !== undefined ? rules.daySeconds * 1000 : DAY_MS;
}

function allowed(local: DateTime, rules: ScheduleRules): boolean {
  return rules.weekdays.includes(WEEKDAYS[local.weekday - 1]!);
}

/** The first send-hour slot on an allowed weekday at or after `at`. */
export function nextSlot(at: number, zone: string, rules: ScheduleRules): number {
  if (rules.daySeconds !== undefined) return at;
  const local = DateTime.fromMillis(at, { zone });
  let slot = local.set({ hour: rules.sendHour, minute: 0, second: 0, millisecond: 0 });
  if (slot.toMillis() < at) slot = slot.plus({ days: 1 }).set({ hour: rules.sendHour });
  for (let i = 0; i < 7 && !allowed(slot, rules); i++) slot = slot.plus({ days: 1 }).set({ hour: rules.sendHour });
  return slot.toMillis();
}

/**
 * When an overdue email may go out at `now`: at once on an allowed weekday, else at the send hour
 * of the next allowed one.
 */
export function sendableAt(now: number, zone: string, rules: ScheduleRules): number {
  if (rules.daySeconds !== undefined) return now;
  // The local weekday is constant within a UTC quarter-hour (see dueAt).
  const key = `${zone}|${Math.floor(now / QUARTER_HOUR)}|${rules.weekdays.join()}`;
  let open = openCache.get(key);
  if (open === undefined) {
    open = allowed(DateTime.fromMillis(now, { zone }), rules);
    if (openCache.size >= CACHE_LIMIT) openCache.clear();
    openCache.set(key, open);
  }
  return open ? now : nextSlot(now, zone, rules);
}

const openCache = new Map<string, boolean>();

/**
 * When the next email actually goes: on schedule, but never sooner than the minimum gap after the
 * previous one; a time pushed back by the gap moves on to the next send-hour slot. After downtime
 * this turns a backlog into one overdue lesson now and the rest spaced out, instead of a burst.
 */
export function nextSendAt(scheduledAt: number, lastSentAt: number | null, zone: string, rules: ScheduleRules): number {
  if (lastSentAt === null) return scheduledAt;
  const earliest = lastSentAt + minimumGapMs(rules);
  return earliest <= scheduledAt ? scheduledAt : nextSlot(earliest, zone, rules);
}

/**
 * The reader's local calendar day of `at` ("2026-03-02" in their zone), the unit of the
 * one-lesson-a-day rule across courses. A compressed calendar has no dates: null there, and the
 * rule falls back to one course day between emails (see otherCourseWait in due-decisions.ts).
 */
export function localDay(at: number, zone: string, rules: Pick<ScheduleRules, "daySeconds">): string | null {
  if (rules.daySeconds !== undefined) return null;
  return DateTime.fromMillis(at, { zone }).toISODate();
}

/** The first send-hour slot on an allowed weekday of a local day after the one `at` falls on. */
export function slotAfterDay(at: number, zone: string, rules: ScheduleRules): number {
  if (rules.daySeconds !== undefined) return at + minimumGapMs(rules);
  return nextSlot(DateTime.fromMillis(at, { zone }).startOf("day").plus({ days: 1 }).toMillis(), zone, rules);
}
