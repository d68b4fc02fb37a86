/**
 * tailgate's one percentile definition (nearest rank), on its own so that
 * every statistic can use it; `summary.ts` re-exports it. Pure.
 *
 * @module
 */

/**
 * The nearest-rank percentile of an ascending array: the value at rank
 * ⌈p/100 · n⌉ (1-based), clamped to [1, n]. This is tailgate's only
 * percentile definition. Returns `null` for an empty array.
 *
 * @param sorted Latencies sorted ascending.
 * @param p Percentile in [0, 100].
 * @throws {RangeError} when `p` is outside [0, 100].
 *
 * @example
 * ```ts
 * import { percentile } from "./percentile.ts";
 * percentile([10, 20, 30, 40], 50); // 20
 * percentile([10, 20, 30, 40], 95); // 40
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`Cannot compute percentile: p must be within 0 and 100, got ${p}`);
  }
  const n = sorted.length;
  if (n === 0) return null;
  return sorted[nearestRank(n, p) - 1] ?? null;
}

/**
 * The 1-based nearest rank ⌈p/100 · n⌉ clamped to [1, n]. A tiny tolerance
 * keeps floating-point noise (99.9 · 1000 / 100 = 999.0000000000001) from
 * bumping the rank.
 *
 * @example
 * ```ts
 * import { nearestRank } from "./percentile.ts";
 * nearestRank(20, 95); // 19
 * ```
 */
export function nearestRank(n: number, p: number): number {
  const exact = (p * n) / 100;
  const rank = Math.ceil(exact - 1e-9 * Math.max(1, exact));
  return Math.min(n, Math.max(1, rank));
}
