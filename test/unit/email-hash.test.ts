import { describe, expect, it } from "vitest";
import { emailHash } from "../../src/store/suppressions.ts";

describe("emailHash", () => {
  it("hashes on Node exactly as Web Crypto (the Workers path) does, so suppressions match whichever runtime wrote them", async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("reader@exämple.com")));
    expect(await emailHash("  Reader@EXÄMPLE.com ")).toBe(Buffer.from(digest).toString("hex"));
  });
});
