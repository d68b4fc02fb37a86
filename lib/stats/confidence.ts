/**
 * Distribution-free confidence bounds for a percentile, from order
 * statistics, and the SLA verdict built on them. Pure.
 *
 * Why this works for any latency distribution: with n independent samples,
 * the number of samples below the true percentile ξ_q is Binomial(n, q).
 * The r-th smallest sample X₍ᵣ₎ lies at or above ξ_q exactly when at most
 * r − 1 samples fall below it, so
 *
 * - P(X₍ᵣ₎ ≥ ξ_q) = P(Binomial(n, q) ≤ r − 1): the **upper bound** is the
 *   smallest rank r for which that is at least the confidence level;
 * - P(X₍ᵣ₎ ≤ ξ_q) = P(Binomial(n, q) ≥ r): the **lower bound** is the
 *   largest rank r for which that is at least the confidence level.
 *
 * For discrete data (ties, millisecond rounding) both bounds are
 * conservative. An upper bound exists only when even the sample maximum is
 * high enough: 1 − qⁿ ≥ confidence, hence n ≥ ln(1 − confidence) / ln(q)
 * (59 samples for P95 at 95%). Percentiles here are in percent (95 = P95),
 * like `percentile()` in `stats.ts` and `SlaRule.quantile` in `sla.ts`;
 * confidence levels are fractions (0.95).
 *
 * @module
 */
import { binomialCdf } from "./_binomial.ts";
import { meetsLimit, type SlaOp } from "./_limit.ts";
import { percentile } from "./percentile.ts";

function checkArgs(what: string, n: number, p: number, confidence: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Cannot compute ${what}: n must be a non-negative integer, got ${n}`);
  }
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(
      `Cannot compute ${what}: the percentile must be within 0 and 100, got ${p}`,
    );
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(
      `Cannot compute ${what}: the confidence must be a fraction between 0 and 1 (exclusive), got ${confidence}`,
    );
  }
}

/**
 * The 1-based rank r of the one-sided upper confidence bound for the p-th
 * percentile: the smallest r with P(X₍ᵣ₎ ≥ true percentile) ≥ `confidence`.
 * `null` when n is too small for any bound (see {@linkcode minSamplesForUpperBound}).
 *
 * @param n Sample size.
 * @param p Percentile in [0, 100] (95 = P95).
 * @param confidence One-sided confidence level in (0, 1), e.g. 0.95.
 * @throws {RangeError} when an argument is out of range.
 *
 * @example
 * ```ts
 * import { upperBoundRank } from "./confidence.ts";
 * upperBoundRank(59, 95, 0.95); // 59 (the sample maximum)
 * upperBoundRank(58, 95, 0.95); // null
 * ```
 */
export function upperBoundRank(n: number, p: number, confidence: number): number | null {
  checkArgs("an upper bound rank", n, p, confidence);
  const q = p / 100;
  if (n === 0 || binomialCdf(n - 1, n, q) < confidence) return null;
  // binomialCdf(r - 1) grows with r: find the smallest r where it reaches the level.
  let lo = 1, hi = n;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialCdf(mid - 1, n, q) >= confidence) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The 1-based rank r of the one-sided lower confidence bound for the p-th
 * percentile: the largest r with P(X₍ᵣ₎ ≤ true percentile) ≥ `confidence`.
 * `null` when n is too small for any bound.
 *
 * @param n Sample size.
 * @param p Percentile in [0, 100].
 * @param confidence One-sided confidence level in (0, 1).
 * @throws {RangeError} when an argument is out of range.
 *
 * @example
 * ```ts
 * import { lowerBoundRank } from "./confidence.ts";
 * lowerBoundRank(100, 95, 0.95); // 91
 * ```
 */
export function lowerBoundRank(n: number, p: number, confidence: number): number | null {
  checkArgs("a lower bound rank", n, p, confidence);
  const q = p / 100;
  // P(Binomial ≥ r) = 1 - cdf(r - 1) shrinks with r: find the largest r where it stays ≥ level.
  if (n === 0 || 1 - binomialCdf(0, n, q) < confidence) return null;
  let lo = 1, hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (1 - binomialCdf(mid - 1, n, q) >= confidence) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The smallest sample size for which a one-sided upper bound on the p-th
 * percentile exists at `confidence`: the least n with 1 − qⁿ ≥ confidence.
 * `null` for p = 100 (no sample size bounds the true maximum from above).
 *
 * @throws {RangeError} when an argument is out of range.
 *
 * @example
 * ```ts
 * import { minSamplesForUpperBound } from "./confidence.ts";
 * minSamplesForUpperBound(95, 0.95); // 59
 * minSamplesForUpperBound(99, 0.95); // 299
 * ```
 */
export function minSamplesForUpperBound(p: number, confidence: number): number | null {
  checkArgs("a minimum sample size", 0, p, confidence);
  const q = p / 100;
  if (q >= 1) return null;
  if (q <= 0) return 1;
  let n = Math.max(1, Math.ceil(Math.log(1 - confidence) / Math.log(q)));
  // Guard against rounding in the logarithms: settle on the exact least n.
  while (n > 1 && 1 - Math.pow(q, n - 1) >= confidence) n--;
  while (1 - Math.pow(q, n) < confidence) n++;
  return n;
}

/**
 * The smallest sample size for which a one-sided lower bound on the p-th
 * percentile exists: the least n with 1 − (1 − q)ⁿ ≥ confidence. `null` for
 * p = 0.
 *
 * @example
 * ```ts
 * import { minSamplesForLowerBound } from "./confidence.ts";
 * minSamplesForLowerBound(95, 0.95); // 1
 * ```
 */
export function minSamplesForLowerBound(p: number, confidence: number): number | null {
  return minSamplesForUpperBound(100 - p, confidence);
}

/** A two-sided confidence interval for a percentile; `null` ends are unbounded. */
export interface PercentileInterval {
  /** Nearest-rank point estimate (as `percentile()` in `stats.ts`), `null` for no data. */
  point: number | null;
  lower: number | null;
  upper: number | null;
  /** 1-based ranks of the bounds in the sorted sample. */
  lowerRank: number | null;
  upperRank: number | null;
  n: number;
  /** Two-sided level, e.g. 0.95 (each end holds at (1 + level) / 2). */
  confidence: number;
}

/**
 * A two-sided, distribution-free confidence interval for the p-th
 * percentile: each end is a one-sided bound at (1 + confidence) / 2.
 *
 * @param sorted Latencies sorted ascending.
 * @throws {RangeError} when an argument is out of range.
 *
 * @example
 * ```ts
 * import { percentileInterval } from "./confidence.ts";
 * const xs = Array.from({ length: 200 }, (_, i) => i + 1);
 * const ci = percentileInterval(xs, 95, 0.95); // { point: 190, lower: 184, upper: 197, … }
 * ```
 */
export function percentileInterval(
  sorted: ArrayLike<number>,
  p: number,
  confidence: number,
): PercentileInterval {
  checkArgs("a percentile interval", sorted.length, p, confidence);
  const n = sorted.length;
  const side = (1 + confidence) / 2;
  const lr = lowerBoundRank(n, p, side);
  const ur = upperBoundRank(n, p, side);
  return {
    point: percentile(sorted, p),
    lower: lr === null ? null : sorted[lr - 1] ?? null,
    upper: ur === null ? null : sorted[ur - 1] ?? null,
    lowerRank: lr,
    upperRank: ur,
    n,
    confidence,
  };
}

/** The part of an SLA rule a percentile verdict needs; `SlaRule` from `sla.ts` fits. */
export interface PercentileRule {
  /** Percentile in [0, 100], e.g. 95 for `p95`. */
  quantile: number;
  op: SlaOp;
  /** Limit in milliseconds. */
  limit: number;
}

/** The three verdicts of an SLA rule. */
export type SlaVerdictKind = "pass" | "fail" | "inconclusive";

/** An SLA verdict with the evidence behind it. */
export interface SlaVerdict {
  verdict: SlaVerdictKind;
  /** Nearest-rank point estimate, `null` without data. */
  point: number | null;
  /**
   * One-sided lower bound at `confidence` (`null`: none exists, or mode
   * "off"). Together with `upper` it is a two-sided interval at
   * 2 · confidence − 1 (90% for 95%).
   */
  lower: number | null;
  /** One-sided upper bound at `confidence` (`null`: none exists, or mode "off"). */
  upper: number | null;
  /** Sample size (successful requests). */
  n: number;
  /** The one-sided level used, or `null` in mode "off". */
  confidence: number | null;
  /**
   * Present when the verdict is inconclusive because the bound that could
   * pass the rule does not exist yet: the sample size at which it would.
   * `null` when no sample size is enough (e.g. an upper bound on P100).
   */
  minSamples?: number | null;
}

/**
 * Decides a percentile SLA rule with confidence. For an upper limit
 * (`p95<=800ms`): **pass** when the upper confidence bound is within the
 * limit, **fail** when the lower confidence bound already breaks it, else
 * **inconclusive**. Each bound is one-sided at `confidence`, so a pass and a
 * fail are each wrong with probability at most 1 − confidence. Lower limits
 * (`>`, `>=`) mirror this. With `"off"` the verdict gates on the nearest-rank
 * point estimate (the seed's behaviour; no data then fails).
 *
 * @param sorted Successful latencies in ms, sorted ascending.
 * @param rule The percentile, operator and limit (ms).
 * @param confidence One-sided level in (0, 1), or `"off"`.
 * @throws {RangeError} when the percentile or confidence is out of range.
 *
 * @example
 * ```ts
 * import { slaVerdict } from "./confidence.ts";
 * const xs = Array.from({ length: 100 }, (_, i) => 10 + i);
 * slaVerdict(xs, { quantile: 95, op: "<=", limit: 800 }, 0.95).verdict; // "pass"
 * slaVerdict(xs.slice(0, 20), { quantile: 95, op: "<=", limit: 800 }, 0.95).minSamples; // 59
 * ```
 */
export function slaVerdict(
  sorted: ArrayLike<number>,
  rule: PercentileRule,
  confidence: number | "off",
): SlaVerdict {
  const n = sorted.length;
  const p = rule.quantile;
  if (confidence === "off") {
    const point = percentile(sorted, p);
    return {
      verdict: point !== null && meetsLimit(point, rule.op, rule.limit) ? "pass" : "fail",
      point,
      lower: null,
      upper: null,
      n,
      confidence: null,
    };
  }
  checkArgs("an SLA verdict", n, p, confidence);
  const lr = lowerBoundRank(n, p, confidence);
  const ur = upperBoundRank(n, p, confidence);
  const lower = lr === null ? null : sorted[lr - 1] ?? null;
  const upper = ur === null ? null : sorted[ur - 1] ?? null;
  const base = { point: percentile(sorted, p), lower, upper, n, confidence };
  const upperLimit = rule.op === "<" || rule.op === "<=";
  // The bound that proves the rule holds, and the one that proves it broken.
  const proving = upperLimit ? upper : lower;
  const breaking = upperLimit ? lower : upper;
  if (proving !== null && meetsLimit(proving, rule.op, rule.limit)) {
    return { verdict: "pass", ...base };
  }
  if (breaking !== null && !meetsLimit(breaking, rule.op, rule.limit)) {
    return { verdict: "fail", ...base };
  }
  if (proving === null) {
    const minSamples = upperLimit
      ? minSamplesForUpperBound(p, confidence)
      : minSamplesForLowerBound(p, confidence);
    return { verdict: "inconclusive", ...base, minSamples };
  }
  return { verdict: "inconclusive", ...base };
}
