import { describe, expect, it } from "vitest";
import type { EnrollmentStatus, SubscriberStatus } from "../../src/store/database.ts";
import { bucketOf, READER_BUCKETS } from "../../src/store/reader-counts.ts";

const READER: SubscriberStatus[] = ["pending", "active", "unsubscribed", "bounced", "complained", "deleted"];
const ENROLLMENT: (EnrollmentStatus | null)[] = [null, "pending", "active", "paused", "completed", "cancelled"];

describe("bucketOf", () => {
  it("puts every combination of address and course state in exactly one bucket, and an erased reader in none", () => {
    for (const reader of READER) {
      for (const enrollment of ENROLLMENT) {
        const bucket = bucketOf(reader, enrollment);
        if (reader === "deleted") expect(bucket).toBeNull();
        else expect(READER_BUCKETS).toContain(bucket);
      }
    }
  });

  it("lets an address-wide stop win over where the reader is in the course", () => {
    for (const enrollment of ENROLLMENT) {
      expect(bucketOf("unsubscribed", enrollment)).toBe("unsubscribed");
      expect(bucketOf("bounced", enrollment)).toBe("bounced");
      expect(bucketOf("complained", enrollment)).toBe("complained");
      expect(bucketOf("pending", enrollment)).toBe("pending");
    }
  });

  it("reads a confirmed reader's course state as active, paused, finished, left or pending", () => {
    expect(ENROLLMENT.map((e) => bucketOf("active", e))).toEqual(["active", "pending", "active", "paused", "finished", "left"]);
  });
});
