/**
 * The Kolmogorov–Smirnov test: does a sample follow a distribution (one
 * sample against a CDF), or do two samples come from the same one? Used to
 * check that arrival schedules are what they claim (Poisson gaps are
 * exponential; merged shards look like one machine). Pure.
 *
 * The p-value is the asymptotic Kolmogorov distribution with Stephens'
 * small-sample correction, `λ = (√n + 0.12 + 0.11/√n)·D` (Numerical
 * Recipes §14.3): accurate to a few percent from n ≈ 5 on, which is all a
 * pass/fail at p = 0.01 needs.
 *
 * @module
 */

/** A KS test's outcome. */
export interface KsResult {
  /** The statistic D: the largest distance between the two CDFs, in [0, 1]. */
  statistic: number;
  /** P(D at least this large | same distribution), in [0, 1]. */
  pValue: number;
  /** Sample size (two samples: the effective size n·m/(n+m)). */
  n: number;
}

/**
 * The survival function of the Kolmogorov distribution,
 * `Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}`; for small λ, where that series
 * converges slowly, the complement of the dual (Jacobi theta) series
 * `√(2π)/λ Σ_{j≥1} e^{−(2j−1)²π²/(8λ²)}`.
 *
 * @example
 * ```ts
 * import { kolmogorovSurvival } from "./ks.ts";
 * kolmogorovSurvival(1.36); // ≈ 0.049 (the 5% critical value)
 * ```
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const k = Math.sqrt(2 * Math.PI) / lambda;
    const e = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let j = 1; j <= 20; j++) {
      const term = Math.exp((2 * j - 1) * (2 * j - 1) * e);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return clamp01(1 - k * sum);
  }
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += j % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return clamp01(2 * sum);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** The p-value of a KS statistic `d` from (effective) sample size `n`. */
function pValueOf(d: number, n: number): number {
  const rn = Math.sqrt(n);
  return kolmogorovSurvival((rn + 0.12 + 0.11 / rn) * d);
}

/**
 * One-sample KS test of `sample` against the continuous CDF `cdf`.
 *
 * @throws {RangeError} on an empty sample or a non-finite value.
 *
 * @example
 * ```ts
 * import { ksTest } from "./ks.ts";
 * const uniform = (x: number) => Math.min(1, Math.max(0, x));
 * ksTest([0.1, 0.3, 0.5, 0.7, 0.9], uniform).statistic; // 0.1
 * ```
 */
export function ksTest(sample: ArrayLike<number>, cdf: (x: number) => number): KsResult {
  const xs = sortedCopy(sample, "a KS test");
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return { statistic: d, pValue: pValueOf(d, n), n };
}

/**
 * Two-sample KS test: could `a` and `b` come from one distribution?
 *
 * @throws {RangeError} on an empty sample or a non-finite value.
 *
 * @example
 * ```ts
 * import { ksTwoSample } from "./ks.ts";
 * ksTwoSample([1, 2, 3, 4], [1, 2, 3, 4]).statistic; // 0
 * ```
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const xs = sortedCopy(a, "a two-sample KS test");
  const ys = sortedCopy(b, "a two-sample KS test");
  const n = xs.length;
  const m = ys.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = xs[i]!;
    const y = ys[j]!;
    const v = Math.min(x, y);
    // Step past every value equal to v in both samples (ties move both CDFs at once).
    while (i < n && xs[i]! <= v) i++;
    while (j < m && ys[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const ne = (n * m) / (n + m);
  return { statistic: d, pValue: pValueOf(d, ne), n: ne };
}

/**
 * The CDF of the exponential distribution with the given rate (mean
 * `1/rate`), for {@linkcode ksTest}.
 *
 * @example
 * ```ts
 * import { exponentialCdf, ksTest } from "./ks.ts";
 * ksTest([0.5, 1.2, 2.9], exponentialCdf(0.5)).n; // 3
 * ```
 */
export function exponentialCdf(rate: number): (x: number) => number {
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(`Cannot build an exponential CDF: rate must be > 0, got ${rate}`);
  }
  return (x) => (x <= 0 ? 0 : 1 - Math.exp(-rate * x));
}

function sortedCopy(sample: ArrayLike<number>, what: string): Float64Array {
  if (sample.length === 0) throw new RangeError(`Cannot run ${what}: the sample is empty`);
  const xs = Float64Array.from(sample);
  for (const x of xs) {
    if (!Number.isFinite(x)) throw new RangeError(`Cannot run ${what}: value ${x} is not finite`);
  }
  return xs.sort();
}
