import type { EmailTemplate, KeyPart, ReaderProps } from "../../emails/_components/email-template.ts";
import { cleanName } from "../../emails/_components/copy.ts";
import { graduationEmail } from "../../emails/graduation-email.tsx";
import { lessonEmail } from "../../emails/lesson-email.tsx";
import { newsletterEmail } from "../../emails/newsletter-email.tsx";
import { titleRule } from "../../emails/_components/plain-text.ts";
import { graduationProps, lessonProps, newsletterProps, renderEmail } from "./emails.ts";
import { escapeHtml } from "./markdown.ts";
import { jsonStringContents, splitsPair } from "../send/mailer.ts";
import type { PreEncodedText } from "../send/mailer.ts";
import type { GraduationEmailInput, LessonEmailInput, NewsletterEmailInput, RenderedEmail } from "./types.ts";

/**
 * The production render path: React renders each email once per (template, content version,
 * variant) with placeholder tokens where per-reader values go, and every reader's copy is the cached
 * output with their values spliced in. Same signatures and byte-identical output as ./emails.ts;
 * test/unit/render/personalize.test.ts holds it to that. It knows nothing of any one template:
 * each declares its content version (cacheKey) and, if the name changes a derived value, the
 * title that carries it (underlinedTitle); see emails/_components/email-template.ts.
 *
 * Why this is safe:
 * - The cached output is pre-split at the tokens, so a reader's copy is built in one pass and the
 *   values are never scanned again: a name that looks like a token, contains another reader's URL
 *   or `$&` stays text in that reader's own greeting.
 * - Values are escaped the way React escapes text and attributes in the HTML part, and used as-is
 *   in the text part, after the same cleanName the templates apply.
 * - Anything that is not plain copy is a variant rendered by React (a name or "Hi there,", a
 *   preferences link or none, which of graduation's lessons link to their web version), never
 *   string surgery on the wording. The one derived value is the `===` underline of a title that
 *   carries the name (graduation's), whose length follows it.
 * - Every template is checked once, when it is built, against a real render for a probe reader
 *   full of characters that need escaping; a template that fails (a future template putting the
 *   name somewhere React escapes differently, content that happens to contain a token) is never
 *   used, and those readers get the per-recipient render.
 * - URLs React or the text part would alter (javascript: sanitising, trimming) are not
 *   substituted either: anything but a whitespace-free http(s) URL takes the per-recipient render.
 * - A course that records clicks has a tracked address per link of the body, per send: one more
 *   numbered slot each. The body is Markdown HTML set as it is (not React text), so those values
 *   are escaped the way the Markdown walk escapes an href (markdown.ts escapeHtml), not React's way.
 */

// -- Placeholders -----------------------------------------------------------------------------

// Random per process, so neither course content nor a reader can know a token in advance.
// Lowercase alphanumerics: React leaves them alone, cleanName keeps them, and they are short
// enough (27 chars) never to be truncated as a name. Made on first use, not at import: Cloudflare
// Workers forbid random values in global scope.
let nonce: string | undefined;
const currentNonce = (): string =>
  (nonce ??= Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(36).padStart(2, "0")).join(""));

const SLOT_LETTERS = ["n", "u", "p", "l", "w", "j"] as const;
const NAME = 0;
const UNSUBSCRIBE = 1;
const PREFERENCES = 2;
/** Text part only: the `===` line under the graduation title, as long as the title. */
const UNDERLINE = 3;
const WEB_VERSION = 4;
/** Graduation's link to join the next course (per send, like the web version). */
const JOIN_NEXT = 5;
/**
 * Slot of the web version of the lesson at position i (graduation's recap): FIRST_LESSON + i; then
 * the tracked address of the body's link at position i: FIRST_LESSON + (number of lessons) + i.
 */
const FIRST_LESSON = SLOT_LETTERS.length;

/** A value per slot: the fixed slots above, then one per lesson link. */
type SlotValues = readonly string[];

const token = (letter: (typeof SLOT_LETTERS)[number]): string => `lp${currentNonce()}${letter}`;
// A numbered slot ends in "x", so lesson 1's token is never the start of lesson 12's.
const lessonToken = (index: number): string => `lp${currentNonce()}g${index}x`;
const clickSlotToken = (index: number): string => `lp${currentNonce()}k${index}x`;
let tokens: SlotValues | undefined;
let tokenPattern: RegExp | undefined;
const liveTokens = (): SlotValues => (tokens ??= SLOT_LETTERS.map(token));
const tokenPatternNow = (): RegExp => (tokenPattern ??= new RegExp(`lp${currentNonce()}(?:([${SLOT_LETTERS.join("")}])|g(\\d+)x|k(\\d+)x)`, "g"));

/** The live tokens, so tests can feed them back in as hostile names and URLs. */
export function placeholderTokens(): { name: string; unsubscribeUrl: string; preferencesUrl: string; webVersionUrl: string; joinNextUrl: string; lessonUrl: string; clickUrl: string } {
  const live = liveTokens();
  return { name: live[NAME]!, unsubscribeUrl: live[UNSUBSCRIBE]!, preferencesUrl: live[PREFERENCES]!, webVersionUrl: live[WEB_VERSION]!, joinNextUrl: live[JOIN_NEXT]!, lessonUrl: lessonToken(0), clickUrl: clickSlotToken(0) };
}

/** Exactly react-dom's escapeTextForBrowser, used for both text children and attribute values. */
const REACT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
const REACT_ESCAPED = /[&<>"']/g;
const NEEDS_ESCAPE = /[&<>"']/;

function escapeLikeReact(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(REACT_ESCAPED, (ch) => REACT_ESCAPES[ch] ?? ch) : value;
}

// -- Compiled templates -----------------------------------------------------------------------

/** `parts[0] + values[slots[0]] + parts[1] + …`: the rendered output cut at every token. */
interface Compiled {
  parts: readonly string[];
  slots: readonly number[];
  /** The parts as JSON string contents in UTF-8 (jsonStringContents), made when a batch body first needs them. */
  encodedParts?: readonly Uint8Array[];
}

interface Template {
  subject: string;
  html: Compiled;
  text: Compiled;
}

/** `lessonCount`: the template's number of lesson slots, after which the click slots begin. */
function compile(rendered: string, lessonCount: number): Compiled {
  const parts: string[] = [];
  const slots: number[] = [];
  let at = 0;
  for (const match of rendered.matchAll(tokenPatternNow())) {
    parts.push(rendered.slice(at, match.index));
    const [, letter, lesson, click] = match;
    slots.push(
      letter !== undefined ? SLOT_LETTERS.indexOf(letter as (typeof SLOT_LETTERS)[number]) : lesson !== undefined ? FIRST_LESSON + Number(lesson) : FIRST_LESSON + lessonCount + Number(click),
    );
    at = match.index + match[0].length;
  }
  parts.push(rendered.slice(at));
  return { parts, slots };
}

function fill(compiled: Compiled, values: SlotValues): string {
  const { parts, slots } = compiled;
  if (slots.length === 0) return parts[0] ?? "";
  const out = new Array<string>(parts.length + slots.length);
  out[0] = parts[0] ?? "";
  for (let i = 0; i < slots.length; i++) {
    // A slot the reader has no value for cannot occur: the template was built for their variant.
    out[2 * i + 1] = values[slots[i] as number] ?? "";
    out[2 * i + 2] = parts[i + 1] ?? "";
  }
  // join() hands back one flat string, like React's own output, rather than a rope.
  return out.join("");
}

function personalise(template: Template, reader: Reader): RenderedEmail {
  return new PersonalisedEmail(template, reader);
}

/**
 * A personalised email: the rendered strings, and privately the template and reader they came
 * from, so its JSON pieces can be made if a batch body asks (preEncodedTextOf). A private field
 * rather than a WeakMap: an entry per email in a WeakMap halved the render rate (the garbage
 * collector's cost for weak entries); and rather than a property, so the pieces are never data
 * (not in JSON, not in a copy, not in a test's equality).
 */
class PersonalisedEmail implements RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly #template: Template;
  readonly #reader: Reader;

  constructor(template: Template, reader: Reader) {
    this.subject = template.subject;
    this.html = fill(template.html, reader.html);
    this.text = fill(template.text, reader.text);
    this.#template = template;
    this.#reader = reader;
  }

  static encodedTextOf(rendered: RenderedEmail): PreEncodedText | undefined {
    if (!(#template in rendered)) return undefined;
    const { html, text } = rendered;
    const template = rendered.#template;
    const reader = rendered.#reader;
    return { html, text, htmlPieces: () => encodedFill(template.html, reader.html), textPieces: () => encodedFill(template.text, reader.text) };
  }
}

/**
 * For a personalised email, its html and text in encoded pieces (the template's, encoded once,
 * around the reader's values), so a batch body copies bytes instead of escaping the whole email
 * again (src/send/mailer.ts, PreEncodedText). Undefined for an email rendered on its own.
 */
export function preEncodedTextOf(rendered: RenderedEmail): PreEncodedText | undefined {
  return PersonalisedEmail.encodedTextOf(rendered);
}

/** fill()'s output as jsonStringContents pieces; falls back to encoding it whole where a piece boundary would split a surrogate pair. */
function encodedFill(compiled: Compiled, values: SlotValues): readonly Uint8Array[] {
  const { parts, slots } = compiled;
  const encodedParts = (compiled.encodedParts ??= parts.map(jsonStringContents));
  const out: Uint8Array[] = [encodedParts[0]!];
  for (let i = 0; i < slots.length; i++) {
    const value = values[slots[i] as number] ?? "";
    if (splitsPair(parts[i]!, value) || splitsPair(value, parts[i + 1]!)) return [jsonStringContents(fill(compiled, values))];
    if (value !== "") out.push(jsonStringContents(value));
    out.push(encodedParts[i + 1]!);
  }
  return out;
}

// -- Readers and variants ---------------------------------------------------------------------

interface Reader {
  /**
   * Which template variant this reader needs: bit flags for name, unsubscribe, preferences,
   * web-version and join-next links; with lesson links, also which lessons have one ("1" or "0" per lesson).
   */
  variant: number | string;
  /** Cleaned name, or null for the "Hi there," variant. */
  name: string | null;
  hasUnsubscribe: boolean;
  hasPreferences: boolean;
  hasWebVersion: boolean;
  hasJoinNext: boolean;
  /** Per lesson position: whether the reader has a web-version link for it. */
  lessonLinks: readonly boolean[];
  /** Per link of the body: whether the reader's copy has a tracked address for it. */
  clickLinks: readonly boolean[];
  html: SlotValues;
  text: SlotValues;
}

/** A template's underlinedTitle (EmailTemplate): the text part's title that carries the name. */
type UnderlinedTitle = (name: string) => string;

// React rewrites javascript: hrefs and the text part trims its link lines; a whitespace-free
// http(s) URL is untouched by both, so only those are spliced in.
const PLAIN_URL = /^https?:\/\/\S*$/i;

const notPlain = (url: string): boolean => url !== "" && !PLAIN_URL.test(url);

/**
 * The reader's values for a template, or null when they are outside what substitution can
 * reproduce exactly (the caller then renders for this reader alone).
 */
function readerFor(props: ReaderProps, underlinedTitle?: UnderlinedTitle): Reader | null {
  // The templates test every URL for truthiness, so "" is the same variant as no URL.
  const unsubscribe = props.unsubscribeUrl || "";
  const preferences = props.preferencesUrl || "";
  const webVersion = props.webVersionUrl || "";
  const joinNext = props.joinNextUrl || "";
  const lessons = props.lessonWebVersionUrls ?? [];
  const clicks = props.clickUrls ?? [];
  if (notPlain(unsubscribe) || notPlain(preferences) || notPlain(webVersion) || notPlain(joinNext)) return null;
  const lessonLinks: boolean[] = [];
  for (const url of lessons) {
    if (url && notPlain(url)) return null;
    lessonLinks.push(Boolean(url));
  }
  const clickLinks: boolean[] = [];
  for (const url of clicks) {
    if (url && notPlain(url)) return null;
    clickLinks.push(Boolean(url));
  }
  const name = cleanName(props.recipientName);
  const underline = name !== null && underlinedTitle ? titleRule(underlinedTitle(name)) : "";
  const flags = (name === null ? 0 : 1) | (unsubscribe ? 2 : 0) | (preferences ? 4 : 0) | (webVersion ? 8 : 0) | (joinNext ? 16 : 0);
  const html = [name === null ? "" : escapeLikeReact(name), escapeLikeReact(unsubscribe), escapeLikeReact(preferences), "", escapeLikeReact(webVersion), escapeLikeReact(joinNext)];
  const text = [name ?? "", unsubscribe, preferences, underline, webVersion, joinNext];
  for (const url of lessons) {
    html.push(escapeLikeReact(url || ""));
    text.push(url || "");
  }
  for (const url of clicks) {
    html.push(escapeHtml(url || ""));
    text.push(url || "");
  }
  const bits = (links: readonly boolean[]) => links.map((has) => (has ? "1" : "0")).join("");
  return {
    // A string only when there are lesson or tracked links, so every other email keeps a numeric variant.
    variant: lessons.length === 0 && clicks.length === 0 ? flags : `${flags}:${bits(lessonLinks)}:${bits(clickLinks)}`,
    name,
    hasUnsubscribe: unsubscribe !== "",
    hasPreferences: preferences !== "",
    hasWebVersion: webVersion !== "",
    hasJoinNext: joinNext !== "",
    lessonLinks,
    clickLinks,
    html,
    text,
  };
}

/**
 * The reader's props for the given values, laid over a template's props. Every field is set, so
 * none of the real reader's values shows through; "" and undefined are the same variant.
 */
function readerProps(name: string | null, values: SlotValues, lessonCount: number, clickCount: number): Required<ReaderProps> {
  return {
    recipientName: name,
    unsubscribeUrl: values[UNSUBSCRIBE] ?? "",
    preferencesUrl: values[PREFERENCES] ?? "",
    webVersionUrl: values[WEB_VERSION] ?? "",
    joinNextUrl: values[JOIN_NEXT] ?? "",
    lessonWebVersionUrls: Array.from({ length: lessonCount }, (_, i) => values[FIRST_LESSON + i] ?? ""),
    clickUrls: Array.from({ length: clickCount }, (_, i) => values[FIRST_LESSON + lessonCount + i] ?? ""),
  };
}

// Built-in probe for the build-time check: every character React escapes, String.replace
// patterns, a title length unlike the token's, URLs with query strings.
const PROBE_NAME = `Zoë O'Brien & <b>"Co"</b> $& $1`;
const PROBE_UNSUBSCRIBE = "https://probe.invalid/unsubscribe/t0k?a=1&b='2'&c=\"<3>\"";
const PROBE_PREFERENCES = "https://probe.invalid/preferences/t0k?x=&amp;";
const PROBE_WEB_VERSION = "https://probe.invalid/email/t0k?w='1'&v=<2>";
const PROBE_JOIN_NEXT = "https://probe.invalid/join/t0k?j='1'&k=<2>";
const probeLesson = (index: number): string => `https://probe.invalid/email/l${index}?n=${index}&q="${index}"`;
// An apostrophe too: the Markdown walk escapes it unlike React (&#39;, not &#x27;).
const probeClick = (index: number): string => `https://probe.invalid/r/c${index}?n=${index}&q="${index}'"`;

function sameEmail(a: RenderedEmail, b: RenderedEmail): boolean {
  return a.subject === b.subject && a.html === b.html && a.text === b.text;
}

/**
 * Renders a variant with tokens, compiles it and checks it against a real render for the probe
 * reader. Null means "never substitute into this one".
 */
function buildTemplate(
  reader: Reader,
  render: (who: Required<ReaderProps>) => RenderedEmail,
  underlinedTitle?: UnderlinedTitle,
): Template | null {
  const live = liveTokens();
  const lessonCount = reader.lessonLinks.length;
  const clickCount = reader.clickLinks.length;
  const tokenValues = [...live];
  tokenValues[UNSUBSCRIBE] = reader.hasUnsubscribe ? live[UNSUBSCRIBE]! : "";
  tokenValues[PREFERENCES] = reader.hasPreferences ? live[PREFERENCES]! : "";
  tokenValues[WEB_VERSION] = reader.hasWebVersion ? live[WEB_VERSION]! : "";
  tokenValues[JOIN_NEXT] = reader.hasJoinNext ? live[JOIN_NEXT]! : "";
  reader.lessonLinks.forEach((has, i) => (tokenValues[FIRST_LESSON + i] = has ? lessonToken(i) : ""));
  reader.clickLinks.forEach((has, i) => (tokenValues[FIRST_LESSON + lessonCount + i] = has ? clickSlotToken(i) : ""));
  const withTokens = render(readerProps(reader.name === null ? null : live[NAME]!, tokenValues, lessonCount, clickCount));
  let text = withTokens.text;
  if (underlinedTitle && reader.name !== null) {
    // The underline's length is the one thing that follows the name; make it a slot too.
    const title = underlinedTitle(live[NAME]!);
    const pieces = text.split(`${title}\n${titleRule(title)}\n`);
    if (pieces.length !== 2) return null;
    text = pieces.join(`${title}\n${live[UNDERLINE]}\n`);
  }
  const template: Template = { subject: withTokens.subject, html: compile(withTokens.html, lessonCount), text: compile(text, lessonCount) };

  const probe = readerFor(
    {
      recipientName: reader.name === null ? null : PROBE_NAME,
      unsubscribeUrl: reader.hasUnsubscribe ? PROBE_UNSUBSCRIBE : "",
      preferencesUrl: reader.hasPreferences ? PROBE_PREFERENCES : "",
      webVersionUrl: reader.hasWebVersion ? PROBE_WEB_VERSION : "",
      joinNextUrl: reader.hasJoinNext ? PROBE_JOIN_NEXT : "",
      lessonWebVersionUrls: reader.lessonLinks.map((has, i) => (has ? probeLesson(i) : "")),
      clickUrls: reader.clickLinks.map((has, i) => (has ? probeClick(i) : "")),
    },
    underlinedTitle,
  );
  if (!probe || probe.variant !== reader.variant) return null;
  const expected = render(readerProps(probe.name, probe.text, lessonCount, clickCount));
  return sameEmail(personalise(template, probe), expected) ? template : null;
}

// -- Cache --------------------------------------------------------------------------------------

const LEAF = Symbol("leaf");
interface Leaf {
  path: readonly KeyPart[];
  template: Template | null;
  lastUsed: number;
}
type TrieNode = Map<KeyPart | typeof LEAF, TrieNode | Leaf>;

/**
 * Templates keyed by the exact values that decide their content, as a trie of Maps: lookups use
 * the key strings themselves (a course's Markdown is the same string object on every call, so
 * V8 hashes it once), where a joined or JSON key would copy and rehash kilobytes per reader.
 * Past the bound, the least recently used template is evicted.
 */
const MAX_TEMPLATES = 256;
const root: TrieNode = new Map();
const leaves = new Set<Leaf>();
const stats = { builds: 0, hits: 0, fallbacks: 0, rejected: 0 };
let clock = 0;

/** The template's name and the reader's variant lead the path; the template's cacheKey follows. */
function lookup(name: string, variant: number | string, key: readonly KeyPart[]): Leaf | undefined {
  let node = (root.get(name) as TrieNode | undefined)?.get(variant) as TrieNode | undefined;
  if (!node) return undefined;
  for (const part of key) {
    node = node.get(part) as TrieNode | undefined;
    if (!node) return undefined;
  }
  const leaf = node.get(LEAF) as Leaf | undefined;
  // A stamp rather than reordering a list: hits are per reader, evictions are per content version.
  if (leaf) leaf.lastUsed = ++clock;
  return leaf;
}

function store(path: readonly KeyPart[], template: Template | null): void {
  let node = root;
  for (const part of path) {
    let next = node.get(part) as TrieNode | undefined;
    if (!next) {
      next = new Map();
      node.set(part, next);
    }
    node = next;
  }
  const leaf: Leaf = { path, template, lastUsed: ++clock };
  node.set(LEAF, leaf);
  leaves.add(leaf);
  if (leaves.size > MAX_TEMPLATES) {
    let oldest = leaf;
    for (const candidate of leaves) if (candidate.lastUsed < oldest.lastUsed) oldest = candidate;
    evict(oldest);
  }
}

function evict(leaf: Leaf): void {
  leaves.delete(leaf);
  const trail: TrieNode[] = [root];
  for (const part of leaf.path) {
    const next = trail.at(-1)?.get(part) as TrieNode | undefined;
    if (!next) return;
    trail.push(next);
  }
  trail.at(-1)?.delete(LEAF);
  for (let i = leaf.path.length; i > 0 && trail[i]?.size === 0; i--) trail[i - 1]?.delete(leaf.path[i - 1]);
}

function templateFor(name: string, variant: number | string, key: readonly KeyPart[], build: () => Template | null): Template | null {
  const cached = lookup(name, variant, key);
  if (cached) {
    stats.hits++;
    return cached.template;
  }
  stats.builds++;
  const template = build();
  if (!template) stats.rejected++;
  store([name, variant, ...key], template);
  return template;
}

export interface TemplateCacheStats {
  size: number;
  max: number;
  /** Templates built, each two React renders: with tokens, and the probe check. */
  builds: number;
  /** Readers served by substitution. */
  hits: number;
  /** Readers given the per-recipient render instead. */
  fallbacks: number;
  /** Templates that failed their probe check (their readers are among the fallbacks). */
  rejected: number;
}

/** For tests and the benchmark. */
export function templateCacheStats(): TemplateCacheStats {
  return { size: leaves.size, max: MAX_TEMPLATES, ...stats };
}

export function clearTemplateCache(): void {
  root.clear();
  leaves.clear();
  stats.builds = stats.hits = stats.fallbacks = stats.rejected = 0;
}

// -- Public API: same signatures as ./emails.ts -----------------------------------------------

/**
 * The one personalisation path: any template with a cacheKey, for one reader. Byte-identical to
 * renderEmail(template, props); readers substitution cannot reproduce get exactly that.
 */
export function personalizeEmail<Props extends ReaderProps>(template: EmailTemplate<Props>, props: Props): RenderedEmail {
  const { cacheKey, underlinedTitle } = template;
  const reader = cacheKey && readerFor(props, underlinedTitle);
  const cached =
    reader &&
    templateFor(template.name, reader.variant, cacheKey(props), () =>
      buildTemplate(reader, (who) => renderEmail(template, { ...props, ...who }), underlinedTitle),
    );
  if (!reader || !cached) {
    stats.fallbacks++;
    return renderEmail(template, props);
  }
  return personalise(cached, reader);
}

export const renderLessonEmailFast = (input: LessonEmailInput): RenderedEmail => personalizeEmail(lessonEmail, lessonProps(input));
export const renderGraduationEmailFast = (input: GraduationEmailInput): RenderedEmail =>
  personalizeEmail(graduationEmail, graduationProps(input));
export const renderNewsletterEmailFast = (input: NewsletterEmailInput): RenderedEmail =>
  personalizeEmail(newsletterEmail, newsletterProps(input));
