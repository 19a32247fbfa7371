import { stringify } from "yaml";

/**
 * Turns a raw article (plain text as received) into a lesson draft. Pure, so it runs anywhere and
 * is easy to test; the CLI does the file handling. The importer never guesses silently: anything
 * it cannot find becomes a `TODO: …` placeholder that the loader and content:check reject.
 */

export interface ImportOptions {
  /** Day offset written into the draft's front matter. */
  day?: number;
}

export interface RemovedParagraph {
  /** 1-based position among the article's paragraphs, before anything was removed. */
  paragraph: number;
  /** The paragraph that was kept instead. */
  duplicateOf: number;
  /** `exact`: same text; `prefix`: the whole paragraph is repeated as the start of the kept one. */
  kind: "exact" | "prefix";
  text: string;
}

export interface ImportReport {
  fileName: string;
  author?: string;
  title?: string;
  credit?: string;
  sourceName?: string;
  slug: string;
  /** Paragraphs in the draft body. */
  paragraphCount: number;
  removedDuplicates: RemovedParagraph[];
  /** What the importer did to the text, for the operator to review. */
  changes: string[];
  /** Things a human must fix or confirm before publishing. */
  warnings: string[];
}

export interface ImportResult {
  /** The complete lesson file: front matter and Markdown body. */
  markdown: string;
  frontMatter: DraftFrontMatter;
  body: string;
  report: ImportReport;
}

export interface DraftFrontMatter {
  slug: string;
  title: string;
  subject: string;
  preview: string;
  author: string;
  source: { name: string; url?: string };
  credit?: string;
  day: number;
}

export const TITLE_PLACEHOLDER = "TODO: title";
export const AUTHOR_PLACEHOLDER = "TODO: author";
export const SOURCE_PLACEHOLDER = "TODO: source";
export const PREVIEW_PLACEHOLDER = "TODO: preview";
/** The loader rejects slugs starting with `todo-`, like every other placeholder. */
export const SLUG_PLACEHOLDER = "todo-title";

const PREVIEW_MAX = 150;
const SLUG_MAX = 60;
/** A paragraph this short can legitimately open a longer one (e.g. a one-word answer). */
const PREFIX_DUPLICATE_MIN_WORDS = 8;

const BYLINE = /^Blog:\s*insights\s+from\s+(.+?)\s*$/i;

export function importArticle(text: string, fileName: string, options: ImportOptions = {}): ImportResult {
  const changes: string[] = [];
  const warnings: string[] = [];
  const lines = text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.replace(/[ \t\u00a0]+$/, ""));

  let cursor = 0;
  const nextNonEmpty = () => {
    while (cursor < lines.length && lines[cursor]?.trim() === "") cursor++;
    return cursor < lines.length ? cursor : -1;
  };

  let author: string | undefined;
  let title: string | undefined;
  const first = nextNonEmpty();
  const bylineMatch = first >= 0 ? BYLINE.exec(lines[first]?.trim() ?? "") : null;
  if (bylineMatch?.[1]) {
    author = bylineMatch[1];
    cursor = first + 1;
    changes.push(`removed the byline "${lines[first]?.trim()}" (author: ${author})`);
    const titleIndex = nextNonEmpty();
    if (titleIndex >= 0) {
      title = stripHeadingMarks(lines[titleIndex] ?? "");
      cursor = titleIndex + 1;
      changes.push("took the title from the line after the byline");
      if (title.length > 120) warnings.push(`the title is ${title.length} characters long: check that it really is a title`);
    }
  } else if (first >= 0 && looksLikeTitle(lines, first)) {
    title = stripHeadingMarks(lines[first] ?? "");
    cursor = first + 1;
    warnings.push(`no byline found; took the title from the first line ("${title}"): check it`);
  }

  if (!author) {
    warnings.push(
      `no author found (expected a first line like "Blog: insights from NAME"): author set to "${AUTHOR_PLACEHOLDER}"`,
    );
  }
  if (!title) {
    warnings.push(`no title found: title, subject and slug set to placeholders ("${TITLE_PLACEHOLDER}")`);
  }

  const bodyLines = lines.slice(cursor);
  const { paragraphs, mode } = splitParagraphs(bodyLines);
  if (mode === "lines") changes.push("no blank lines in the text: treated every line as a paragraph");

  const { body: withoutFooter, credit } = splitFooter(paragraphs);
  if (credit) changes.push(`moved the copyright/attribution footer into "credit"`);
  // Every lesson email prints the credit under "Written by <author>": a credit pointing at an
  // author "named above" is false when the article names none.
  if (credit && !author && /\bauthor named above\b/i.test(credit)) {
    warnings.push(`the credit says "the author named above", but the article names no author: reword the credit before publishing`);
  }

  const { kept, removed } = removeDuplicates(withoutFooter);
  for (const r of removed) {
    changes.push(
      r.kind === "exact"
        ? `removed paragraph ${r.paragraph}: exact repeat of paragraph ${r.duplicateOf}`
        : `removed paragraph ${r.paragraph}: repeated word for word as the start of paragraph ${r.duplicateOf}`,
    );
  }
  if (kept.length === 0) warnings.push("the article has no body text");

  let escaped = 0;
  const markdownParagraphs = kept.map((p) => {
    const result = escapeMarkdown(p);
    escaped += result.count;
    return result.text;
  });
  if (escaped > 0) changes.push(`escaped ${escaped} character(s) that Markdown would otherwise treat as formatting`);

  const sourceName = author ? `${author}'s blog` : credit ? copyrightHolder(credit) : undefined;
  if (!author && sourceName) changes.push(`took the source name "${sourceName}" from the copyright line`);
  if (!sourceName) warnings.push(`no source found: source.name set to "${SOURCE_PLACEHOLDER}"`);

  const slug = title ? slugify(title) : SLUG_PLACEHOLDER;
  if (title && !slug) warnings.push(`the title has no letters or digits to build a slug from: slug set to "${SLUG_PLACEHOLDER}"`);
  const preview = makePreview(kept);

  const frontMatter: DraftFrontMatter = {
    slug: slug || SLUG_PLACEHOLDER,
    title: title ?? TITLE_PLACEHOLDER,
    subject: title ?? TITLE_PLACEHOLDER,
    preview: preview || PREVIEW_PLACEHOLDER,
    author: author ?? AUTHOR_PLACEHOLDER,
    source: { name: sourceName ?? SOURCE_PLACEHOLDER },
    ...(credit ? { credit } : {}),
    day: options.day ?? 0,
  };
  const body = markdownParagraphs.join("\n\n");
  const yaml = stringify(frontMatter, { lineWidth: 0 });
  const markdown = `---\n# Imported from ${fileName.replace(/\s+/g, " ")} by content:import. Review before publishing.\n${yaml}---\n\n${body}\n`;

  return {
    markdown,
    frontMatter,
    body,
    report: {
      fileName,
      author,
      title,
      credit,
      sourceName,
      slug: frontMatter.slug,
      paragraphCount: kept.length,
      removedDuplicates: removed,
      changes,
      warnings,
    },
  };
}

/** Without a byline only an unmistakable title is taken: a heading, or a short line standing alone. */
function looksLikeTitle(lines: readonly string[], index: number): boolean {
  const line = lines[index]?.trim() ?? "";
  if (/^#{1,6}\s+\S/.test(line)) return true;
  const followedByBlank = (lines[index + 1] ?? "").trim() === "";
  const hasMoreText = lines.slice(index + 1).some((l) => l.trim() !== "");
  const words = line.split(/\s+/).length;
  return followedByBlank && hasMoreText && line.length <= 120 && words <= 15 && !/[.,;:]$/.test(line);
}

function stripHeadingMarks(line: string): string {
  return line.trim().replace(/^#{1,6}\s+/, "").replace(/\s+#+$/, "").trim();
}

/** Blank lines separate paragraphs; a text with none (as pasted from some sites) uses one line per paragraph. */
export function splitParagraphs(lines: readonly string[]): { paragraphs: string[]; mode: "blank-lines" | "lines" } {
  const nonEmpty = lines.filter((l) => l.trim() !== "");
  const first = lines.findIndex((l) => l.trim() !== "");
  const last = lines.findLastIndex((l) => l.trim() !== "");
  const hasBlankLines = first >= 0 && lines.slice(first, last + 1).some((l) => l.trim() === "");
  if (!hasBlankLines) return { paragraphs: nonEmpty.map((l) => l.trim()), mode: "lines" };

  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === "") {
      if (current.length > 0) paragraphs.push(current.join("\n"));
      current = [];
    } else {
      current.push(line.trim());
    }
  }
  if (current.length > 0) paragraphs.push(current.join("\n"));
  return { paragraphs, mode: "blank-lines" };
}

/**
 * Where a footer sentence starts. Sites glue footers straight onto the last sentence
 * ("…at home.© Copyright"), so a start counts after sentence punctuation even without a space.
 */
const FOOTER_START = /©|\(c\)\s*copyright|copyright\s*(?:©|\(c\)|\d{4})|all rights reserved|the preceding article was/gi;

function footerStarts(text: string): number[] {
  const starts: number[] = [];
  for (const m of text.matchAll(FOOTER_START)) {
    const before = text.slice(0, m.index).trimEnd();
    const atBoundary = before === "" || /[.!?"'”’)\]]$/.test(before) || (m[0] === "©" && /\s$/.test(text.slice(0, m.index)));
    if (atBoundary) starts.push(m.index);
  }
  return starts;
}

/** Footers live at the end; a "Copyright" sentence in the middle of an article is left alone. */
export function splitFooter(paragraphs: readonly string[]): { body: string[]; credit?: string } {
  const body = [...paragraphs];
  const creditParts: string[] = [];
  while (body.length > 0) {
    const last = body[body.length - 1] ?? "";
    const starts = footerStarts(last);
    const start = starts[0];
    if (start === undefined) break;
    body.pop();
    // Split glued sentences ("reserved.The preceding…") so the credit reads normally.
    const boundaries = [...starts, last.length];
    const parts = starts.map((s, i) => last.slice(s, boundaries[i + 1]).trim()).filter(Boolean);
    creditParts.unshift(parts.join(" "));
    const before = last.slice(0, start).trim();
    if (before) {
      body.push(before);
      break;
    }
  }
  return creditParts.length > 0 ? { body, credit: creditParts.join(" ") } : { body };
}

function normalizeForComparison(p: string): string {
  return p.replace(/\s+/g, " ").trim();
}

export function removeDuplicates(paragraphs: readonly string[]): { kept: string[]; removed: RemovedParagraph[] } {
  const normalized = paragraphs.map(normalizeForComparison);
  const removed: RemovedParagraph[] = [];
  const drop = new Set<number>();

  normalized.forEach((p, i) => {
    const firstIndex = normalized.indexOf(p);
    if (firstIndex !== i) {
      drop.add(i);
      removed.push({ paragraph: i + 1, duplicateOf: firstIndex + 1, kind: "exact", text: paragraphs[i] ?? "" });
    }
  });

  // A paragraph pasted twice where the second copy runs on: keep the longer one, which has all the text.
  normalized.forEach((p, i) => {
    if (drop.has(i) || p.split(" ").length < PREFIX_DUPLICATE_MIN_WORDS) return;
    const longer = normalized.findIndex((q, j) => j !== i && !drop.has(j) && q.length > p.length && q.startsWith(p));
    if (longer >= 0) {
      drop.add(i);
      removed.push({ paragraph: i + 1, duplicateOf: longer + 1, kind: "prefix", text: paragraphs[i] ?? "" });
    }
  });

  removed.sort((a, b) => a.paragraph - b.paragraph);
  return { kept: paragraphs.filter((_, i) => !drop.has(i)), removed };
}

const URL_IN_TEXT = /\b(?:https?:\/\/|www\.)[^\s<>]+/g;

/**
 * Raw text must read the same once rendered, so characters Markdown would treat as syntax are
 * escaped. URLs are left alone: an escaped underscore would break a GFM autolink.
 */
export function escapeMarkdown(paragraph: string): { text: string; count: number } {
  let count = 0;
  const escapeInline = (s: string) =>
    s.replace(/[\\`*_[\]<>~|]/g, (c) => {
      count++;
      return `\\${c}`;
    });
  const escapeLineStart = (line: string) =>
    line
      .replace(/^(#{1,6})(?=\s|$)/, (m) => (count++, `\\${m}`))
      .replace(/^([-+])(?=\s)/, (m) => (count++, `\\${m}`))
      .replace(/^(\d{1,9})([.)])(?=\s|$)/, (_m, n: string, p: string) => (count++, `${n}\\${p}`))
      .replace(/^(=+|-+)$/, (m) => (count++, `\\${m}`));

  const text = paragraph
    .split("\n")
    .map((line) => {
      let out = "";
      let last = 0;
      for (const m of line.matchAll(URL_IN_TEXT)) {
        out += escapeInline(line.slice(last, m.index)) + m[0];
        last = m.index + m[0].length;
      }
      out += escapeInline(line.slice(last));
      return escapeLineStart(out);
    })
    .join("\n");
  return { text, count };
}

export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length <= SLUG_MAX) return slug;
  const cut = slug.slice(0, SLUG_MAX + 1);
  const lastHyphen = cut.lastIndexOf("-");
  return (lastHyphen > 0 ? cut.slice(0, lastHyphen) : slug.slice(0, SLUG_MAX)).replace(/-+$/, "");
}

/** Whole sentences from the start of the body, as many as fit; a lone long sentence is cut at a word. */
export function makePreview(paragraphs: readonly string[], max = PREVIEW_MAX): string {
  const text = paragraphs.join(" ").replace(/\s+/g, " ").trim();
  if (text.length <= max) return text;
  const sentences = text.match(/[^.!?]+(?:[.!?]+["'”’)]*|$)\s*/g) ?? [text];
  let preview = "";
  for (const s of sentences) {
    if ((preview + s).trimEnd().length > max) break;
    preview += s;
  }
  preview = preview.trim();
  if (preview) return preview;
  const cut = text.slice(0, max); // room for the ellipsis is made below
  const lastSpace = cut.lastIndexOf(" ", max - 1);
  return `${(lastSpace > 0 ? cut.slice(0, lastSpace) : cut.slice(0, max - 1)).replace(/[\s,;:–—-]+$/, "")}…`;
}

/** "© Copyright 2007 - 2025 GoodTherapy.org. All rights reserved." → "GoodTherapy.org" */
export function copyrightHolder(credit: string): string | undefined {
  // Case-sensitive on purpose: a holder's name ends at a full stop followed by a capital or a
  // space, while "GoodTherapy.org" continues with a lower-case letter.
  const mark = String.raw`(?:©|\([cC]\)|[Cc]opyright|COPYRIGHT)`;
  const years = String.raw`(?:\d{4}(?:\s*[-–]\s*(?:\d{4}|[Pp]resent))?,?\s*)?`;
  const m = new RegExp(String.raw`${mark}(?:\s*${mark})*\s*${years}(.+?)(?:\.(?=\s|$|[A-Z])|$)`).exec(credit);
  const holder = m?.[1]?.trim();
  return holder && /\p{L}/u.test(holder) && holder.length <= 80 ? holder : undefined;
}
