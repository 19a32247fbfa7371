import { DEFINITIONS } from "../commands/analytics.ts";
import type { CourseAnalytics, Figure } from "../commands/analytics.ts";

/**
 * `npm run admin -- analytics`: the console's two tables as aligned plain text for a terminal
 * (numbers right-aligned, each rate beside its count), then what "unsubscribed" counts.
 */

const percent = (rate: number | null) => (rate === null ? "—" : `${(rate * 100).toFixed(1)}%`);
const cell = (f: Figure) => `${f.count} (${percent(f.rate)})`;

/** Columns padded to their widest cell; the first column left-aligned, the rest right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

export function analyticsText(data: CourseAnalytics): string {
  const lessons = table([
    ["Lesson", "Sent", "Delivered", "Opened", "Clicked", "Bounced", "Complained", "Unsubscribed"],
    ...data.lessons.map((l) => [
      l.number !== null ? `${l.number}. ${l.title}` : l.title,
      String(l.sent),
      cell(l.delivered),
      cell(l.opened),
      cell(l.clicked),
      cell(l.bounced),
      cell(l.complained),
      cell(l.unsubscribed),
    ]),
  ]);
  const share = (counts: number[]) => counts.map((n, i) => (i === 0 ? String(n) : `${n} (${percent(counts[0]! > 0 ? n / counts[0]! : null)})`));
  const funnel = table([["Week", ...data.funnel.steps.map((s) => s.label)], ...data.funnel.weeks.map((w) => [w.week, ...share(w.counts)]), ["Every week", ...share(data.funnel.total)]]);
  const notes = [
    ...(data.lessons.some((l) => l.sent > 0) && !data.tracking.opens ? ["Note: opens come from the provider's tracking; none recorded for this course: it may be off."] : []),
    ...(data.lessons.some((l) => l.sent > 0) && !data.tracking.clicks ? ["Note: clicks come from the provider's or the course's click tracking; none recorded for this course: it may be off."] : []),
  ];
  return [
    `${data.course.name} (${data.course.slug}): its lessons and graduation email; rates in parentheses.`,
    "",
    ...lessons,
    "",
    `Unsubscribed: ${DEFINITIONS.unsubscribed}.`,
    ...notes,
    "",
    "Readers by the ISO week (UTC) they joined; percentages are of that week's readers.",
    "",
    ...funnel,
  ].join("\n");
}
