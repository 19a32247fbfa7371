import { describe, expect, it } from "vitest";
import { renderMarkdown, safeHref } from "../../../src/render/markdown.ts";

const SAMPLE = `# Title one

## Section *two*

### Third level

A paragraph with *emphasis*, **strong words**, \`code <b>\` and a [link](https://example.com/a?b=1&c=2 "Example").

- apples
- pears
  - nested conference pears

1. first
2. second

> Quoted wisdom
> over two lines.

---

\`\`\`
if (a < b) { return "<tag>"; }
\`\`\`

Tom &amp; Jerry, 5 < 6 and \\*not emphasis\\*.`;

describe("renderMarkdown → HTML", () => {
  const { html } = renderMarkdown(SAMPLE);

  it("renders headings as heading elements with inline styles", () => {
    expect(html).toMatch(/<h1 style="[^"]+">Title one<\/h1>/);
    expect(html).toMatch(/<h2 style="[^"]+">Section <em>two<\/em><\/h2>/);
    expect(html).toMatch(/<h3 style="[^"]+">Third level<\/h3>/);
  });

  it("renders emphasis, strong and inline code", () => {
    expect(html).toContain("<em>emphasis</em>");
    expect(html).toContain("<strong>strong words</strong>");
    expect(html).toMatch(/<code style="[^"]+">code &lt;b&gt;<\/code>/);
  });

  it("renders links with escaped href and title", () => {
    expect(html).toMatch(
      /<a href="https:\/\/example\.com\/a\?b=1&amp;c=2" title="Example" target="_blank" rel="noopener" style="[^"]+">link<\/a>/,
    );
  });

  it("renders unordered, nested and ordered lists", () => {
    expect(html).toMatch(
      /<ul style="[^"]+"><li style="[^"]+">apples<\/li><li style="[^"]+">pears<ul style="[^"]+"><li style="[^"]+">nested conference pears<\/li><\/ul><\/li><\/ul>/,
    );
    expect(html).toMatch(/<ol style="[^"]+"><li style="[^"]+">first<\/li><li style="[^"]+">second<\/li><\/ol>/);
  });

  it("renders blockquotes, rules and escaped code blocks", () => {
    expect(html).toMatch(
      /<blockquote style="[^"]*border-left[^"]*"><p style="[^"]+">Quoted wisdom\nover two lines\.<\/p><\/blockquote>/,
    );
    expect(html).toMatch(/<hr style="[^"]+" \/>/);
    expect(html).toContain("if (a &lt; b) { return &quot;&lt;tag&gt;&quot;; }");
    expect(html).toMatch(/<pre style="[^"]*white-space:pre-wrap[^"]*">/);
  });

  it("keeps author-written entities and escapes bare special characters", () => {
    expect(html).toContain("Tom &amp; Jerry, 5 &lt; 6 and *not emphasis*.");
  });

  it("escapes every kind of raw HTML", () => {
    const { html: out } = renderMarkdown(
      '<div onclick="steal()">block</div>\n\ninline <b onmouseover=x>bold</b> <iframe src="https://evil.test"></iframe>\n\n<!-- comment -->',
    );
    expect(out).not.toMatch(/<(div|b|iframe)\b/);
    expect(out).not.toContain("<!--");
    expect(out).toContain("&lt;div onclick=&quot;steal()&quot;&gt;block&lt;/div&gt;");
    expect(out).toContain("&lt;b onmouseover=x&gt;bold&lt;/b&gt;");
    expect(out).toContain("&lt;!-- comment --&gt;");
  });

  it("drops unsafe link and image URLs but keeps the visible text", () => {
    const { html: out } = renderMarkdown(
      "[a](javascript:alert(1)) [b](<java\tscript:alert(1)>) [c](vbscript:x) [d](//evil.test/x) [e](#top) ![pic](javascript:x) ![ok](https://img.test/p.png)",
    );
    expect(out).not.toMatch(/href=/);
    expect(out).not.toMatch(/javascript|vbscript|evil\.test/);
    expect(out).toContain("a b c d e pic");
    expect(out).toMatch(
      /<img src="https:\/\/img\.test\/p\.png" alt="ok" width="100%" style="[^"]*max-width:100%[^"]*" \/>/,
    );
  });

  it("only allows http(s) and mailto hrefs", () => {
    expect(safeHref("https://a.test/x")).toBe("https://a.test/x");
    expect(safeHref("HTTP://a.test")).toBe("HTTP://a.test");
    expect(safeHref("mailto:x@y.test")).toBe("mailto:x@y.test");
    expect(safeHref("mailto:x@y.test", { allowMailto: false })).toBeNull();
    for (const bad of [
      "javascript:alert(1)",
      " javascript:alert(1)",
      "JaVaScRiPt:x",
      "java\nscript:x",
      "data:text/html,x",
      "/relative",
      "//host/x",
      "ftp://x.test",
      "",
    ]) {
      expect(safeHref(bad)).toBeNull();
    }
  });
});

describe("renderMarkdown → text", () => {
  const { text } = renderMarkdown(SAMPLE);

  it("writes headings as lines, underlining the top two levels", () => {
    expect(text).toContain("Title one\n=========");
    expect(text).toContain("Section two\n-----------");
    expect(text).toContain("\n\nThird level\n\n");
  });

  it("writes lists with markers and indents nested items", () => {
    expect(text).toContain("- apples\n- pears\n  - nested conference pears");
    expect(text).toContain("1. first\n2. second");
  });

  it("prefixes blockquotes and separates paragraphs with one blank line", () => {
    expect(text).toContain("> Quoted wisdom\n> over two lines.");
    expect(text).not.toMatch(/\n{3,}/);
  });

  it("writes links as text (url), code verbatim and entities decoded", () => {
    expect(text).toContain("and a link (https://example.com/a?b=1&c=2).");
    expect(text).toContain("code <b>");
    expect(text).toContain('    if (a < b) { return "<tag>"; }');
    expect(text).toContain("Tom & Jerry, 5 < 6 and *not emphasis*.");
    expect(text).not.toMatch(/<\/?(p|em|strong|a|h\d)\b/);
  });

  it("shows autolinks once and drops unsafe link targets", () => {
    const { text: out } = renderMarkdown("See https://example.com and hi@x.test or [this](javascript:alert(1)).");
    expect(out).toBe("See https://example.com and hi@x.test or this.");
  });
});

describe("renderMarkdown caching and summary", () => {
  it("returns the cached result for the same Markdown", () => {
    const markdown = "Cache me *once*.";
    expect(renderMarkdown(markdown)).toBe(renderMarkdown(markdown));
  });

  it("summarises the first paragraph as plain text", () => {
    expect(renderMarkdown("# Heading\n\nFirst **real** paragraph.\n\nSecond.").summary).toBe("First real paragraph.");
    const long = renderMarkdown(`${"word ".repeat(60)}end`).summary;
    expect(long.length).toBeLessThanOrEqual(140);
    expect(long.endsWith("…")).toBe(true);
  });
});
