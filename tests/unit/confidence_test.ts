import assert from "node:assert/strict";
import { binomialCdf } from "../../lib/stats/_binomial.ts";
import {
  lowerBoundRank,
  minSamplesForLowerBound,
  minSamplesForUpperBound,
  percentileInterval,
  slaVerdict,
  upperBoundRank,
} from "../../lib/stats/confidence.ts";
import { createRng } from "../../lib/rng.ts";

/** P(Binomial(n, p) ≤ k) by the textbook sum, for small n. */
function naiveCdf(k: number, n: number, p: number): number {
  let sum = 0;
  let choose = 1;
  for (let j = 0; j <= k; j++) {
    if (j > 0) choose = (choose * (n - j + 1)) / j;
    sum += choose * Math.pow(p, j) * Math.pow(1 - p, n - j);
  }
  return sum;
}

Deno.test("binomialCdf() matches the textbook sum for small n", () => {
  for (const n of [1, 2, 10, 59, 100]) {
    for (const p of [0.05, 0.5, 0.9, 0.95, 0.99]) {
      for (let k = -1; k <= n; k++) {
        const want = k < 0 ? 0 : naiveCdf(k, n, p);
        const got = binomialCdf(k, n, p);
        assert.ok(Math.abs(got - want) < 1e-12, `n=${n} p=${p} k=${k}: ${got} vs ${want}`);
      }
    }
  }
});

Deno.test("binomialCdf() agrees with the normal approximation at n = 10 million", () => {
  const n = 10_000_000, p = 0.99;
  const sd = Math.sqrt(n * p * (1 - p));
  // At the mean + 1.645 sd the normal approximation gives 0.95 (skew is negligible here).
  const k = Math.round(n * p + 1.6448536269514722 * sd);
  assert.ok(Math.abs(binomialCdf(k, n, p) - 0.95) < 0.002);
  assert.equal(binomialCdf(n, n, p), 1);
  assert.equal(binomialCdf(-1, n, p), 0);
});

Deno.test("minSamplesForUpperBound() gives the known table of minimum sample sizes", () => {
  // Least n with 1 - qⁿ ≥ confidence.
  const table: [number, number, number, number][] = [
    // percentile, at 90%, at 95%, at 99%
    [90, 22, 29, 44],
    [95, 45, 59, 90],
    [99, 230, 299, 459],
    [99.9, 2302, 2995, 4603],
  ];
  for (const [p, c90, c95, c99] of table) {
    assert.deepEqual(
      [0.9, 0.95, 0.99].map((c) => minSamplesForUpperBound(p, c)),
      [c90, c95, c99],
      `P${p}`,
    );
  }
  assert.equal(minSamplesForUpperBound(100, 0.95), null);
  assert.equal(minSamplesForLowerBound(95, 0.95), 1);
});

Deno.test("upperBoundRank() exists exactly from the minimum sample size on", () => {
  assert.equal(upperBoundRank(58, 95, 0.95), null);
  assert.equal(upperBoundRank(59, 95, 0.95), 59);
  assert.equal(upperBoundRank(298, 99, 0.95), null);
  assert.equal(upperBoundRank(299, 99, 0.95), 299);
  assert.equal(upperBoundRank(0, 95, 0.95), null);
});

Deno.test("upperBoundRank() and lowerBoundRank() are the tightest ranks at the level", () => {
  for (const n of [59, 100, 1000, 20000]) {
    for (const p of [50, 95, 99]) {
      const c = 0.95;
      const q = p / 100;
      const u = upperBoundRank(n, p, c);
      if (u !== null) {
        assert.ok(binomialCdf(u - 1, n, q) >= c, `upper n=${n} p=${p}`);
        if (u > 1) assert.ok(binomialCdf(u - 2, n, q) < c, `upper not tightest n=${n} p=${p}`);
      }
      const l = lowerBoundRank(n, p, c);
      assert.ok(l !== null);
      assert.ok(1 - binomialCdf(l - 1, n, q) >= c, `lower n=${n} p=${p}`);
      if (l < n) assert.ok(1 - binomialCdf(l, n, q) < c, `lower not tightest n=${n} p=${p}`);
    }
  }
});

Deno.test("upperBoundRank() rejects out-of-range arguments", () => {
  assert.throws(() => upperBoundRank(10, 101, 0.95), RangeError);
  assert.throws(() => upperBoundRank(10, 95, 1), RangeError);
  assert.throws(() => upperBoundRank(-1, 95, 0.95), RangeError);
  assert.throws(() => slaVerdict([1], { quantile: 95, op: "<=", limit: 1 }, 95), RangeError);
});

Deno.test("percentileInterval() brackets the point estimate", () => {
  const xs = Array.from({ length: 200 }, (_, i) => i + 1);
  const ci = percentileInterval(xs, 95, 0.95);
  assert.equal(ci.point, 190);
  assert.ok(ci.lower !== null && ci.upper !== null);
  assert.ok(ci.lower <= 190 && ci.upper >= 190);
  assert.deepEqual([ci.lower, ci.upper], [184, 197]);
});

const rule = (quantile: number, op: "<" | "<=" | ">" | ">=", limit: number) => ({
  quantile,
  op,
  limit,
});

Deno.test("slaVerdict() passes, fails or stays inconclusive by the bounds", async (t) => {
  const xs = Array.from({ length: 200 }, (_, i) => i + 1); // P95 = 190, 90% interval [185, 196]
  await t.step("pass when the upper bound is within the limit", () => {
    const v = slaVerdict(xs, rule(95, "<=", 200), 0.95);
    assert.equal(v.verdict, "pass");
    assert.equal(v.point, 190);
    assert.ok(v.upper !== null && v.upper <= 200);
    assert.equal(v.minSamples, undefined);
  });
  await t.step("fail when the lower bound exceeds the limit", () => {
    const v = slaVerdict(xs, rule(95, "<=", 150), 0.95);
    assert.equal(v.verdict, "fail");
    assert.ok(v.lower !== null && v.lower > 150);
  });
  await t.step("inconclusive when the limit lies between the bounds", () => {
    const v = slaVerdict(xs, rule(95, "<=", 190), 0.95);
    assert.equal(v.verdict, "inconclusive");
    assert.ok(v.lower !== null && v.upper !== null && v.lower <= 190 && v.upper > 190);
    assert.equal(v.minSamples, undefined);
  });
  await t.step("the point estimate alone would have passed the inconclusive case", () => {
    assert.equal(slaVerdict(xs, rule(95, "<=", 190), "off").verdict, "pass");
    assert.equal(slaVerdict(xs, rule(95, "<=", 189), "off").verdict, "fail");
  });
  await t.step("too few samples names the minimum sample size", () => {
    const v = slaVerdict(xs.slice(0, 58), rule(95, "<=", 1000), 0.95);
    assert.equal(v.verdict, "inconclusive");
    assert.equal(v.upper, null);
    assert.equal(v.minSamples, 59);
    assert.equal(slaVerdict(xs.slice(0, 59), rule(95, "<=", 1000), 0.95).verdict, "pass");
  });
  await t.step("too few samples can still fail when even the lower bound is too slow", () => {
    const slow = Array.from({ length: 10 }, (_, i) => 900 + i);
    assert.equal(slaVerdict(slow, rule(95, "<=", 800), 0.95).verdict, "fail");
  });
  await t.step("lower limits mirror the logic", () => {
    assert.equal(slaVerdict(xs, rule(50, ">=", 80), 0.95).verdict, "pass");
    assert.equal(slaVerdict(xs, rule(50, ">", 150), 0.95).verdict, "fail");
    assert.equal(slaVerdict(xs, rule(50, ">=", 100), 0.95).verdict, "inconclusive");
  });
  await t.step("no data is inconclusive with confidence and fails with off", () => {
    const v = slaVerdict([], rule(95, "<=", 800), 0.95);
    assert.equal(v.verdict, "inconclusive");
    assert.equal(v.minSamples, 59);
    assert.equal(slaVerdict([], rule(95, "<=", 800), "off").verdict, "fail");
  });
  await t.step("an upper bound on P100 never exists", () => {
    const v = slaVerdict(xs, rule(100, "<=", 1000), 0.95);
    assert.equal(v.verdict, "inconclusive");
    assert.equal(v.minSamples, null);
  });
});

// Standard normal quantiles, from tables.
const Z95 = 1.6448536269514722;
const Z99 = 2.3263478740408408;

function lognormalSorted(seed: number, n: number, mu: number, sigma: number): Float64Array {
  const rng = createRng(seed);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = Math.exp(mu + sigma * rng.normal());
  return xs.sort();
}

Deno.test("slaVerdict() bounds cover the true percentile at the nominal rate (2000 seeded trials)", () => {
  // Lognormal latencies (median e³ ≈ 20 ms, heavy right tail): true P95 and P99 are known.
  const mu = 3, sigma = 0.8, trials = 2000, c = 0.95;
  for (const [p, z, n] of [[95, Z95, 200], [99, Z99, 500]] as const) {
    const truth = Math.exp(mu + sigma * z);
    const u = upperBoundRank(n, p, c) as number;
    const l = lowerBoundRank(n, p, c) as number;
    // The exact coverage of these ranks (≥ 0.95 because ranks are whole numbers).
    const exactUpper = binomialCdf(u - 1, n, p / 100);
    const exactLower = 1 - binomialCdf(l - 1, n, p / 100);
    let upperCovers = 0, lowerCovers = 0;
    for (let t = 0; t < trials; t++) {
      const v = slaVerdict(lognormalSorted(10_000 + t, n, mu, sigma), rule(p, "<=", truth), c);
      if ((v.upper as number) >= truth) upperCovers++;
      if ((v.lower as number) <= truth) lowerCovers++;
    }
    // Tolerance: 3 binomial standard errors of a 2000-trial proportion near 0.95 (≈ 0.015).
    const tol = 3 * Math.sqrt((0.95 * 0.05) / trials);
    const up = upperCovers / trials, lo = lowerCovers / trials;
    assert.ok(up >= c - tol, `P${p} upper-bound coverage ${up} < ${c - tol}`);
    assert.ok(lo >= c - tol, `P${p} lower-bound coverage ${lo} < ${c - tol}`);
    assert.ok(Math.abs(up - exactUpper) <= tol, `P${p} upper ${up} vs exact ${exactUpper}`);
    assert.ok(Math.abs(lo - exactLower) <= tol, `P${p} lower ${lo} vs exact ${exactLower}`);
  }
});

Deno.test("slaVerdict() rarely passes a rule that the true percentile breaks", () => {
  // True P95 is 5% above the limit: a pass would be a wrong verdict, allowed in ≤ 5% of runs.
  const mu = 3, sigma = 0.8, n = 1000, trials = 1000;
  const limit = Math.exp(mu + sigma * Z95) / 1.05;
  let wrongPasses = 0, fails = 0;
  for (let t = 0; t < trials; t++) {
    const v = slaVerdict(lognormalSorted(50_000 + t, n, mu, sigma), rule(95, "<=", limit), 0.95);
    if (v.verdict === "pass") wrongPasses++;
    if (v.verdict === "fail") fails++;
  }
  assert.ok(wrongPasses / trials <= 0.05, `wrong passes ${wrongPasses}/${trials}`);
  assert.ok(fails > 0, "some runs should detect the breach");
});
