import { describe, expect, it } from "vitest";
import { renderConfirmEmail } from "../../../src/render/emails.ts";
import {
  CONFIRM_URL,
  HOSTILE_NAMES,
  POSTAL_ADDRESS,
  course,
  expectNameNeutralised,
  hrefs,
  visibleText,
} from "./fixtures.ts";

function render(name: string | null = "Dana") {
  return renderConfirmEmail({
    course: course(),
    recipient: { email: "dana@example.com", name },
    confirmUrl: CONFIRM_URL,
  });
}

describe("renderConfirmEmail", () => {
  it("has the confirm subject", () => {
    expect(render().subject).toBe("Confirm your subscription to The Harbour Course");
  });

  it("links the confirm URL in the HTML and spells it out in the text", () => {
    const { html, text } = render();
    expect(hrefs(html)).toContain(CONFIRM_URL);
    expect(text).toContain(CONFIRM_URL);
    // The fallback copy of the URL is visible text too, for clients that mangle buttons.
    expect(visibleText(html)).toContain(CONFIRM_URL);
  });

  it("has exactly one link: the confirmation", () => {
    expect(hrefs(render().html)).toEqual([CONFIRM_URL]);
  });

  it("is short, transactional and says ignoring it does nothing", () => {
    const { html, text } = render();
    for (const part of [visibleText(html), text]) {
      expect(part).toContain("Please confirm that you’d like to receive The Harbour Course");
      expect(part).toContain("ignore this email and nothing will happen");
      expect(part.toLowerCase()).not.toContain("unsubscribe");
      expect(part).not.toContain("You’re receiving this because");
    }
    expect(text.split(/\s+/).length).toBeLessThan(90);
  });

  it("still identifies the sender with a postal address", () => {
    const { html, text } = render();
    expect(visibleText(html)).toContain(POSTAL_ADDRESS);
    expect(text).toContain(POSTAL_ADDRESS);
  });

  it("escapes and neutralises hostile recipient names", () => {
    for (const name of HOSTILE_NAMES) expectNameNeutralised(render(name));
    expect(render(HOSTILE_NAMES[0]).html).toContain("&lt;script&gt;");
    expect(render(HOSTILE_NAMES[1]).text).toContain("Hi Eve Bcc: x@y,");
  });
});
