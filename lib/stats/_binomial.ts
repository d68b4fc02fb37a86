/**
 * The binomial distribution function, accurate for n up to tens of millions.
 * Private helper of `confidence.ts`. Pure.
 *
 * The probability mass uses Loader's saddle-point expansion ("Fast and
 * accurate computation of binomial probabilities", 2000; the method of R's
 * `dbinom`), which avoids the cancellation of `lgamma(n+1) - lgamma(k+1) - …`
 * at large n. The distribution function then sums the mass away from the
 * mode with the ratio recurrence, so the terms shrink and the sum stops once
 * they no longer change it.
 *
 * @module
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln(k!) for small k, summed exactly enough. */
const SMALL_LOG_FACTORIAL: number[] = (() => {
  const out = [0];
  for (let i = 1; i <= 15; i++) out.push((out[i - 1] as number) + Math.log(i));
  return out;
})();

/** ln(n!) - [(n + ½) ln n - n + ln √(2π)], the error of Stirling's formula. */
function stirlingError(n: number): number {
  if (n <= 15) {
    return (SMALL_LOG_FACTORIAL[n] as number) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  }
  const nn = n * n;
  const s0 = 1 / 12, s1 = 1 / 360, s2 = 1 / 1260, s3 = 1 / 1680, s4 = 1 / 1188;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/** x ln(x / m) + m - x, computed without cancellation when x ≈ m. */
function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    const v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v * v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return s;
      s = next;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** P(X = k) for X ~ Binomial(n, p), with 0 < p < 1 and 0 ≤ k ≤ n integers. */
function binomialPmf(k: number, n: number, p: number): number {
  const q = 1 - p;
  if (k === 0) return Math.exp(n * Math.log1p(-p));
  if (k === n) return Math.exp(n * Math.log(p));
  const lc = stirlingError(n) - stirlingError(k) - stirlingError(n - k) -
    deviance(k, n * p) - deviance(n - k, n * q);
  return Math.exp(lc) * Math.sqrt(n / (2 * Math.PI * k * (n - k)));
}

/**
 * P(X ≤ k) for X ~ Binomial(n, p). `k` is an integer (any value; below 0
 * gives 0, n or more gives 1), `n` a non-negative integer, `p` in [0, 1].
 */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const odds = p / (1 - p);
  if (k <= n * p) {
    // Lower tail: sum P(X = j) for j = k, k-1, …, 0 (terms shrink away from the mode).
    let term = binomialPmf(k, n, p);
    let sum = term;
    for (let j = k; j > 0 && term > sum * 1e-17; j--) {
      term *= j / ((n - j + 1) * odds);
      sum += term;
    }
    return Math.min(1, sum);
  }
  // Upper tail: 1 - sum P(X = j) for j = k+1, …, n.
  let term = binomialPmf(k + 1, n, p);
  let sum = term;
  for (let j = k + 1; j < n && term > sum * 1e-17; j++) {
    term *= ((n - j) / (j + 1)) * odds;
    sum += term;
  }
  return Math.max(0, 1 - sum);
}
