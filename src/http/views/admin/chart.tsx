/** @jsxImportSource hono/jsx */
import { DateTime } from "luxon";
import type { DayPoint } from "../../../store/admin-queries.ts";

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 32, left: 44 };

/** A round number at or above `max`, so the top gridline reads 10, 50, 200… rather than 37. */
function niceCeiling(max: number): number {
  if (max <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

/**
 * Signups and sends per day as an inline SVG, drawn here on the server: no chart library, no
 * script (the CSP allows none inline), colours from the stylesheet so it follows dark mode. Every
 * point carries a <title>, and a table below repeats the numbers for screen readers.
 */
export function DailyChart(props: { points: DayPoint[] }) {
  const { points } = props;
  const top = niceCeiling(Math.max(1, ...points.map((p) => Math.max(p.signups, p.sends))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const fmt = (n: number) => n.toFixed(1);
  const label = (day: string) => DateTime.fromISO(day).toFormat("d LLL");
  const line = (key: "signups" | "sends") => points.map((p, i) => `${fmt(x(i))},${fmt(y(p[key]))}`).join(" ");
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const value = Math.round(top * f);
    return (
      <>
        <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={fmt(y(value))} y2={fmt(y(value))} />
        <text class="axis" x={PAD.left - 6} y={fmt(y(value) + 4)} text-anchor="end">
          {value}
        </text>
      </>
    );
  });
  const ticks = points.map((p, i) =>
    i % 5 === 0 || i === points.length - 1 ? (
      <text class="axis" x={fmt(x(i))} y={HEIGHT - 10} text-anchor="middle">
        {label(p.day)}
      </text>
    ) : null,
  );
  const dots = (key: "signups" | "sends", noun: string) =>
    points.map((p, i) => (
      <circle class={`point ${key}`} data-day={p.day} cx={fmt(x(i))} cy={fmt(y(p[key]))} r="3">
        <title>{`${label(p.day)}: ${p[key]} ${noun}`}</title>
      </circle>
    ));
  const totals = { signups: points.reduce((s, p) => s + p.signups, 0), sends: points.reduce((s, p) => s + p.sends, 0) };
  const first = points[0];
  const last = points.at(-1);
  return (
    <figure class="chart">
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="chart-title chart-desc" data-days={points.length}>
        <title id="chart-title">Signups and sends per day</title>
        <desc id="chart-desc">{first && last ? `From ${first.day} to ${last.day}: ${totals.signups} signups and ${totals.sends} emails sent.` : "No days."}</desc>
        {grid}
        {ticks}
        <polyline class="series signups" points={line("signups")} />
        <polyline class="series sends" points={line("sends")} />
        {dots("signups", "signups")}
        {dots("sends", "sent")}
      </svg>
      <figcaption>
        <span class="key signups">● Signups ({totals.signups})</span>
        <span class="key sends">● Emails sent ({totals.sends})</span>
      </figcaption>
      <details>
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Signups</th>
              <th scope="col">Sent</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr>
                <td>{p.day}</td>
                <td>{p.signups}</td>
                <td>{p.sends}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
