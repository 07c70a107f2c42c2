/** Percentile of a sorted list of numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** `n` as a percentage of `of`, to a tenth, for a table cell ("0 %" of nothing). */
export function percentOf(n: number, of: number): string {
  return `${round((100 * n) / Math.max(of, 1), 1)} %`;
}
