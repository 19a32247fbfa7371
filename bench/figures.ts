/**
 * One measured figure beside its goal and its same-run reference, with a verdict computed from
 * the value, never written by hand. Every section of `npm run bench` reports through this, so the
 * printed lines and the BENCHMARKS.md tables say the same thing and come from the same run.
 */

export type Comparison = ">=" | "<=" | "<" | "=" | "±";

export interface Goal {
  /** `±`: the value (a difference in percent) is within ±target. */
  compare: Comparison;
  target: number;
  /** Why this goal, or what it is a share of: "90% of the 500 emails/s ceiling". */
  why?: string;
}

export interface Figure {
  name: string;
  /** null: not measured in this run (the verdict then says so). */
  value: number | null;
  unit: string;
  digits?: number;
  goal?: Goal;
  /** What the value is compared with in the same run, already written out; none when absent. */
  reference?: string;
}

export type Verdict = "met" | "missed" | "not measured" | "no goal";

export function figure(f: Figure): Figure {
  return f;
}

export const atLeast = (target: number, why?: string): Goal => ({ compare: ">=", target, ...(why ? { why } : {}) });
export const atMost = (target: number, why?: string): Goal => ({ compare: "<=", target, ...(why ? { why } : {}) });
export const below = (target: number, why?: string): Goal => ({ compare: "<", target, ...(why ? { why } : {}) });
export const exactly = (target: number, why?: string): Goal => ({ compare: "=", target, ...(why ? { why } : {}) });
export const within = (percent: number, why?: string): Goal => ({ compare: "±", target: percent, ...(why ? { why } : {}) });

export function verdictOf(f: Figure): Verdict {
  if (!f.goal) return "no goal";
  if (f.value === null || !Number.isFinite(f.value)) return "not measured";
  const { compare, target } = f.goal;
  switch (compare) {
    case ">=":
      return f.value >= target ? "met" : "missed";
    case "<=":
      return f.value <= target ? "met" : "missed";
    case "<":
      return f.value < target ? "met" : "missed";
    case "=":
      return f.value === target ? "met" : "missed";
    case "±":
      return Math.abs(f.value) <= target ? "met" : "missed";
  }
}

/** "1,234", "18.2", with the unit glued on for × and %. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function withUnit(text: string, unit: string): string {
  if (!unit) return text;
  return unit === "×" || unit === "%" ? `${text}${unit}` : `${text} ${unit}`;
}

export function formatValue(f: Figure): string {
  if (f.value === null || !Number.isFinite(f.value)) return "not measured";
  const signed = f.goal?.compare === "±" && f.value > 0 ? "+" : "";
  return withUnit(`${signed}${formatNumber(f.value, f.digits)}`, f.unit);
}

const SYMBOL: Record<Comparison, string> = { ">=": "≥", "<=": "≤", "<": "<", "=": "=", "±": "within ±" };

export function formatGoal(goal: Goal | undefined, unit: string): string {
  if (!goal) return "—";
  const text = withUnit(formatNumber(goal.target, Number.isInteger(goal.target) ? 0 : 1), unit);
  const symbol = SYMBOL[goal.compare];
  return `${goal.compare === "±" ? `${symbol}${text}` : `${symbol} ${text}`}${goal.why ? ` (${goal.why})` : ""}`;
}

const VERDICT_MD: Record<Verdict, string> = { met: "met", missed: "**missed**", "not measured": "not measured", "no goal": "—" };

/** A markdown table: figure | this run | goal | reference (same run) | verdict. */
export function figureTable(figures: readonly Figure[]): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const rows = figures.map((f) => `| ${cell(f.name)} | ${cell(formatValue(f))} | ${cell(formatGoal(f.goal, f.unit))} | ${cell(f.reference ?? "—")} | ${VERDICT_MD[verdictOf(f)]} |`);
  return ["| Figure | This run | Goal | Reference (same run) | Verdict |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

/** The same figures for a terminal, one per line. */
export function figureLines(figures: readonly Figure[]): string {
  const width = Math.max(...figures.map((f) => f.name.length));
  return figures
    .map((f) => {
      const verdict = verdictOf(f);
      const parts = [`  ${f.name.padEnd(width)}  ${formatValue(f).padStart(14)}`];
      if (f.goal) parts.push(`goal ${formatGoal(f.goal, f.unit)}`);
      if (f.reference) parts.push(`reference ${f.reference}`);
      if (verdict !== "no goal") parts.push(verdict === "missed" ? "MISSED" : verdict);
      return parts.join("  |  ");
    })
    .join("\n");
}

/** Counts of the verdicts, for the summary at the top of BENCHMARKS.md. */
export function tally(figures: readonly Figure[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { met: 0, missed: 0, "not measured": 0, "no goal": 0 };
  for (const f of figures) counts[verdictOf(f)]++;
  return counts;
}
