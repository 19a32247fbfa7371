import { queueHealth } from "../../commands/dashboard.ts";
import type { DashboardFigures } from "../../commands/dashboard.ts";
import type { ReaderView } from "../../commands/reader-actions.ts";
import type { OutgoingEmail } from "../../send/mailer.ts";
import type { FailedSendRow, ReaderPage } from "../../store/admin-queries.ts";
import type { ImportReport } from "../../store/reader-import.ts";

/**
 * The JSON shapes of /admin/api. Times are ISO strings (or null), names are camelCase, and only
 * what a script needs leaves the server: these are the API's contract, kept apart from the rows
 * the store happens to return.
 */

const iso = (t: number | null | undefined) => (t === null || t === undefined ? null : new Date(Number(t)).toISOString());

/**
 * One course's figures; the queue is every course's. `counts` are the reader buckets
 * (src/store/reader-counts.ts), plus `signups` (= total) and `completed` (= finished) under the
 * names earlier clients read. `queue` stays BullMQ's raw states; `queueHealth` is the publisher's view.
 */
export function presentStats(data: DashboardFigures) {
  const counts = { ...data.counts, signups: data.counts.total, completed: data.counts.finished };
  return { course: data.course.slug, counts, days: data.series, zone: data.zone, queue: data.queue, queueHealth: data.queue ? queueHealth(data.queue) : null, failedSends: data.failedTotal };
}

export function presentReaderList(page: ReaderPage) {
  return {
    items: page.items.map((r) => ({
      id: r.id,
      email: r.email,
      name: r.name,
      status: r.status,
      createdAt: iso(r.created_at),
      enrollment: r.enrollment_status ? { status: r.enrollment_status, nextSlug: r.next_slug, nextDueAt: iso(r.next_due_at) } : null,
    })),
    next: page.next,
    prev: page.prev,
  };
}

/** `enrollment`, `next` and `timeline` are about `course`; `enrollments` lists every course the reader is in. */
export function presentReader({ course, detail, timeline, next, enrollments }: ReaderView) {
  const { subscriber: s, enrollment: e } = detail;
  return {
    subscriber: {
      id: s.id,
      email: s.email,
      name: s.name,
      timezone: s.timezone,
      status: s.status,
      createdAt: iso(s.created_at),
      confirmedAt: iso(s.confirmed_at),
      unsubscribedAt: iso(s.unsubscribed_at),
      consent: { at: iso(s.consent_at), form: s.consent_form, textVersion: s.consent_text_version },
    },
    course: course.slug,
    enrollment: e
      ? { id: e.id, status: e.status, startedAt: iso(e.started_at), nextSlug: e.next_slug, nextDueAt: iso(e.next_due_at), pausedUntil: iso(e.paused_until), completedAt: iso(e.completed_at) }
      : null,
    enrollments: enrollments.map(({ enrollment: x, next: n }) => ({
      course: x.course_slug,
      id: x.id,
      status: x.status,
      startedAt: iso(x.started_at),
      nextSlug: x.next_slug,
      nextDueAt: iso(x.next_due_at),
      completedAt: iso(x.completed_at),
      next: n ? n.sentence : null,
    })),
    next: { sentence: next.sentence, slug: next.slug, dueAt: iso(next.dueAt) },
    timeline: timeline.map((t) => ({ at: iso(t.at), kind: t.kind, text: t.text, sendId: t.sendId ?? null })),
  };
}

export function presentFailedSends(rows: FailedSendRow[], total: number) {
  return {
    total,
    items: rows.map((r) => ({ id: r.id, kind: r.kind, lesson: r.lesson_slug, subscriberId: r.subscriber_id, email: r.email, error: r.error, attempts: r.attempts, failedAt: iso(r.updated_at) })),
  };
}

export function presentImport(report: ImportReport) {
  const rows = (list: ImportReport["invalid"]) => list.map((p) => ({ line: p.line, email: p.email, reason: p.reason }));
  return { rows: report.rows, imported: report.imported, joined: rows(report.joined), invalid: rows(report.invalid), duplicates: rows(report.duplicates), suppressed: rows(report.suppressed), existing: rows(report.existing), warnings: rows(report.warnings) };
}

/** An email as a preview shows it whole: envelope, headers and both parts. */
export function presentEmail(email: OutgoingEmail) {
  return { from: email.from, to: email.to, subject: email.subject, headers: email.headers, html: email.html, text: email.text };
}
