/** @jsxImportSource hono/jsx */
import type { Course } from "../../../content/schema.ts";
import { describeSend } from "../../../domain/reader-timeline.ts";
import type { DayPoint, FailedSendRow } from "../../../store/admin-queries.ts";
import { BUCKET_DEFINITIONS, READER_BUCKETS } from "../../../commands/reader-counts.ts";
import type { ReaderBucket, ReaderCounts } from "../../../commands/reader-counts.ts";
import { QUEUE_HEALTH, queueHealth } from "../../../commands/dashboard.ts";
import { DailyChart } from "./chart.tsx";
import { adminLayout } from "./layout.tsx";
import { courseHref, formatAt, TableBox } from "./parts.tsx";
import type { CourseNav, Html } from "./parts.tsx";

/** Where each bucket's readers are listed; "left" has no filter of its own yet. */
const BUCKET_FILTERS: Partial<Record<ReaderBucket, string>> = {
  pending: "pending",
  active: "active",
  paused: "paused",
  finished: "finished",
  left: "left",
  unsubscribed: "unsubscribed",
  bounced: "bounced",
  complained: "complained",
};

/** The readers by state, each in one bucket so they add up to the total, with what each means. */
export function ReaderCountsList(props: { counts: ReaderCounts; nav?: CourseNav | undefined }) {
  const { counts, nav } = props;
  return (
    <>
      <ul class="counts">
        <li data-count="total">
          <a href={courseHref(nav, "/admin/readers")}>
            <strong>{counts.total}</strong> Readers in all
          </a>
        </li>
        {READER_BUCKETS.map((bucket) => {
          const filter = BUCKET_FILTERS[bucket];
          const body = (
            <>
              <strong>{counts[bucket]}</strong> {BUCKET_DEFINITIONS[bucket].label}
            </>
          );
          return <li data-count={bucket}>{filter ? <a href={courseHref(nav, `/admin/readers?status=${filter}`)}>{body}</a> : <span class="count">{body}</span>}</li>;
        })}
      </ul>
      <details class="legend">
        <summary>What the numbers mean</summary>
        <p class="muted">Each reader is counted once, so the states add up to the readers in all.</p>
        <dl>
          {READER_BUCKETS.map((bucket) => (
            <>
              <dt>{BUCKET_DEFINITIONS[bucket].label}</dt>
              <dd>{BUCKET_DEFINITIONS[bucket].means}</dd>
            </>
          ))}
        </dl>
      </details>
    </>
  );
}

/** BullMQ's own words for job states, in the order an operator reads them. */
const QUEUE_ORDER = ["waiting", "active", "delayed", "prioritized", "waiting-children", "paused", "completed", "failed"];

export function QueueTable(props: { stats: Record<string, number> | null }) {
  const { stats } = props;
  if (!stats) {
    return (
      <p class="muted" data-queue="unavailable">
        Queue statistics are unavailable (Redis is not reachable from here, or this deployment has no queue).
      </p>
    );
  }
  const health = queueHealth(stats);
  const keys = [...QUEUE_ORDER.filter((k) => k in stats), ...Object.keys(stats).filter((k) => !QUEUE_ORDER.includes(k)).sort()];
  return (
    <>
      <table class="queue-stats" data-queue="available">
        <tbody>
          {QUEUE_HEALTH.map((h) => (
            <tr data-health={h.key}>
              <th scope="row">{h.label}</th>
              <td>{health[h.key]}</td>
              <td class="muted">{h.means}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details class="raw-queue">
        <summary>Raw queue states</summary>
        <table class="queue-raw">
          <tbody>
            {keys.map((k) => (
              <tr data-state={k}>
                <th scope="row">{k}</th>
                <td>{stats[k]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}

export function FailedTable(props: { course: Course; rows: FailedSendRow[]; zone: string; retry: boolean; nav?: CourseNav | undefined }) {
  const { course, rows, zone, retry, nav } = props;
  if (rows.length === 0) return <p class="muted">No failed sends.</p>;
  return (
    <TableBox label="Failed sends">
      <table class="failed">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Reader</th>
            <th scope="col">Email</th>
            <th scope="col">Reason</th>
            {retry ? <th scope="col"></th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>{formatAt(r.updated_at, zone)}</td>
              <td>
                <a href={courseHref(nav, `/admin/readers/${encodeURIComponent(r.subscriber_id)}`)}>{r.email}</a>
              </td>
              <td>
                {describeSend(course, { kind: r.kind, lesson_slug: r.lesson_slug, broadcast_subject: r.broadcast_subject })}
                <br />
                <span class="muted">
                  {r.attempts} attempt{r.attempts === 1 ? "" : "s"}
                </span>
              </td>
              <td class="reason">{r.error ?? "no reason recorded"}</td>
              {retry ? (
                <td>
                  <form method="post" action={courseHref(nav, `/admin/failed/${encodeURIComponent(r.id)}/retry`)} class="action">
                    <button type="submit" class="secondary">
                      Retry
                    </button>
                  </form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}

export function dashboardPage(input: {
  course: Course;
  nav: CourseNav;
  counts: ReaderCounts;
  series: DayPoint[];
  queue: Record<string, number> | null;
  failed: FailedSendRow[];
  failedTotal: number;
  zone: string;
}): Html {
  const { counts, nav } = input;
  const several = nav.courses.length > 1;
  return adminLayout(
    "Dashboard",
    "dashboard",
    <>
      <h1>{input.course.name}</h1>
      {several ? (
        <p class="muted">
          Figures for this course: its readers, its signups and its emails. The send queue is shared by every course.
        </p>
      ) : null}
      <section aria-labelledby="counts-h">
        <h2 id="counts-h">Readers</h2>
        <ReaderCountsList counts={counts} nav={nav} />
      </section>
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">Last {input.series.length} days</h2>
        <p class="muted">Days in {input.zone}. Sends are emails the provider accepted.</p>
        <DailyChart points={input.series} />
      </section>
      <section aria-labelledby="queue-h">
        <h2 id="queue-h">Send queue</h2>
        <QueueTable stats={input.queue} />
        <p>
          <a href="/admin/queues">Queues in detail</a>
        </p>
      </section>
      <section aria-labelledby="failed-h">
        <h2 id="failed-h">Latest failed sends</h2>
        <FailedTable course={input.course} rows={input.failed} zone={input.zone} retry={false} nav={nav} />
        {input.failedTotal > input.failed.length ? (
          <p>
            <a href={courseHref(nav, "/admin/failed")}>All {input.failedTotal} failed sends</a>
          </p>
        ) : input.failedTotal > 0 ? (
          <p>
            <a href={courseHref(nav, "/admin/failed")}>Retry them</a>
          </p>
        ) : null}
      </section>
    </>,
    { nav },
  );
}

export function queuesPage(stats: Record<string, number> | null): Html {
  return adminLayout(
    "Queues",
    "queues",
    <>
      <h1>Queues</h1>
      <p class="muted">The detailed queue board is not available in this deployment; these are the send queue's job counts.</p>
      <QueueTable stats={stats} />
    </>,
  );
}
