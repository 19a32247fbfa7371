import { Lexer } from "marked";
import type { Token, Tokens } from "marked";
import { color, font } from "../../emails/_components/theme.ts";

/**
 * Markdown → email HTML (inline styles) and → readable plain text, from one token walk.
 *
 * We walk marked's tokens ourselves instead of using its HTML renderer so that nothing the author
 * (or an admin form) typed can reach the output unescaped: raw HTML becomes visible text, and only
 * http(s)/mailto links and http(s) images survive. Pure functions, no Node APIs: this also runs on
 * Cloudflare Workers.
 */

export interface RenderedMarkdown {
  html: string;
  text: string;
  /** First paragraph as plain text, for inbox preview lines. */
  summary: string;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Like escapeHtml but keeps character references the author wrote (`&amp;`, `&mdash;`) intact. */
function escapeText(value: string): string {
  return value.replace(
    /&(?!#\d{1,7};|#[xX][0-9a-fA-F]{1,6};|[a-zA-Z][a-zA-Z0-9]{1,31};)|[<>"']/g,
    (ch) => HTML_ESCAPES[ch] ?? ch,
  );
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  trade: "™",
  mdash: "—",
  ndash: "–",
  hellip: "…",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  middot: "·",
  bull: "•",
};

function decodeEntities(value: string): string {
  if (!value.includes("&")) return value;
  return value.replace(/&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

/**
 * Returns the URL if it is safe to put in an email, else null. Relative URLs are refused too:
 * an email has no base URL, so they could only ever be broken links.
 */
export function safeHref(href: string, { allowMailto = true }: { allowMailto?: boolean } = {}): string | null {
  // Browsers ignore control characters and whitespace inside schemes ("java\nscript:"), so do we.
  // eslint-disable-next-line no-control-regex
  const cleaned = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  if (/^https?:\/\/[^/]/i.test(cleaned)) return cleaned;
  if (allowMailto && /^mailto:[^\s]/i.test(cleaned)) return cleaned;
  return null;
}

function styleAttr(css: string): string {
  return ` style="${escapeHtml(css)}"`;
}

const wrap = "overflow-wrap:anywhere;word-break:break-word;";
const serifBody = `font-family:${font.serif};font-size:18px;line-height:29px;color:${color.body};`;

const S = {
  p: styleAttr(`margin:0 0 18px;${serifBody}`),
  pTight: styleAttr(`margin:0 0 8px;${serifBody}`),
  h1: styleAttr(
    `margin:32px 0 14px;font-family:${font.serif};font-size:26px;line-height:34px;font-weight:700;color:${color.ink};`,
  ),
  h2: styleAttr(
    `margin:30px 0 12px;font-family:${font.serif};font-size:22px;line-height:30px;font-weight:700;color:${color.ink};`,
  ),
  h3: styleAttr(
    `margin:26px 0 10px;font-family:${font.serif};font-size:19px;line-height:27px;font-weight:700;color:${color.ink};`,
  ),
  h4: styleAttr(
    `margin:24px 0 8px;font-family:${font.sans};font-size:16px;line-height:24px;font-weight:700;color:${color.ink};`,
  ),
  ul: styleAttr(`margin:0 0 18px;padding:0 0 0 26px;${serifBody}`),
  ol: styleAttr(`margin:0 0 18px;padding:0 0 0 28px;${serifBody}`),
  li: styleAttr(`margin:0 0 8px;padding:0 0 0 2px;${serifBody}`),
  blockquote: styleAttr(
    `margin:0 0 18px;padding:2px 0 2px 18px;border-left:3px solid ${color.quoteBar};font-style:italic;color:${color.quoteInk};`,
  ),
  blockquoteP: styleAttr(
    `margin:0 0 10px;font-family:${font.serif};font-size:18px;line-height:29px;color:${color.quoteInk};`,
  ),
  a: styleAttr(`color:${color.link};text-decoration:underline;${wrap}`),
  code: styleAttr(
    `font-family:${font.mono};font-size:15px;background-color:${color.codeBg};border-radius:4px;padding:1px 5px;${wrap}`,
  ),
  pre: styleAttr(
    `margin:0 0 18px;padding:14px 16px;background-color:${color.codeBg};border-radius:6px;font-family:${font.mono};font-size:14px;line-height:21px;color:${color.ink};white-space:pre-wrap;${wrap}`,
  ),
  preCode: styleAttr(`font-family:${font.mono};`),
  hr: styleAttr(`margin:28px 0;border:0;border-top:1px solid ${color.rule};height:0;`),
  img: styleAttr("display:block;max-width:100%;height:auto;border:0;margin:0 0 18px;"),
  table: styleAttr(`width:100%;margin:0 0 18px;border-collapse:collapse;table-layout:fixed;${wrap}`),
  th: styleAttr(
    `padding:6px 8px;border-bottom:2px solid ${color.rule};font-family:${font.sans};font-size:15px;line-height:22px;font-weight:700;text-align:left;color:${color.ink};`,
  ),
  td: styleAttr(
    `padding:6px 8px;border-bottom:1px solid ${color.rule};font-family:${font.sans};font-size:15px;line-height:22px;color:${color.body};`,
  ),
} as const;

const HEADING_STYLE = [S.h1, S.h1, S.h2, S.h3, S.h4, S.h4, S.h4] as const;

type Block = "root" | "list" | "quote";

function inlineHtml(tokens: readonly Token[] | undefined): string {
  if (!tokens) return "";
  let out = "";
  for (const token of tokens) out += inlineTokenHtml(token);
  return out;
}

function inlineTokenHtml(token: Token): string {
  switch (token.type) {
    case "text": {
      const t = token as Tokens.Text;
      return t.tokens ? inlineHtml(t.tokens) : escapeText(t.text);
    }
    case "escape":
      return escapeHtml((token as Tokens.Escape).text);
    case "strong":
      return `<strong>${inlineHtml((token as Tokens.Strong).tokens)}</strong>`;
    case "em":
      return `<em>${inlineHtml((token as Tokens.Em).tokens)}</em>`;
    case "del":
      return `<del>${inlineHtml((token as Tokens.Del).tokens)}</del>`;
    case "codespan":
      return `<code${S.code}>${escapeHtml((token as Tokens.Codespan).text)}</code>`;
    case "br":
      return "<br />";
    case "link": {
      const t = token as Tokens.Link;
      const inner = inlineHtml(t.tokens);
      const href = safeHref(t.href);
      if (href === null) return inner;
      const title = t.title ? ` title="${escapeHtml(t.title)}"` : "";
      return `<a href="${escapeHtml(trackedHref(t) ?? href)}"${title} target="_blank" rel="noopener"${S.a}>${inner}</a>`;
    }
    case "image": {
      const t = token as Tokens.Image;
      const src = safeHref(t.href, { allowMailto: false });
      if (src === null) return escapeText(t.text);
      const title = t.title ? ` title="${escapeHtml(t.title)}"` : "";
      return `<img src="${escapeHtml(src)}" alt="${escapeText(t.text)}"${title} width="100%"${S.img} />`;
    }
    case "checkbox":
      return (token as Tokens.Checkbox).checked ? "☑ " : "☐ ";
    case "html":
      // Raw HTML is shown as the text the author typed, never interpreted.
      return escapeHtml((token as Tokens.Tag).text);
    default:
      return "tokens" in token && Array.isArray(token.tokens) ? inlineHtml(token.tokens) : escapeText(token.raw);
  }
}

function blocksHtml(tokens: readonly Token[], context: Block): string {
  let out = "";
  for (const token of tokens) out += blockHtml(token, context);
  return out;
}

function blockHtml(token: Token, context: Block): string {
  switch (token.type) {
    case "space":
    case "def":
      return "";
    case "paragraph": {
      const style = context === "quote" ? S.blockquoteP : context === "list" ? S.pTight : S.p;
      return `<p${style}>${inlineHtml((token as Tokens.Paragraph).tokens)}</p>`;
    }
    case "heading": {
      const t = token as Tokens.Heading;
      const depth = Math.min(Math.max(t.depth, 1), 6);
      return `<h${depth}${HEADING_STYLE[depth]}>${inlineHtml(t.tokens)}</h${depth}>`;
    }
    case "blockquote":
      return `<blockquote${S.blockquote}>${blocksHtml((token as Tokens.Blockquote).tokens, "quote")}</blockquote>`;
    case "list": {
      const t = token as Tokens.List;
      const tag = t.ordered ? "ol" : "ul";
      const start = t.ordered && typeof t.start === "number" && t.start !== 1 ? ` start="${t.start}"` : "";
      let items = "";
      for (const item of t.items) items += `<li${S.li}>${blocksHtml(item.tokens, "list")}</li>`;
      return `<${tag}${start}${t.ordered ? S.ol : S.ul}>${items}</${tag}>`;
    }
    case "code":
      return `<pre${S.pre}><code${S.preCode}>${escapeHtml((token as Tokens.Code).text)}</code></pre>`;
    case "hr":
      return `<hr${S.hr} />`;
    case "table":
      return tableHtml(token as Tokens.Table);
    case "html": {
      const t = token as Tokens.HTML;
      // Shown, not executed: an admin pasting markup sees it in the test send and fixes it.
      return `<p${S.p}>${escapeHtml(t.text.trim())}</p>`;
    }
    case "text": {
      // Tight list items hold "text" blocks rather than paragraphs.
      const t = token as Tokens.Text;
      const inner = t.tokens ? inlineHtml(t.tokens) : escapeText(t.text);
      return context === "list" ? inner : `<p${S.p}>${inner}</p>`;
    }
    case "checkbox":
      return inlineTokenHtml(token);
    default:
      if ("tokens" in token && Array.isArray(token.tokens)) return blocksHtml(token.tokens, context);
      return `<p${S.p}>${escapeText(token.raw)}</p>`;
  }
}

function tableHtml(table: Tokens.Table): string {
  const cell = (c: Tokens.TableCell, tag: "th" | "td") => {
    const align = c.align ? ` align="${c.align}"` : "";
    return `<${tag}${align}${tag === "th" ? S.th : S.td}>${inlineHtml(c.tokens)}</${tag}>`;
  };
  const head = `<tr>${table.header.map((c) => cell(c, "th")).join("")}</tr>`;
  const rows = table.rows.map((row) => `<tr>${row.map((c) => cell(c, "td")).join("")}</tr>`).join("");
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%"${S.table}><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// Plain text

function inlineText(tokens: readonly Token[] | undefined): string {
  if (!tokens) return "";
  let out = "";
  for (const token of tokens) out += inlineTokenText(token);
  return out;
}

function inlineTokenText(token: Token): string {
  switch (token.type) {
    case "text": {
      const t = token as Tokens.Text;
      return t.tokens ? inlineText(t.tokens) : decodeEntities(t.text);
    }
    case "escape":
      return (token as Tokens.Escape).text;
    case "codespan":
      return (token as Tokens.Codespan).text;
    case "br":
      return "\n";
    case "link": {
      const t = token as Tokens.Link;
      const label = inlineText(t.tokens);
      const href = safeHref(t.href);
      if (href === null) return label;
      // A tracked link always shows its words and then where it goes, even when the words are
      // the address itself: the reader still sees the destination before following it.
      const tracked = trackedHref(t);
      if (tracked !== undefined) return `${label} (${tracked})`;
      const bare = href.replace(/^mailto:/i, "");
      if (label === href || label === bare || `http://${label}` === href) return label;
      return `${label} (${href})`;
    }
    case "image": {
      const t = token as Tokens.Image;
      return t.text ? `[${decodeEntities(t.text)}]` : "";
    }
    case "checkbox":
      return (token as Tokens.Checkbox).checked ? "[x] " : "[ ] ";
    case "html":
      return (token as Tokens.Tag).text;
    default:
      return "tokens" in token && Array.isArray(token.tokens) ? inlineText(token.tokens) : decodeEntities(token.raw);
  }
}

/** Each block as a string without trailing blank lines; the caller joins blocks with "\n\n". */
function blocksText(tokens: readonly Token[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const block = blockText(token);
    if (block !== "") out.push(block);
  }
  return out;
}

function indent(value: string, first: string, rest: string): string {
  return value
    .split("\n")
    .map((line, i) => (i === 0 ? first : line === "" ? rest.trimEnd() : rest) + line)
    .join("\n");
}

function blockText(token: Token): string {
  switch (token.type) {
    case "space":
    case "def":
      return "";
    case "paragraph":
      return inlineText((token as Tokens.Paragraph).tokens).trim();
    case "heading": {
      const t = token as Tokens.Heading;
      const title = inlineText(t.tokens).trim();
      if (t.depth <= 2) return `${title}\n${(t.depth === 1 ? "=" : "-").repeat(Math.min(title.length, 72))}`;
      return title;
    }
    case "blockquote": {
      const inner = blocksText((token as Tokens.Blockquote).tokens).join("\n\n");
      return inner
        .split("\n")
        .map((line) => (line === "" ? ">" : `> ${line}`))
        .join("\n");
    }
    case "list": {
      const t = token as Tokens.List;
      const start = typeof t.start === "number" ? t.start : 1;
      const items = t.items.map((item, i) => {
        const box = item.task ? (item.checked ? "[x] " : "[ ] ") : "";
        const marker = t.ordered ? `${start + i}. ` : "- ";
        const content = item.tokens.filter((child) => child.type !== "checkbox");
        const body = box + blocksText(content).join(item.loose ? "\n\n" : "\n");
        return indent(body, marker, " ".repeat(marker.length));
      });
      return items.join(t.loose ? "\n\n" : "\n");
    }
    case "code":
      return indent((token as Tokens.Code).text, "    ", "    ");
    case "hr":
      return "----------";
    case "table": {
      const t = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[]) => cells.map((c) => inlineText(c.tokens).trim()).join(" | ");
      return [row(t.header), ...t.rows.map(row)].join("\n");
    }
    case "html":
      return (token as Tokens.HTML).text.trim();
    case "text": {
      const t = token as Tokens.Text;
      return (t.tokens ? inlineText(t.tokens) : decodeEntities(t.text)).trim();
    }
    default:
      if ("tokens" in token && Array.isArray(token.tokens)) return blocksText(token.tokens).join("\n\n");
      return decodeEntities(token.raw).trim();
  }
}

function summarize(tokens: readonly Token[]): string {
  for (const token of tokens) {
    if (token.type !== "paragraph") continue;
    const line = inlineText((token as Tokens.Paragraph).tokens)
      .replace(/\s+/g, " ")
      .trim();
    if (line === "") continue;
    return line.length <= 140 ? line : `${line.slice(0, 139).replace(/\s+\S*$/, "")}…`;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------

/**
 * Lesson bodies and newsletters are identical for every recipient, so the walk happens once per
 * distinct Markdown string. Bounded so a long-running worker sending many newsletters can't grow
 * without limit; Map iteration order makes the oldest entry cheap to find.
 */
const CACHE_LIMIT = 64;

interface Lexed {
  tokens: Token[];
  /** Each http(s) link token's position among the body's links (see trackedLinks). */
  linkIndex: Map<Token, number>;
  /** The address of each, as safeHref cleaned it, by that position. */
  links: string[];
  plain: RenderedMarkdown;
}

const cache = new Map<string, Lexed>();

/**
 * The body's http(s) links in a fixed order, each occurrence its own position: the order a course
 * that records clicks numbers them in (compose.ts gives position i the tracked address
 * `hrefs[i]`, src/commands/click.ts finds the address again by it). mailto: links are not there:
 * they open the reader's mail program, not a page. Images are not links: nothing is added to
 * them, so no email carries a tracking pixel of ours.
 */
function indexLinks(tokens: readonly Token[], index: Map<Token, number>, links: string[]): void {
  for (const token of tokens) {
    if (token.type === "link") {
      const href = safeHref((token as Tokens.Link).href, { allowMailto: false });
      if (href !== null) {
        index.set(token, links.length);
        links.push(href);
      }
      continue;
    }
    if ("tokens" in token && Array.isArray(token.tokens)) indexLinks(token.tokens as Token[], index, links);
    if (token.type === "list") for (const item of (token as Tokens.List).items) indexLinks(item.tokens, index, links);
    if (token.type === "table") {
      const table = token as Tokens.Table;
      for (const cell of [...table.header, ...table.rows.flat()]) indexLinks(cell.tokens, index, links);
    }
  }
}

function lex(markdown: string): Lexed {
  const hit = cache.get(markdown);
  if (hit) return hit;
  const tokens = Lexer.lex(markdown, { gfm: true, breaks: false });
  const linkIndex = new Map<Token, number>();
  const links: string[] = [];
  indexLinks(tokens, linkIndex, links);
  const lexed: Lexed = { tokens, linkIndex, links, plain: { html: blocksHtml(tokens, "root"), text: blocksText(tokens).join("\n\n"), summary: summarize(tokens) } };
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(markdown, lexed);
  return lexed;
}

/** The addresses a walk puts in place of the body's links, while it runs (the walk is synchronous). */
let rewrite: { index: Map<Token, number>; hrefs: readonly string[] } | null = null;

function trackedHref(token: Token): string | undefined {
  if (!rewrite) return undefined;
  const i = rewrite.index.get(token);
  return i === undefined ? undefined : rewrite.hrefs[i] || undefined;
}

/** The body's http(s) links, by the position a tracked address replaces them at. */
export function trackedLinks(markdown: string): readonly string[] {
  return lex(markdown).links;
}

/**
 * `hrefs`: the address to put in place of each http(s) link, by its position in trackedLinks
 * (a course that records clicks); "" or missing keeps the link as written. The summary is always
 * the body's own words and links: it is the inbox preview, which links nothing.
 */
export function renderMarkdown(markdown: string, hrefs?: readonly string[]): RenderedMarkdown {
  const lexed = lex(markdown);
  if (!hrefs || hrefs.length === 0 || lexed.links.length === 0) return lexed.plain;
  rewrite = { index: lexed.linkIndex, hrefs };
  try {
    return { html: blocksHtml(lexed.tokens, "root"), text: blocksText(lexed.tokens).join("\n\n"), summary: lexed.plain.summary };
  } finally {
    rewrite = null;
  }
}
