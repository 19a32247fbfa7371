import { describe, expect, it } from "vitest";
import { renderNewsletterEmail } from "../../../src/render/emails.ts";
import {
  HOSTILE_NAMES,
  POSTAL_ADDRESS,
  UNSUBSCRIBE_URL,
  course,
  expectNameNeutralised,
  hrefs,
  visibleText,
} from "./fixtures.ts";

const NEWSLETTER = [
  "# Harbour notes",
  "The gulls have *opinions* about the new **pier**.",
  "<script>alert('pwned')</script>",
  'Inline <img src=x onerror="alert(1)"> markup and <a href="javascript:alert(2)">a raw link</a>.',
  "[Click me](javascript:alert(3)) and [also me](JAVASCRIPT:alert(4)) and [data](data:text/html;base64,PHNjcmlwdD4=) and [relative](/admin).",
  "[Safe page](https://lp.test/read?x=1&y=2) or [write to us](mailto:hello@lp.test).",
].join("\n\n");

function render(markdown = NEWSLETTER, subject = "Harbour notes, June", name: string | null = "Dana") {
  return renderNewsletterEmail({
    course: course(),
    recipient: { email: "dana@example.com", name },
    subject,
    markdown,
    unsubscribeUrl: UNSUBSCRIBE_URL,
  });
}

describe("renderNewsletterEmail", () => {
  it("uses the given subject, stripped of line breaks", () => {
    expect(render().subject).toBe("Harbour notes, June");
    expect(render(NEWSLETTER, "Hello\r\nBcc: everyone@lp.test").subject).toBe("Hello Bcc: everyone@lp.test");
  });

  it("renders the Markdown body in both parts", () => {
    const { html, text } = render();
    expect(html).toMatch(/<h1[^>]*>Harbour notes<\/h1>/);
    expect(html).toContain("The gulls have <em>opinions</em> about the new <strong>pier</strong>.");
    expect(text).toContain("Harbour notes\n=============");
    expect(text).toContain("The gulls have opinions about the new pier.");
  });

  it("escapes raw HTML instead of passing it through", () => {
    const { html } = render();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img[^>]*onerror/i);
    expect(html).not.toMatch(/<a [^>]*javascript:/i);
    expect(html).toContain("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("drops javascript:, data: and relative links but keeps their text", () => {
    const { html, text } = render();
    const links = hrefs(html);
    expect(links.filter((href) => /^(javascript|data):|^\//i.test(href))).toEqual([]);
    expect(visibleText(html)).toContain("Click me and also me and data and relative.");
    expect(text).toContain("Click me and also me and data and relative.");
    // Raw HTML stays literal (inert) text, but no unsafe URL is ever offered as a link target.
    expect(text).not.toMatch(/\((javascript|data|\/)/i);
  });

  it("keeps http(s) and mailto links, as text (url) in the plain part", () => {
    const { html, text } = render();
    expect(hrefs(html)).toEqual(expect.arrayContaining(["https://lp.test/read?x=1&y=2", "mailto:hello@lp.test"]));
    expect(text).toContain("Safe page (https://lp.test/read?x=1&y=2) or write to us (mailto:hello@lp.test).");
  });

  it("carries the footer: reason, unsubscribe and postal address in both parts", () => {
    const { html, text } = render();
    expect(hrefs(html)).toContain(UNSUBSCRIBE_URL);
    expect(text).toContain(`Unsubscribe: ${UNSUBSCRIBE_URL}`);
    expect(visibleText(html)).toContain(POSTAL_ADDRESS);
    expect(text).toContain(POSTAL_ADDRESS);
    expect(text).toContain("You’re receiving this because you signed up for The Harbour Course");
  });

  it("never lets a recipient name through unneutralised", () => {
    for (const name of HOSTILE_NAMES) expectNameNeutralised(render(NEWSLETTER, "Notes", name));
  });
});
