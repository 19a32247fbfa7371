import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { dueAt, isValidTimezone, minimumGapMs, nextSendAt, nextSlot, resolveTimezone, sendableAt } from "../../src/domain/schedule.ts";
import type { ScheduleRules } from "../../src/domain/schedule.ts";

const everyDay: ScheduleRules = { sendHour: 9, weekdays: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] };
const local = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd HH:mm ccc");

describe("dueAt", () => {
  it("sends day 0 at confirmation", () => {
    const confirmed = Date.UTC(2026, 2, 3, 17, 42);
    expect(dueAt(confirmed, 0, "Europe/Paris", everyDay)).toBe(confirmed);
  });

  it("sends later days at the send hour in the reader's own zone", () => {
    const confirmed = DateTime.fromISO("2026-03-03T17:42", { zone: "Asia/Tokyo" }).toMillis();
    expect(local(dueAt(confirmed, 7, "Asia/Tokyo", everyDay), "Asia/Tokyo")).toBe("2026-03-10 09:00 Tue");
    const ny = DateTime.fromISO("2026-03-03T17:42", { zone: "America/New_York" }).toMillis();
    expect(local(dueAt(ny, 7, "America/New_York", everyDay), "America/New_York")).toBe("2026-03-10 09:00 Tue");
  });

  it("keeps 09:00 local across the spring-forward change", () => {
    // US clocks jump from 02:00 to 03:00 on 2026-03-08.
    const confirmed = DateTime.fromISO("2026-03-05T12:00", { zone: "America/New_York" }).toMillis();
    const due = dueAt(confirmed, 7, "America/New_York", everyDay);
    expect(local(due, "America/New_York")).toBe("2026-03-12 09:00 Thu");
    expect(due - confirmed).toBe((7 * 24 - 3 - 1) * 3600 * 1000);
  });

  it("keeps 09:00 local across the fall-back change", () => {
    // EU clocks go back from 03:00 to 02:00 on 2026-10-25.
    const confirmed = DateTime.fromISO("2026-10-22T09:00", { zone: "Europe/Berlin" }).toMillis();
    const due = dueAt(confirmed, 7, "Europe/Berlin", everyDay);
    expect(local(due, "Europe/Berlin")).toBe("2026-10-29 09:00 Thu");
    expect(due - confirmed).toBe((7 * 24 + 1) * 3600 * 1000);
  });

  it("moves a send hour that DST skips to a real time", () => {
    const rules: ScheduleRules = { ...everyDay, sendHour: 2 };
    const confirmed = DateTime.fromISO("2026-03-07T12:00", { zone: "America/New_York" }).toMillis();
    const due = DateTime.fromMillis(dueAt(confirmed, 1, "America/New_York", rules), { zone: "America/New_York" });
    expect(due.toISODate()).toBe("2026-03-08");
    expect(due.hour).toBe(3);
  });

  it("waits for the next allowed weekday", () => {
    const weekdaysOnly: ScheduleRules = { ...everyDay, weekdays: ["mon", "tue", "wed", "thu", "fri"] };
    // Day 3 after a Wednesday is a Saturday: it goes out on Monday.
    const confirmed = DateTime.fromISO("2026-11-25T10:00", { zone: "Europe/London" }).toMillis();
    expect(local(dueAt(confirmed, 3, "Europe/London", weekdaysOnly), "Europe/London")).toBe("2026-11-30 09:00 Mon");
  });

  it("compresses days when daySeconds is set, ignoring hour and weekday", () => {
    const rules: ScheduleRules = { sendHour: 9, weekdays: ["mon"], daySeconds: 2 };
    expect(dueAt(1_000_000, 7, "Asia/Kolkata", rules)).toBe(1_000_000 + 14_000);
  });
});

describe("gap and catch-up", () => {
  it("never schedules two emails closer than one day", () => {
    const lastSent = Date.UTC(2026, 0, 10, 9);
    expect(nextSendAt(Date.UTC(2026, 0, 10, 12), lastSent, "UTC", everyDay)).toBe(lastSent + 24 * 3600 * 1000);
    expect(nextSendAt(Date.UTC(2026, 0, 20, 9), lastSent, "UTC", everyDay)).toBe(Date.UTC(2026, 0, 20, 9));
  });

  it("moves a catch-up email pushed back by the gap to the next send-hour slot on an allowed day", () => {
    const weekdaysOnly: ScheduleRules = { ...everyDay, weekdays: ["mon", "tue", "wed", "thu", "fri"] };
    // The last catch-up email went on Friday 14:37 Paris time; the next can't go before Saturday 14:37,
    // and Saturday and Sunday are closed: Monday 09:00.
    const lastSent = DateTime.fromISO("2026-11-27T14:37", { zone: "Europe/Paris" }).toMillis();
    const overdue = DateTime.fromISO("2026-11-20T09:00", { zone: "Europe/Paris" }).toMillis();
    expect(local(nextSendAt(overdue, lastSent, "Europe/Paris", weekdaysOnly), "Europe/Paris")).toBe("2026-11-30 09:00 Mon");
  });

  it("holds an overdue email found on a closed weekday until the next allowed send hour", () => {
    const weekdaysOnly: ScheduleRules = { ...everyDay, weekdays: ["mon", "tue", "wed", "thu", "fri"] };
    const saturday = DateTime.fromISO("2026-11-28T11:00", { zone: "America/Chicago" }).toMillis();
    expect(local(sendableAt(saturday, "America/Chicago", weekdaysOnly), "America/Chicago")).toBe("2026-11-30 09:00 Mon");
    const tuesday = DateTime.fromISO("2026-12-01T23:00", { zone: "America/Chicago" }).toMillis();
    expect(sendableAt(tuesday, "America/Chicago", weekdaysOnly)).toBe(tuesday);
  });

  it("finds the next slot across a DST change", () => {
    const beforeChange = DateTime.fromISO("2026-03-28T10:00", { zone: "Europe/Berlin" }).toMillis();
    expect(local(nextSlot(beforeChange, "Europe/Berlin", everyDay), "Europe/Berlin")).toBe("2026-03-29 09:00 Sun");
  });

  it("scales the gap with compressed days, with no hour or weekday rules", () => {
    expect(minimumGapMs({ ...everyDay, daySeconds: 3 })).toBe(3000);
    expect(nextSendAt(0, 10_000, "UTC", { ...everyDay, daySeconds: 3 })).toBe(13_000);
    expect(sendableAt(123, "UTC", { ...everyDay, weekdays: ["mon"], daySeconds: 3 })).toBe(123);
  });
});

describe("time zones", () => {
  it("accepts IANA names and rejects everything else", () => {
    expect(isValidTimezone("Europe/Paris")).toBe(true);
    expect(isValidTimezone("America/Argentina/Buenos_Aires")).toBe(true);
    expect(isValidTimezone("Mars/Olympus")).toBe(false);
    expect(isValidTimezone("")).toBe(false);
    expect(isValidTimezone("<script>")).toBe(false);
    expect(resolveTimezone("nope", "UTC")).toBe("UTC");
    expect(resolveTimezone(undefined, "Europe/Oslo")).toBe("Europe/Oslo");
  });
});
