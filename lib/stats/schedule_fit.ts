/**
 * How well a run's scheduled send times (the CSV's `scheduled_ms`) fit the
 * arrival process asked for: the gaps against the exponential of a Poisson
 * process (KS test, coefficient of variation), and the per-interval counts
 * of a ramp. Pure.
 *
 * @module
 */
import { exponentialCdf, type KsResult, ksTest } from "./ks.ts";

/** The gaps of a schedule against the exponential distribution. */
export interface GapFit {
  /** Number of gaps (one fewer than the times). */
  n: number;
  /** Mean gap in ms. */
  meanMs: number;
  /** Standard deviation / mean of the gaps (1 for the exponential, 0 for a constant rate). */
  cv: number;
  /** KS test of the gaps against the exponential of mean `1000/rate` ms. */
  ks: KsResult;
}

/**
 * The consecutive gaps of `scheduledMs` (any order; sorted first).
 *
 * @example
 * ```ts
 * import { scheduleGaps } from "./schedule_fit.ts";
 * scheduleGaps([10, 0, 4]); // Float64Array [4, 6]
 * ```
 */
export function scheduleGaps(scheduledMs: ArrayLike<number>): Float64Array {
  const t = Float64Array.from(scheduledMs).sort();
  const gaps = new Float64Array(Math.max(0, t.length - 1));
  for (let i = 1; i < t.length; i++) gaps[i - 1] = t[i]! - t[i - 1]!;
  return gaps;
}

/**
 * Fits the gaps of `scheduledMs` against a Poisson process at `ratePerSecond`.
 *
 * @throws {RangeError} with fewer than 3 times, or a rate that is not positive.
 *
 * @example
 * ```ts
 * import { gapFit } from "./schedule_fit.ts";
 * gapFit([0, 1, 3, 4, 9], 500).cv; // ≈ 0.84
 * ```
 */
export function gapFit(scheduledMs: ArrayLike<number>, ratePerSecond: number): GapFit {
  if (scheduledMs.length < 3) {
    throw new RangeError(`Cannot fit gaps: need at least 3 times, got ${scheduledMs.length}`);
  }
  const gaps = scheduleGaps(scheduledMs);
  let sum = 0;
  for (const g of gaps) sum += g;
  const mean = sum / gaps.length;
  let ss = 0;
  for (const g of gaps) ss += (g - mean) * (g - mean);
  const sd = Math.sqrt(ss / (gaps.length - 1));
  return {
    n: gaps.length,
    meanMs: mean,
    cv: mean > 0 ? sd / mean : NaN,
    ks: ksTest(gaps, exponentialCdf(ratePerSecond / 1000)),
  };
}

/**
 * Counts the times in each `binMs` interval from `startMs` (`bins` of them):
 * bin i holds the times in `[startMs + i·binMs, startMs + (i+1)·binMs)`.
 *
 * @example
 * ```ts
 * import { binCounts } from "./schedule_fit.ts";
 * binCounts([0, 200, 999, 1000, 2500], 0, 1000, 3); // [3, 1, 1]
 * ```
 */
export function binCounts(
  scheduledMs: ArrayLike<number>,
  startMs: number,
  binMs: number,
  bins: number,
): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < scheduledMs.length; i++) {
    const b = Math.floor((scheduledMs[i]! - startMs) / binMs);
    if (b >= 0 && b < bins) counts[b]!++;
  }
  return counts;
}

/**
 * Whether a count is within `tolerance` (a fraction, e.g. 0.05) of the
 * expected one, or within one request, whichever is wider: an interval of a
 * ramp expecting 10 requests holds 9 to 11 (a boundary falls between two
 * sends), one expecting 190 holds 181 to 199.
 *
 * @example
 * ```ts
 * import { countWithin } from "./schedule_fit.ts";
 * countWithin(11, 10, 0.05); // true (one request)
 * countWithin(200, 190, 0.05); // false (9.5 allowed)
 * ```
 */
export function countWithin(count: number, expected: number, tolerance: number): boolean {
  return Math.abs(count - expected) <= Math.max(tolerance * expected, 1);
}
