import { describe, expect, it } from "vitest";
import { formatRate, guardLevel, guardWindow, GUARD_WINDOW_MS, isGuardedKind, pauseReason, shouldPause } from "../../src/domain/sending-guard.ts";

describe("the complaint-rate guard's decision", () => {
  it("decides nothing under 1,000 delivered, however high the rate", () => {
    expect(guardLevel({ complaints: 0, delivered: 0 })).toBe("too-few");
    expect(guardLevel({ complaints: 10, delivered: 999 })).toBe("too-few");
    expect(guardLevel({ complaints: 3, delivered: 1000 })).toBe("pause");
  });

  it("is quiet under 0.1%, warns from 0.1%, pauses from 0.3% exactly", () => {
    expect(guardLevel({ complaints: 0, delivered: 1000 })).toBe("ok");
    expect(guardLevel({ complaints: 1, delivered: 1001 })).toBe("ok");
    expect(guardLevel({ complaints: 1, delivered: 1000 })).toBe("warn");
    expect(guardLevel({ complaints: 2, delivered: 1000 })).toBe("warn");
    // 29 of 9,667 is 0.29998%: a hair under the limit still only warns.
    expect(guardLevel({ complaints: 29, delivered: 9667 })).toBe("warn");
    expect(guardLevel({ complaints: 29, delivered: 9666 })).toBe("pause");
    expect(guardLevel({ complaints: 3, delivered: 1000 })).toBe("pause");
    expect(guardLevel({ complaints: 30, delivered: 10_000 })).toBe("pause");
  });

  it("pauses at the limit unless a pause holds already", () => {
    const at = { level: "pause" as const, lastResumedAt: null, complaintsSinceResume: 0 };
    expect(shouldPause({ ...at, inForce: false })).toBe(true);
    expect(shouldPause({ ...at, inForce: true })).toBe(false);
    expect(shouldPause({ ...at, level: "warn", inForce: false })).toBe(false);
    expect(shouldPause({ ...at, level: "too-few", inForce: false })).toBe(false);
  });

  it("after an admin's resume, pauses again only once a new complaint arrives", () => {
    const resumed = { level: "pause" as const, inForce: false, lastResumedAt: 1_000 };
    expect(shouldPause({ ...resumed, complaintsSinceResume: 0 })).toBe(false);
    expect(shouldPause({ ...resumed, complaintsSinceResume: 1 })).toBe(true);
    expect(shouldPause({ ...resumed, level: "warn", complaintsSinceResume: 5 })).toBe(false);
  });

  it("holds back lessons, graduations and newsletters, never what a reader asked for", () => {
    expect(["lesson", "graduation", "newsletter"].every(isGuardedKind)).toBe(true);
    expect(["confirm", "confirm-reminder", "preferences-link"].some(isGuardedKind)).toBe(false);
  });

  it("looks back 7 days and states its reason with the figures", () => {
    const now = Date.parse("2026-11-28T10:00:00Z");
    const window = guardWindow(now);
    expect(window).toEqual({ start: now - GUARD_WINDOW_MS, end: now });
    expect(GUARD_WINDOW_MS).toBe(7 * 24 * 3600_000);
    expect(formatRate({ complaints: 3, delivered: 1000 })).toBe("0.30%");
    expect(pauseReason({ complaints: 3, delivered: 1000 }, window)).toBe(
      "Complaints reached 0.30% (3 of 1000 delivered) of the emails sent from 2026-11-21T10:00:00.000Z to 2026-11-28T10:00:00.000Z; the limit is 0.3%.",
    );
  });
});
