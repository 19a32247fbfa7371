import { describe, expect, it } from "vitest";
import { niceTicks } from "../../src/http/views/admin/nice-ticks.ts";

describe("niceTicks", () => {
  it("steps by 1, 2 or 5 times a power of ten, from 0 to the first tick at or above the maximum", () => {
    expect(niceTicks(50)).toEqual([0, 20, 40, 60]);
    expect(niceTicks(37)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(18)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(20)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(1200)).toEqual([0, 500, 1000, 1500]);
  });

  it("never steps by less than one whole reader or email", () => {
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(1)).toEqual([0, 1]);
  });

  it("draws a usable axis for an empty chart", () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });

  it("covers the maximum with its last tick, for any maximum", () => {
    for (let max = 1; max <= 2000; max += 7) {
      const ticks = niceTicks(max);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(ticks.at(-2)!).toBeLessThan(max);
      const step = ticks[1]!;
      expect(Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(3))).toSatisfy((m: number) => [1, 2, 5].includes(m));
    }
  });
});
