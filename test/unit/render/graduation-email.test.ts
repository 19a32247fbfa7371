import { describe, expect, it } from "vitest";
import { renderGraduationEmail } from "../../../src/render/emails.ts";
import {
  HOSTILE_NAMES,
  POSTAL_ADDRESS,
  PREFERENCES_URL,
  UNSUBSCRIBE_URL,
  course,
  expectNameNeutralised,
  hrefs,
  visibleText,
} from "./fixtures.ts";

function render(name: string | null = "Dana", c = course()) {
  return renderGraduationEmail({
    course: c,
    recipient: { email: "dana@example.com", name },
    unsubscribeUrl: UNSUBSCRIBE_URL,
    preferencesUrl: PREFERENCES_URL,
  });
}

describe("renderGraduationEmail", () => {
  it("uses the course's graduation subject", () => {
    expect(render().subject).toBe("You finished The Harbour Course");
  });

  it("congratulates the reader and recaps every lesson with its author in both parts", () => {
    const { html, text } = render();
    const visible = visibleText(html);
    for (const part of [visible, text]) {
      expect(part).toContain("You made it to the end, Dana.");
      expect(part).toContain("That was the last of the 3 lessons in The Harbour Course.");
      for (const title of ["First Light", "Lanterns & Harbours", "Open Water"]) expect(part).toContain(title);
      expect(part).toContain("Dr. Keren Sofer");
    }
    expect(html.match(/<li\b/g)).toHaveLength(3);
    expect(text).toContain(
      "1. First Light (Dr. Keren Sofer)\n2. Lanterns & Harbours (Dr. Keren Sofer)\n3. Open Water (Dr. Keren Sofer)",
    );
  });

  it("invites replies only when the course has a reply-to address", () => {
    expect(render().text).toContain("reply to this email");
    const noReply = render("Dana", course({ sender: { name: "Harbour Letters" } }));
    expect(noReply.text).not.toContain("reply to this email");
    expect(visibleText(noReply.html)).not.toContain("reply to this email");
  });

  it("carries the same footer as lessons: reason, unsubscribe, preferences, postal address", () => {
    const { html, text } = render();
    expect(hrefs(html)).toEqual(expect.arrayContaining([UNSUBSCRIBE_URL, PREFERENCES_URL]));
    expect(text).toContain(`Unsubscribe: ${UNSUBSCRIBE_URL}`);
    expect(text).toContain(`Email preferences: ${PREFERENCES_URL}`);
    expect(visibleText(html)).toContain(POSTAL_ADDRESS);
    expect(text).toContain(POSTAL_ADDRESS);
    expect(text).toContain("You’re receiving this because you signed up for The Harbour Course");
  });

  it("links each lesson to the reader's own web version where there is one, and the email to its own", () => {
    const web = "https://lp.test/email/tok-grad?x=1&y=2";
    const lessonUrls = ["https://lp.test/email/tok-l1", "", "https://lp.test/email/tok-l3?a=1&b=2"];
    const { html, text } = renderGraduationEmail({
      course: course(),
      recipient: { email: "dana@example.com", name: "Dana" },
      unsubscribeUrl: UNSUBSCRIBE_URL,
      webVersionUrl: web,
      lessonWebVersionUrls: lessonUrls,
    });
    expect(hrefs(html)).toEqual(expect.arrayContaining([web, lessonUrls[0], lessonUrls[2]]));
    expect(html).toMatch(/>First Light<\/a>/);
    expect(html).not.toMatch(/>Lanterns &amp; Harbours<\/a>/);
    expect(text).toContain(
      `1. First Light (Dr. Keren Sofer)\n   ${lessonUrls[0]}\n2. Lanterns & Harbours (Dr. Keren Sofer)\n3. Open Water (Dr. Keren Sofer)\n   ${lessonUrls[2]}`,
    );
    expect(text).toContain(`View in your browser: ${web}`);
  });

  it("escapes and neutralises hostile recipient names", () => {
    for (const name of HOSTILE_NAMES) expectNameNeutralised(render(name));
    expect(render(HOSTILE_NAMES[0]).html).toContain("&lt;script&gt;");
    expect(render(null).text).toContain("You made it to the end.");
  });
});
