/**
 * Lesson-body checks that need no renderer: links that would break in an email client and
 * paragraphs pasted twice. Line numbers are 1-based within the text passed in.
 */

export interface BodyIssue {
  line: number;
  message: string;
}

interface Block {
  /** Line number of the block's first line. */
  line: number;
  lines: string[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}(?:\s|$)/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const REFERENCE_DEFINITION = /^ {0,3}\[([^\]]+)\]:(.*)$/;
/** Exact repeats this short are usually deliberate (a refrain, "Yes."), not paste accidents. */
const DUPLICATE_MIN_WORDS = 5;
const PREFIX_DUPLICATE_MIN_WORDS = 8;

/** `firstLine`: the line number of the text's first line, so messages can cite other lines correctly. */
export function lintMarkdown(markdown: string, firstLine = 1): BodyIssue[] {
  const blocks = toBlocks(markdown.split("\n"), firstLine);
  const definitions = new Set<string>();
  for (const block of blocks) {
    for (const line of block.lines) {
      const def = REFERENCE_DEFINITION.exec(maskInline(line));
      if (def?.[1]) definitions.add(normalizeLabel(def[1]));
    }
  }
  const issues = [...blocks.flatMap((b) => lintLinks(b, definitions)), ...findDuplicateParagraphs(blocks)];
  return issues.sort((a, b) => a.line - b.line);
}

/** Paragraph-level blocks outside fenced code; code is never checked. */
function toBlocks(lines: readonly string[], firstLine: number): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  let fence: string | undefined;
  lines.forEach((line, index) => {
    if (fence) {
      if (new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`).test(line)) fence = undefined;
      return;
    }
    const open = FENCE.exec(line);
    if (open?.[1]) {
      fence = open[1];
      current = undefined;
      return;
    }
    if (line.trim() === "") {
      current = undefined;
      return;
    }
    if (!current) {
      current = { line: firstLine + index, lines: [] };
      blocks.push(current);
    }
    current.lines.push(line);
  });
  return blocks;
}

/** Replaces code spans, HTML comments and backslash escapes with spaces, keeping every offset. */
function maskInline(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  return text
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/\\[\\`*_{}[\]()#+\-.!<>~|"']/g, "  ")
    .replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, blank);
}

function lintLinks(block: Block, definitions: ReadonlySet<string>): BodyIssue[] {
  const found: { offset: number; message: string }[] = [];
  const original = block.lines.join("\n");
  let text = maskInline(original);
  const lineAt = (offset: number) => block.line + countNewlines(text.slice(0, offset));
  const report = (offset: number, message: string) => found.push({ offset, message });

  // Reference definitions: validate, then blank them so their brackets are not scanned as prose.
  let lineOffset = 0;
  for (const line of text.split("\n")) {
    const def = REFERENCE_DEFINITION.exec(line);
    if (def?.[1] !== undefined && def[2] !== undefined) {
      const target = (def[2].trim().split(/\s+/)[0] ?? "").replace(/^<(.*)>$/, "$1");
      const problem = target ? checkTarget(target) : `link reference [${def[1]}] has an empty target`;
      if (problem) report(lineOffset, problem);
      text = text.slice(0, lineOffset) + " ".repeat(line.length) + text.slice(lineOffset + line.length);
    }
    lineOffset += line.length + 1;
  }

  const opens: number[] = [];
  // Destinations already checked; blanked before looking for bare URLs so nothing is reported twice.
  const checked: [number, number][] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") {
      opens.push(i);
      continue;
    }
    if (c !== "]") continue;
    const open = opens.pop();
    if (open === undefined) {
      report(i, "unbalanced ']': no matching '['");
      continue;
    }
    const rest = text.slice(i + 1);
    if (rest.startsWith("(")) {
      const close = findClosingParen(text, i + 1);
      if (close < 0) {
        report(i, "link is missing its closing ')'");
        continue;
      }
      const problem = checkDestination(original.slice(i + 2, close));
      if (problem) report(i, problem);
      checked.push([i + 1, close + 1]);
      i = close;
    } else if (rest.startsWith("[")) {
      const close = text.indexOf("]", i + 2);
      if (close < 0) continue;
      const label = text.slice(i + 2, close).trim() || text.slice(open + 1, i);
      if (!definitions.has(normalizeLabel(label))) {
        report(i, `link reference [${label.trim()}] is not defined`);
      }
      i = close;
    } else if (/^[ \t]+\((?:https?:|mailto:|www\.)/i.test(rest)) {
      report(i, "space between ']' and '(' breaks the link: remove it");
    }
  }
  for (const open of opens) report(open, "unbalanced '[': no matching ']'");

  for (const m of text.matchAll(/<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>/g)) {
    const problem = checkTarget(m[1] ?? "");
    if (problem) report(m.index, problem);
    checked.push([m.index, m.index + m[0].length]);
  }

  for (const tag of text.matchAll(/<(?:a|img)\b[^>]*>/gi)) {
    const attr = /\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag[0]);
    if (!attr) continue;
    const target = (attr[1] ?? attr[2] ?? attr[3] ?? "").trim();
    const problem = target ? checkTarget(target) : "HTML link has an empty href/src";
    if (problem) report(tag.index, problem);
    checked.push([tag.index, tag.index + tag[0].length]);
  }

  for (const m of text.matchAll(/<(https?:\/\/[^<>\n]*?\s[^<>\n]*)>/gi)) {
    report(m.index, `link "${m[1]}" contains a space: encode it as %20`);
    checked.push([m.index, m.index + m[0].length]);
  }

  let prose = text;
  for (const [from, to] of checked) prose = prose.slice(0, from) + " ".repeat(to - from) + prose.slice(to);
  for (const m of prose.matchAll(/\bhttps?:[^\s<>]*/gi)) {
    const url = m[0].replace(/[.,;:!?)"'”’]+$/, "");
    const problem = checkTarget(url);
    if (problem) report(m.index, problem);
  }
  // Left-to-right, as a reader would meet them.
  return found.sort((a, b) => a.offset - b.offset).map((f) => ({ line: lineAt(f.offset), message: f.message }));
}

function findClosingParen(text: string, openIndex: number): number {
  let depth = 0;
  for (let i = openIndex; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/** The part between `](` and `)`: a destination, optionally followed by a quoted title. */
function checkDestination(inner: string): string | undefined {
  const trimmed = inner.trim();
  if (!trimmed) return "link has an empty target";
  let destination: string;
  let rest: string;
  if (trimmed.startsWith("<")) {
    const end = trimmed.indexOf(">");
    if (end < 0) return `link target "${trimmed}" opens '<' without closing '>'`;
    destination = trimmed.slice(1, end).trim();
    rest = trimmed.slice(end + 1).trim();
  } else {
    const space = trimmed.search(/\s/);
    destination = space < 0 ? trimmed : trimmed.slice(0, space);
    rest = space < 0 ? "" : trimmed.slice(space).trim();
  }
  if (!destination) return "link has an empty target";
  if (rest && !/^(?:"[\s\S]*"|'[\s\S]*'|\([\s\S]*\))$/.test(rest)) {
    return `link target "${trimmed}" contains a space: encode it as %20`;
  }
  return checkTarget(destination);
}

/** Email clients have no base URL, so only absolute http(s) and mailto targets work everywhere. */
export function checkTarget(target: string): string | undefined {
  if (/^mailto:/i.test(target)) {
    const address = target.slice("mailto:".length).split("?")[0] ?? "";
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(safeDecode(address))
      ? undefined
      : `mailto link "${target}" has no valid email address`;
  }
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      if (url.hostname) return undefined;
    } catch {
      // fall through to the message below
    }
    return `malformed URL "${target}"`;
  }
  if (/^https?:/i.test(target)) return `malformed URL "${target}": expected http:// or https:// and a host`;
  if (target.startsWith("//")) return `protocol-relative link "${target}": write it with https:`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(target);
  if (scheme) return `link "${target}" uses "${scheme[1]}:": only http(s) and mailto links work in email`;
  return `relative link "${target}": links in emails must be absolute http(s) or mailto URLs`;
}

function findDuplicateParagraphs(blocks: readonly Block[]): BodyIssue[] {
  const paragraphs = blocks
    .filter((b) => {
      const first = b.lines[0] ?? "";
      return !HEADING.test(first) && !THEMATIC_BREAK.test(first) && !REFERENCE_DEFINITION.test(first);
    })
    .map((b) => ({ line: b.line, text: b.lines.join(" ").replace(/\s+/g, " ").trim() }))
    .map((p) => ({ ...p, words: p.text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0 }));

  const issues: BodyIssue[] = [];
  const firstSeen = new Map<string, number>();
  const repeats = new Set<number>();
  for (const p of paragraphs) {
    if (p.words < DUPLICATE_MIN_WORDS) continue;
    const earlier = firstSeen.get(p.text);
    if (earlier !== undefined) {
      repeats.add(p.line);
      issues.push({ line: p.line, message: `duplicate paragraph: same text as the paragraph at line ${earlier}` });
    } else {
      firstSeen.set(p.text, p.line);
    }
  }
  // An exact repeat is reported once, above, even if it also opens a longer paragraph.
  for (const p of paragraphs) {
    if (p.words < PREFIX_DUPLICATE_MIN_WORDS || repeats.has(p.line)) continue;
    const longer = paragraphs.find((q) => q.text.length > p.text.length && q.text.startsWith(p.text));
    if (longer) {
      issues.push({
        line: p.line,
        message: `duplicate paragraph: repeated word for word at the start of the paragraph at line ${longer.line}`,
      });
    }
  }
  return issues;
}

function normalizeLabel(label: string): string {
  return label.trim().replace(/\s+/g, " ").toLowerCase();
}

function countNewlines(s: string): number {
  let n = 0;
  for (const c of s) if (c === "\n") n++;
  return n;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
