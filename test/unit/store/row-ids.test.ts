import { describe, expect, it } from "vitest";
import { timeOrderedId } from "../../../src/store/row-ids.ts";

describe("ids of rows written in bulk", () => {
  it("sort as text in the order they were made, so each new row's key goes at the end of its index", () => {
    const ids = Array.from({ length: 2_000 }, () => timeOrderedId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("are UUIDs (version 7) that fit the columns and checks made for random ones", () => {
    expect(timeOrderedId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("carry fresh random bits in each id, past the 256 ids one draw of random bytes covers", () => {
    const tails = Array.from({ length: 1_000 }, () => timeOrderedId().slice(-12));
    expect(new Set(tails).size).toBe(tails.length);
  });
});
