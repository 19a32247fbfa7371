/**
 * Axis ticks a person reads at a glance: 0 and then equal steps of 1, 2 or 5 times a power of ten
 * (0, 5, 10, 15 rather than 13, 25, 38), the last one at or above `max`. Counts are whole
 * numbers, so a step is never below 1. About `target` intervals; fewer when `max` is small.
 */
export function niceTicks(max: number, target = 4): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = top / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude);
  const ticks: number[] = [];
  for (let value = 0; ; value += step) {
    ticks.push(value);
    if (value >= top) break;
  }
  return ticks;
}
