/** @jsxImportSource hono/jsx */
import { DEFINITIONS } from "../../../commands/analytics.ts";
import type { CourseAnalytics, Figure, LessonFigures } from "../../../commands/analytics.ts";
import { adminLayout } from "./layout.tsx";
import { courseHref } from "./parts.tsx";
import type { CourseNav, Html } from "./parts.tsx";

/**
 * The Analytics page of one course: what readers did with each lesson, and where each week's
 * readers dropped off. Charts are inline SVG drawn here (no script; the CSP allows none inline),
 * each an image with a title and a description, and the same numbers sit in a table right after
 * it. Colours are presentation attributes that read on the light and the dark theme alike; text
 * takes the page's own colour.
 */

const FIGURES = ["delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"] as const;

const LABELS: Record<(typeof FIGURES)[number] | "sent", string> = {
  sent: "Sent",
  delivered: "Delivered",
  opened: "Opened",
  clicked: "Clicked",
  bounced: "Bounced",
  complained: "Complained",
  unsubscribed: "Unsubscribed",
};

/** A definition as a sentence. */
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

export const percent = (rate: number | null): string => (rate === null ? "—" : `${(rate * 100).toFixed(1)}%`);

/** At most `max` characters, for a label in a chart (the table has the whole title). */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const lessonLabel = (l: LessonFigures) => (l.number !== null ? `${l.number}. ${l.title}` : l.title);

const SERIES = [
  { key: "delivered", label: "Delivered, of sent", colour: "#28718c" },
  { key: "opened", label: "Opened, of delivered", colour: "#8e5bb5" },
  { key: "clicked", label: "Clicked, of delivered", colour: "#b26a00" },
] as const;

const W = 480;
const LABEL_W = 150;
/** Room on the right of the longest bar for its label, "7 (100.0%)". */
const BAR_MAX = W - LABEL_W - 84;
const FONT = 13;

/** Delivered, opened and clicked rates of each lesson, as grouped horizontal bars (0–100%). */
function LessonChart(props: { lessons: LessonFigures[] }) {
  const rows = props.lessons;
  const barH = 10;
  const groupH = SERIES.length * (barH + 3) + 14;
  const legendH = 24;
  const height = legendH + rows.length * groupH + 8;
  const describe = rows.map((l) => `${lessonLabel(l)}: ${SERIES.map((s) => `${s.key} ${percent(l[s.key].rate)}`).join(", ")}`).join("; ");
  return (
    <figure class="chart">
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby="lessons-chart-title lessons-chart-desc" data-chart="lessons">
        <title id="lessons-chart-title">Delivered, opened and clicked, per lesson</title>
        <desc id="lessons-chart-desc">{`Rates per lesson (delivered of sent; opened and clicked of delivered). ${describe}.`}</desc>
        {/* The key, inside the drawing: a separate small SVG would be stretched by the chart's own CSS. */}
        {SERIES.map((s, j) => (
          <g data-key={s.key}>
            <rect x={j * 160} y="4" width="12" height="12" fill={s.colour} />
            <text x={j * 160 + 17} y="15" font-size={FONT - 1} fill="currentColor">
              {s.label}
            </text>
          </g>
        ))}
        {rows.map((l, i) => {
          const top = legendH + 4 + i * groupH;
          return (
            <g data-lesson={l.key}>
              <text x="0" y={top + FONT} font-size={FONT} fill="currentColor">
                {clip(lessonLabel(l), 22)}
              </text>
              {SERIES.map((s, j) => {
                const rate = l[s.key].rate ?? 0;
                const y = top + 2 + j * (barH + 3);
                return (
                  <>
                    <rect x={LABEL_W} y={y} width={(rate * BAR_MAX).toFixed(1)} height={barH} fill={s.colour} data-series={s.key}>
                      <title>{`${lessonLabel(l)}: ${s.label.toLowerCase()} ${percent(l[s.key].rate)}`}</title>
                    </rect>
                    <text x={(LABEL_W + rate * BAR_MAX + 4).toFixed(1)} y={y + barH - 1} font-size={FONT - 2} fill="currentColor">
                      {percent(l[s.key].rate)}
                    </text>
                  </>
                );
              })}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function Cell(props: { figure: Figure }) {
  return (
    <td>
      {props.figure.count} <span class="muted">({percent(props.figure.rate)})</span>
    </td>
  );
}

function LessonTable(props: { lessons: LessonFigures[] }) {
  return (
    // Focusable: on a phone the console's CSS makes a wide table scroll inside itself, and a
    // keyboard must be able to scroll it too.
    <table class="analytics-lessons" tabindex={0}>
      <caption>Per lesson: each figure is a count, then its rate</caption>
      <thead>
        <tr>
          <th scope="col">Lesson</th>
          <th scope="col">{LABELS.sent}</th>
          {FIGURES.map((k) => (
            <th scope="col">{LABELS[k]}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.lessons.map((l) => (
          <tr data-lesson={l.key}>
            <th scope="row">{lessonLabel(l)}</th>
            <td>{l.sent}</td>
            {FIGURES.map((k) => (
              <Cell figure={l[k]} />
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The funnel over every week: one bar per step, as a share of the readers who joined. */
function FunnelChart(props: { steps: CourseAnalytics["funnel"]["steps"]; total: number[] }) {
  const { steps, total } = props;
  const joined = total[0] ?? 0;
  const rowH = 24;
  const height = steps.length * rowH + 8;
  const share = (n: number) => (joined > 0 ? n / joined : null);
  return (
    <figure class="chart">
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby="funnel-chart-title funnel-chart-desc" data-chart="funnel">
        <title id="funnel-chart-title">Where readers drop off</title>
        <desc id="funnel-chart-desc">{`Readers of every signup week at each step: ${steps.map((s, i) => `${s.label} ${total[i]} (${percent(share(total[i]!))})`).join(", ")}.`}</desc>
        {steps.map((s, i) => {
          const n = total[i]!;
          const y = 4 + i * rowH;
          const width = (share(n) ?? 0) * BAR_MAX;
          return (
            <g data-step={s.key}>
              <text x="0" y={y + FONT + 2} font-size={FONT} fill="currentColor">
                {clip(s.label, 22)}
              </text>
              <rect x={LABEL_W} y={y + 3} width={width.toFixed(1)} height={rowH - 8} fill="#28718c">
                <title>{`${s.label}: ${n} (${percent(share(n))} of the readers who joined)`}</title>
              </rect>
              <text x={(LABEL_W + width + 4).toFixed(1)} y={y + FONT + 2} font-size={FONT - 1} fill="currentColor">
                {`${n} (${percent(share(n))})`}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function FunnelTable(props: { funnel: CourseAnalytics["funnel"] }) {
  const { steps, weeks, total } = props.funnel;
  const row = (counts: number[]) =>
    counts.map((n, i) => (
      <td>
        {n}
        {i > 0 ? <span class="muted"> ({percent(counts[0]! > 0 ? n / counts[0]! : null)})</span> : null}
      </td>
    ));
  return (
    <table class="analytics-funnel" tabindex={0}>
      <caption>Readers by the week they joined (ISO week, UTC); percentages are of the readers who joined that week</caption>
      <thead>
        <tr>
          <th scope="col">Week</th>
          {steps.map((s) => (
            <th scope="col">{s.label}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {weeks.map((w) => (
          <tr data-week={w.week}>
            <th scope="row">
              {w.week} <span class="muted">(from {w.startsOn})</span>
            </th>
            {row(w.counts)}
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr data-week="all">
          <th scope="row">Every week</th>
          {row(total)}
        </tr>
      </tfoot>
    </table>
  );
}

export function analyticsPage(input: { data: CourseAnalytics; nav: CourseNav }): Html {
  const { data, nav } = input;
  const anything = data.lessons.some((l) => l.sent > 0);
  return adminLayout(
    "Analytics",
    "analytics",
    <>
      <h1>Analytics: {data.course.name}</h1>
      <p class="muted">Every figure is about this course's lessons and graduation email; newsletters are not counted. Events come from the provider's webhooks.</p>
      {anything && !data.tracking.opens ? (
        <p class="notice" data-note="opens">
          Opens come from the provider's tracking; none recorded for this course: it may be off (turn on open tracking for your sending domain at the provider).
        </p>
      ) : null}
      {anything && !data.tracking.clicks ? (
        <p class="notice" data-note="clicks">
          Clicks come from the provider's click tracking, or the course's own (<code>tracking: {"{ clicks: true }"}</code> in its course.yaml); none recorded for this course: it may be off.
        </p>
      ) : null}
      <section aria-labelledby="lessons-h">
        <h2 id="lessons-h">Lessons</h2>
        {anything ? <LessonChart lessons={data.lessons} /> : <p class="muted">No lesson of this course has been sent yet.</p>}
        <LessonTable lessons={data.lessons} />
        <p>
          <a href={courseHref(nav, "/admin/analytics/lessons.csv")} download>
            Download the lessons table as CSV
          </a>
        </p>
        <h3>What each figure counts</h3>
        <dl class="facts">
          {(["sent", ...FIGURES] as const).map((k) => (
            <>
              <dt>{LABELS[k]}</dt>
              <dd>{sentence(DEFINITIONS[k])}</dd>
            </>
          ))}
        </dl>
      </section>
      <section aria-labelledby="funnel-h">
        <h2 id="funnel-h">Funnel</h2>
        <p class="muted">{sentence(DEFINITIONS.funnel)}</p>
        {data.funnel.weeks.length > 0 ? (
          <>
            <FunnelChart steps={data.funnel.steps} total={data.funnel.total} />
            <FunnelTable funnel={data.funnel} />
            <p>
              <a href={courseHref(nav, "/admin/analytics/funnel.csv")} download>
                Download the funnel as CSV
              </a>
            </p>
          </>
        ) : (
          <p class="muted">No reader has joined this course yet.</p>
        )}
      </section>
    </>,
    { nav },
  );
}
