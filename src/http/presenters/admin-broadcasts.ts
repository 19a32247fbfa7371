import type { NewsletterProgress } from "../../commands/broadcasts.ts";
import type { Broadcast } from "../../store/broadcasts.ts";
import { STATUS_LABELS } from "../views/admin/broadcasts.tsx";

/** A newsletter's progress as the page's bar and its JSON poll read it, with the status in words. */
export function presentNewsletterProgress(progress: NewsletterProgress) {
  return { ...progress, statusLabel: STATUS_LABELS[progress.status] };
}

const iso = (t: number | null) => (t === null ? null : new Date(Number(t)).toISOString());

/**
 * GET /admin/api/broadcasts/:id: the newsletter, its progress (what the provider accepted so far)
 * and its results. The body itself stays out: the console shows it.
 */
export function presentBroadcast(broadcast: Broadcast, progress: NewsletterProgress) {
  return {
    id: broadcast.id,
    course: broadcast.course_slug,
    subject: broadcast.subject,
    audience: broadcast.audience,
    status: progress.status,
    statusLabel: STATUS_LABELS[progress.status],
    scheduledAt: iso(broadcast.scheduled_at),
    startedAt: iso(broadcast.started_at),
    finishedAt: iso(broadcast.finished_at),
    createdAt: iso(broadcast.created_at),
    progress: { expected: progress.expected, settled: progress.settled, percent: progress.percent, done: progress.done, materialized: progress.materialized },
    results: { total: progress.total, queued: progress.queued, sent: progress.sent, failed: progress.failed, cancelled: progress.cancelled, bounced: progress.bounced, delivered: progress.delivered },
  };
}
