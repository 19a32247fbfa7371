import { DomainError } from "../errors.ts";
import type { Catalogue } from "../content/catalogue.ts";
import { tracksClicks } from "../content/schema.ts";
import type { Course } from "../content/schema.ts";
import { parseMailbox } from "../email-address.ts";
import { GRADUATION_SLUG } from "../domain/course-plan.ts";
import { formatAddress, headerSafe, withPreEncodedText } from "../send/mailer.ts";
import type { OutgoingEmail } from "../send/mailer.ts";
import { idempotencyKeyFor } from "../store/sends.ts";
import type { Send } from "../store/sends.ts";
import type { Subscriber } from "../store/subscribers.ts";
import type { SentLesson } from "../store/web-version.ts";
import { clickToken, confirmToken, joinNextToken, preferencesToken, unsubscribeToken, webVersionToken } from "../tokens.ts";
import { renderConfirmEmail, renderConfirmReminderEmail, renderPreferencesLinkEmail } from "./emails.ts";
import { listIdHeader } from "./list-id.ts";
import { trackedLinks } from "./markdown.ts";
import { preEncodedTextOf, renderGraduationEmailFast, renderLessonEmailFast, renderNewsletterEmailFast } from "./personalize.ts";

export interface ComposeContext {
  /** The course this email speaks for: its sender name, Reply-To, publisher, footer and List-Id. */
  course: Course;
  appUrl: string;
  secretKey: string;
  /** EMAIL_FROM: its address sends every course's email, under the course's own sender name. */
  from: string;
  /**
   * Where the graduation email finds the course its `next:` offers. Absent (or the course is not
   * there): no offer.
   */
  catalogue?: Pick<Catalogue, "get"> | undefined;
  now: number;
  /**
   * The lessons this reader was sent (src/store/web-version.ts sentLessons), for the graduation
   * email's links to each one's web version. Absent: the recap has no links (a sample reader).
   */
  sentLessons?: ((subscriberId: string) => Promise<readonly Pick<SentLesson, "id" | "lessonSlug">[]>) | undefined;
}

/** Ties a delivered message back to its ledger row (support questions, provider webhooks, audits). */
export const SEND_ID_HEADER = "X-Lessonpost-Send-Id";

/**
 * A ledger row that can no longer become an email (its lesson or newsletter is gone). It is the one
 * DomainError (a `conflict`, so app.ts answers 409 wherever it surfaces) under a name of its own,
 * because the send worker must tell it apart: it fails the row for good instead of retrying.
 */
export class ComposeError extends DomainError {
  override name = "ComposeError";
  constructor(message: string) {
    super("conflict", "cannot_render", message, { title: "Cannot render" });
  }
}

export async function unsubscribeUrlFor(ctx: Pick<ComposeContext, "appUrl" | "secretKey">, subscriberId: string): Promise<string> {
  return `${ctx.appUrl}/unsubscribe/${await unsubscribeToken(ctx.secretKey, subscriberId)}`;
}

/** The footer's link to the reader's data: its own expiring token, never the unsubscribe one. */
export async function preferencesUrlFor(ctx: Pick<ComposeContext, "appUrl" | "secretKey">, subscriberId: string, issuedAt: number): Promise<string> {
  return `${ctx.appUrl}/preferences/${await preferencesToken(ctx.secretKey, subscriberId, issuedAt)}`;
}

/** "View in your browser": names the ledger row, so each email, and each retry of it, has its own fixed link. */
export async function webVersionUrlFor(ctx: Pick<ComposeContext, "appUrl" | "secretKey">, sendId: string): Promise<string> {
  return `${ctx.appUrl}/email/${await webVersionToken(ctx.secretKey, sendId)}`;
}

/** Graduation's "Join <next course>": names the graduation's ledger row, so it offers that one course to that one reader. */
export async function joinNextUrlFor(ctx: Pick<ComposeContext, "appUrl" | "secretKey">, sendId: string): Promise<string> {
  return `${ctx.appUrl}/join/${await joinNextToken(ctx.secretKey, sendId)}`;
}

/**
 * A course that records clicks: the tracked address of each http(s) link of the body, by position
 * (markdown.ts trackedLinks), each naming this send, the link's position and its hash, never the
 * address itself. Undefined when the course does not record clicks: its links stay as written.
 * Only the body's links: the footer's (unsubscribe, preferences, web version) and the credit's
 * source link are not the body, so they are never rewritten.
 */
export async function clickUrlsFor(ctx: Pick<ComposeContext, "appUrl" | "secretKey" | "course">, sendId: string, markdown: string): Promise<string[] | undefined> {
  if (!tracksClicks(ctx.course)) return undefined;
  return Promise.all(trackedLinks(markdown).map(async (url, i) => `${ctx.appUrl}/r/${await clickToken(ctx.secretKey, sendId, i, url)}`));
}

/**
 * The From header: EMAIL_FROM's address (the domain the provider verified) under the course's own
 * sender name, so each course's email arrives from its publisher.
 */
export function fromFor(emailFrom: string, course: Pick<Course, "sender">): string {
  const mailbox = parseMailbox(emailFrom);
  return mailbox ? formatAddress(mailbox.address, course.sender.name) : emailFrom;
}

/**
 * Turns one ledger row into the exact email the provider receives. Deterministic for a given row,
 * reader and course version, so a retry sends the same bytes under the same idempotency key.
 */
/** The parts of a ledger row that decide what the email says. */
export type ComposableSend = Pick<Send, "id" | "kind" | "lesson_slug" | "created_at">;

/** What a newsletter says: its own Markdown, or a lesson sent as a newsletter. */
export interface NewsletterContent {
  subject: string;
  markdown: string | null;
  lessonSlug: string | null;
  /** Inbox preview text; absent or null = the lesson's preview, or the body's first words. */
  preview?: string | null;
}

export async function composeEmail(send: ComposableSend, subscriber: Subscriber, ctx: ComposeContext, newsletter?: NewsletterContent): Promise<OutgoingEmail> {
  const recipient = { email: subscriber.email, name: subscriber.name };
  const base = {
    from: fromFor(ctx.from, ctx.course),
    to: formatAddress(subscriber.email, subscriber.name),
    replyTo: ctx.course.sender.replyTo,
    idempotencyKey: idempotencyKeyFor(send.id),
    tags: [{ name: "kind", value: send.kind }],
  };

  if (send.kind === "confirm" || send.kind === "confirm-reminder") {
    // One per signup and nothing to share between readers, so it keeps the plain render.
    // The token is minted from the row's creation time, so every retry carries the same link; the
    // reminder's row is new, so its link is fresh (the first one may be close to expiring).
    const confirmUrl = `${ctx.appUrl}/confirm/${await confirmToken(ctx.secretKey, subscriber.id, send.created_at)}`;
    const render = send.kind === "confirm" ? renderConfirmEmail : renderConfirmReminderEmail;
    const rendered = render({ course: ctx.course, recipient, confirmUrl });
    return { ...base, subject: headerSafe(rendered.subject), html: rendered.html, text: rendered.text, headers: { [SEND_ID_HEADER]: send.id } };
  }

  if (send.kind === "preferences-link") {
    // Asked for from the expired-link page; transactional like the confirmation, so no unsubscribe.
    const rendered = renderPreferencesLinkEmail({ course: ctx.course, recipient, preferencesUrl: await preferencesUrlFor(ctx, subscriber.id, send.created_at) });
    return { ...base, subject: headerSafe(rendered.subject), html: rendered.html, text: rendered.text, headers: { [SEND_ID_HEADER]: send.id } };
  }

  const unsubscribeUrl = await unsubscribeUrlFor(ctx, subscriber.id);
  // A fresh 30-day link in every email. Dated by the row, not the clock: rows are made when they
  // fall due, and a retry (a batch above all) must be byte-identical under its idempotency key.
  const preferencesUrl = await preferencesUrlFor(ctx, subscriber.id, send.created_at);
  const webVersionUrl = await webVersionUrlFor(ctx, send.id);
  // List mail (lessons, graduation, newsletters) carries the list headers; the confirmation is a
  // transactional reply to one signup, before the reader is on any list, so it carries none.
  // RFC 8058 one-click: mailbox providers POST to the List-Unsubscribe URL.
  // The footer link of a course's own email names the course, so its page can offer "stop this
  // course" beside "stop all email". The query selects, it grants nothing: the token is the
  // reader's. The List-Unsubscribe header keeps the bare link, since one-click stops all email.
  const courseUnsubscribeUrl = `${unsubscribeUrl}?course=${encodeURIComponent(ctx.course.slug)}`;
  const headers = {
    "List-Id": listIdHeader(ctx.course, ctx.appUrl),
    "List-Unsubscribe": `<${unsubscribeUrl}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    [SEND_ID_HEADER]: send.id,
  };

  if (send.kind === "lesson") {
    const lesson = ctx.course.lessons.find((l) => l.slug === send.lesson_slug);
    if (!lesson) throw new ComposeError(`lesson "${send.lesson_slug}" is no longer in the course`);
    const clickUrls = await clickUrlsFor(ctx, send.id, lesson.markdown);
    // Rendered once per lesson version, then personalised per reader (./personalize.ts).
    const rendered = renderLessonEmailFast({ course: ctx.course, lesson, recipient, unsubscribeUrl: courseUnsubscribeUrl, preferencesUrl, webVersionUrl, ...(clickUrls ? { clickUrls } : {}) });
    return withPreEncodedText({ ...base, subject: headerSafe(rendered.subject), html: rendered.html, text: rendered.text, headers }, preEncodedTextOf(rendered));
  }
  if (send.kind === "graduation" || send.lesson_slug === GRADUATION_SLUG) {
    // No tracked links here, even in a course that records clicks: the graduation email has no
    // body of the publisher's, only the reader's own web versions and the join-next offer.
    // Each lesson links to the reader's own copy of it; a lesson they were never sent has no link.
    const sent = new Map((ctx.sentLessons ? await ctx.sentLessons(subscriber.id) : []).map((row) => [row.lessonSlug, row.id]));
    const lessonWebVersionUrls = await Promise.all(
      ctx.course.lessons.map((lesson) => {
        const id = sent.get(lesson.slug);
        return id ? webVersionUrlFor(ctx, id) : "";
      }),
    );
    // Chaining: the course `next:` names is offered, never joined for the reader.
    const next = ctx.course.next !== undefined ? ctx.catalogue?.get(ctx.course.next) : undefined;
    const joinNextUrl = next ? await joinNextUrlFor(ctx, send.id) : undefined;
    const rendered = renderGraduationEmailFast({ course: ctx.course, recipient, unsubscribeUrl: courseUnsubscribeUrl, preferencesUrl, webVersionUrl, lessonWebVersionUrls, next, ...(joinNextUrl ? { joinNextUrl } : {}) });
    return withPreEncodedText({ ...base, subject: headerSafe(rendered.subject), html: rendered.html, text: rendered.text, headers }, preEncodedTextOf(rendered));
  }
  if (send.kind === "newsletter") {
    if (!newsletter) throw new ComposeError("the newsletter for this email no longer exists");
    const lesson = newsletter.lessonSlug ? ctx.course.lessons.find((l) => l.slug === newsletter.lessonSlug) : undefined;
    if (newsletter.lessonSlug && !lesson) throw new ComposeError(`lesson "${newsletter.lessonSlug}" is no longer in the course`);
    const markdown = lesson ? lesson.markdown : (newsletter.markdown ?? "");
    const preview = newsletter.preview || lesson?.preview;
    const clickUrls = await clickUrlsFor(ctx, send.id, markdown);
    const rendered = renderNewsletterEmailFast({ course: ctx.course, recipient, subject: newsletter.subject, markdown, ...(preview ? { preview } : {}), unsubscribeUrl, preferencesUrl, webVersionUrl, ...(clickUrls ? { clickUrls } : {}) });
    return withPreEncodedText({ ...base, subject: headerSafe(rendered.subject), html: rendered.html, text: rendered.text, headers }, preEncodedTextOf(rendered));
  }
  throw new ComposeError(`no template for emails of kind "${send.kind}"`);
}
