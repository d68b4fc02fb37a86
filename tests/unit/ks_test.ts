import assert from "node:assert/strict";
import { exponentialCdf, kolmogorovSurvival, ksTest, ksTwoSample } from "../../lib/stats/ks.ts";
import { binCounts, countWithin, gapFit, scheduleGaps } from "../../lib/stats/schedule_fit.ts";
import { createRng } from "../../lib/rng.ts";

function exponentials(n: number, rate: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => -Math.log(1 - rng.next()) / rate);
}

Deno.test("kolmogorovSurvival() gives the Kolmogorov distribution's tail at its critical values", () => {
  // Published critical values of the limiting distribution: Q(1.224) = 0.10, Q(1.358) = 0.05,
  // Q(1.628) = 0.01; and Q(0.5) = 0.9639, Q(1) = 0.2700.
  for (
    const [lambda, q] of [[1.224, 0.10], [1.358, 0.05], [1.628, 0.01], [0.5, 0.9639], [
      1,
      0.27,
    ]] as const
  ) {
    assert.ok(
      Math.abs(kolmogorovSurvival(lambda) - q) < 0.0015,
      `Q(${lambda}) = ${kolmogorovSurvival(lambda)}, want ${q}`,
    );
  }
  // The two series meet where the function switches between them.
  assert.ok(Math.abs(kolmogorovSurvival(1.18 - 1e-9) - kolmogorovSurvival(1.18)) < 1e-9);
  assert.equal(kolmogorovSurvival(0), 1);
  assert.ok(kolmogorovSurvival(5) < 1e-20);
});

Deno.test("ksTest() takes the largest distance on either side of each step", () => {
  const uniform = (x: number) => Math.min(1, Math.max(0, x));
  const r = ksTest([0.9, 0.1, 0.5, 0.3, 0.7], uniform);
  assert.ok(Math.abs(r.statistic - 0.1) < 1e-12);
  assert.equal(r.n, 5);
  // Every value below the support: F = 0 at each step, so D = 1.
  assert.equal(ksTest([-1, -2], uniform).statistic, 1);
});

Deno.test("ksTest() accepts exponential draws and rejects them against the wrong mean", () => {
  const xs = exponentials(5000, 0.5, 42);
  const right = ksTest(xs, exponentialCdf(0.5));
  assert.ok(right.pValue > 0.01, `p = ${right.pValue}`);
  const wrong = ksTest(xs, exponentialCdf(0.6));
  assert.ok(wrong.pValue < 1e-6, `p = ${wrong.pValue}`);
  // Evenly spaced times (a constant rate) have constant gaps: not exponential at all.
  const constant = ksTest(new Array(1000).fill(2), exponentialCdf(0.5));
  assert.ok(constant.pValue < 1e-12);
});

Deno.test("ksTwoSample() measures the largest CDF distance, ties moving both CDFs", () => {
  // scipy.stats.ks_2samp([1,2,3,4,5], [3,4,5,6,7,8]).statistic == 0.5
  assert.equal(ksTwoSample([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]).statistic, 0.5);
  const same = ksTwoSample([1, 2, 3, 4], [4, 3, 2, 1]);
  assert.equal(same.statistic, 0);
  assert.equal(same.pValue, 1);
  assert.equal(ksTwoSample([1, 2], [1, 2, 3, 4]).n, 4 / 3);
  const a = exponentials(3000, 1, 1);
  assert.ok(ksTwoSample(a, exponentials(3000, 1, 2)).pValue > 0.01);
  assert.ok(ksTwoSample(a, exponentials(3000, 1.2, 2)).pValue < 0.01);
});

Deno.test("ksTest() and ksTwoSample() refuse empty samples and non-finite values", () => {
  assert.throws(() => ksTest([], exponentialCdf(1)), RangeError);
  assert.throws(() => ksTest([1, NaN], exponentialCdf(1)), /not finite/);
  assert.throws(() => ksTwoSample([1], []), RangeError);
  assert.throws(() => exponentialCdf(0), RangeError);
});

Deno.test("gapFit() sorts the times and reports the gaps' mean, CV and KS against the rate", () => {
  assert.deepEqual([...scheduleGaps([10, 0, 4])], [4, 6]);
  let t = 1_000_000;
  const times = [t, ...exponentials(4000, 500 / 1000, 7).map((g) => (t += g))].reverse();
  const fit = gapFit(times, 500);
  assert.equal(fit.n, 4000);
  assert.ok(Math.abs(fit.meanMs - 2) < 0.1, `mean ${fit.meanMs}`);
  assert.ok(fit.cv >= 0.9 && fit.cv <= 1.1, `cv ${fit.cv}`);
  assert.ok(fit.ks.pValue > 0.01);
  const even = gapFit(Array.from({ length: 100 }, (_, i) => i * 2), 500);
  assert.equal(even.cv, 0);
  assert.ok(even.ks.pValue < 1e-6);
  assert.throws(() => gapFit([1, 2], 500), /at least 3/);
});

Deno.test("binCounts() counts half-open intervals and countWithin() allows 5% or one request", () => {
  assert.deepEqual(binCounts([0, 200, 999, 1000, 2500, -1, 3000], 0, 1000, 3), [3, 1, 1]);
  assert.ok(countWithin(9, 10, 0.05));
  assert.ok(!countWithin(8, 10, 0.05));
  assert.ok(countWithin(199, 190, 0.05));
  assert.ok(!countWithin(200, 190, 0.05));
});
