/** @jsxImportSource hono/jsx */
import { DateTime } from "luxon";
import type { DayPoint } from "../../../store/admin-queries.ts";
import { niceTicks } from "./nice-ticks.ts";

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 32, left: 44 };

/**
 * Signups and sends per day as an inline SVG, drawn here on the server: no chart library, no
 * script (the CSP allows none inline), colours from the stylesheet so it follows dark mode. Every
 * point carries a <title>, and a table below repeats the numbers for screen readers.
 */
export function DailyChart(props: { points: DayPoint[] }) {
  const { points } = props;
  const scale = niceTicks(Math.max(0, ...points.map((p) => Math.max(p.signups, p.sends))));
  const top = scale.at(-1)!;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const fmt = (n: number) => n.toFixed(1);
  const label = (day: string) => DateTime.fromISO(day).toFormat("d LLL");
  const line = (key: "signups" | "sends") => points.map((p, i) => `${fmt(x(i))},${fmt(y(p[key]))}`).join(" ");
  const grid = scale.map((value) => {
    return (
      <>
        <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={fmt(y(value))} y2={fmt(y(value))} />
        <text class="axis" x={PAD.left - 6} y={fmt(y(value) + 4)} text-anchor="end">
          {value}
        </text>
      </>
    );
  });
  // Every fifth day and the last one; a fifth day too close to the last is left out so the two
  // labels never overlap, and the last label ends at its point so the edge does not clip it.
  const lastIndex = points.length - 1;
  const ticks = points.map((p, i) =>
    (i % 5 === 0 && lastIndex - i >= 3) || i === lastIndex ? (
      <text class="axis" data-tick={p.day} x={fmt(x(i))} y={HEIGHT - 10} text-anchor={i === lastIndex && lastIndex > 0 ? "end" : i === 0 ? "start" : "middle"}>
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
        <span class="key signups">
          <span class="swatch" aria-hidden="true">●</span> Signups: {totals.signups} in {points.length} days, at most {Math.max(0, ...points.map((p) => p.signups))} a day
        </span>
        <span class="key sends">
          <span class="swatch" aria-hidden="true">●</span> Emails sent: {totals.sends} in {points.length} days, at most {Math.max(0, ...points.map((p) => p.sends))} a day
        </span>
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
