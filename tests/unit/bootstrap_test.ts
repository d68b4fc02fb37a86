import assert from "node:assert/strict";
import {
  blockBootstrapCompare,
  blockBootstrapSteps,
  chooseBlockLength,
  type ComparisonVerdict,
  lag1Autocorrelation,
} from "../../lib/stats/bootstrap.ts";
import { createRng, type Rng } from "../../lib/rng.ts";
import { percentile } from "../../lib/stats/summary.ts";

/** Lognormal latencies, independent: median e^mu ms. */
function iid(rng: Rng, n: number, mu = 3, sigma = 0.5): number[] {
  return Array.from({ length: n }, () => Math.exp(mu + sigma * rng.normal()));
}

/**
 * Lognormal latencies whose log follows a stationary AR(1) process with
 * lag-1 correlation rho: slow periods last, as in real runs.
 */
function ar1(rng: Rng, n: number, rho: number, mu = 3, sigma = 0.5): number[] {
  const out: number[] = [];
  let z = rng.normal();
  const s = Math.sqrt(1 - rho * rho);
  for (let i = 0; i < n; i++) {
    z = rho * z + s * rng.normal();
    out.push(Math.exp(mu + sigma * z));
  }
  return out;
}

Deno.test("blockBootstrapCompare() reports deltas of the nearest-rank statistics", () => {
  const rng = createRng(7);
  const a = iid(rng, 400);
  const b = iid(rng, 300, 2.8);
  const r = blockBootstrapCompare(a, b, { resamples: 200 });
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  const p95 = r.metrics.find((m) => m.metric === "p95");
  assert.ok(p95);
  assert.equal(p95.a, percentile(sa, 95));
  assert.equal(p95.b, percentile(sb, 95));
  assert.equal(p95.delta, p95.b - p95.a);
  assert.equal(p95.relative, (p95.b - p95.a) / p95.a);
  assert.ok(p95.lower <= p95.upper);
  const mean = r.metrics.find((m) => m.metric === "mean");
  assert.ok(mean);
  assert.ok(Math.abs(mean.a - a.reduce((s, x) => s + x, 0) / a.length) < 1e-9);
  assert.deepEqual(r.metrics.map((m) => m.metric), ["p50", "p95", "p99", "mean"]);
  assert.deepEqual(r.n, { a: 400, b: 300 });
});

Deno.test("blockBootstrapCompare() is reproducible for a seed", () => {
  const rng = createRng(8);
  const a = iid(rng, 300);
  const b = iid(rng, 300);
  const x = blockBootstrapCompare(a, b, { resamples: 100, seed: 42 });
  const y = blockBootstrapCompare(a, b, { resamples: 100, seed: 42 });
  const z = blockBootstrapCompare(a, b, { resamples: 100, seed: 43 });
  assert.deepEqual(x, y);
  assert.notDeepEqual(x.metrics.map((m) => m.lower), z.metrics.map((m) => m.lower));
});

Deno.test("blockBootstrapCompare() rejects runs too short and bad options", () => {
  assert.throws(() => blockBootstrapCompare([1], [1, 2]), RangeError);
  assert.throws(() => blockBootstrapCompare([1, 2], [1, 2], { resamples: 3 }), RangeError);
  assert.throws(() => blockBootstrapCompare([1, 2], [1, 2], { confidence: 95 }), RangeError);
  assert.throws(() => blockBootstrapCompare([1, 2], [1, 2], { blockLength: 0 }), RangeError);
});

Deno.test("chooseBlockLength() grows with autocorrelation", () => {
  const rng = createRng(9);
  const flat = iid(rng, 1000);
  const sticky = ar1(rng, 1000, 0.9);
  assert.ok(Math.abs(lag1Autocorrelation(flat)) < 0.1);
  assert.ok(lag1Autocorrelation(sticky) > 0.8);
  assert.equal(chooseBlockLength(flat), 10); // the floor ⌈1000^(1/3)⌉
  // AR(1) rule at rho ≈ 0.9: (1.8 / 0.19)^(2/3) · 10 ≈ 45.
  const l = chooseBlockLength(sticky);
  assert.ok(l >= 30 && l <= 60, `block length ${l}`);
  assert.equal(chooseBlockLength([1, 2]), 1);
});

function rate(verdicts: ComparisonVerdict[], v: ComparisonVerdict): number {
  return verdicts.filter((x) => x === v).length / verdicts.length;
}

Deno.test("blockBootstrapCompare() finds no difference between two runs of one distribution (200 seeded trials)", () => {
  // Nominal: a 95% interval contains 0 in 95% of trials. 3 standard errors of a
  // 200-trial proportion near 0.95 is 0.046, so ≥ 0.90 catches a broken
  // method (≈ 0.5 for the inflated case below) without depending on luck.
  const trials = 200;
  const head: ComparisonVerdict[] = [];
  const all: ComparisonVerdict[] = [];
  for (let t = 0; t < trials; t++) {
    const rng = createRng(1_000 + t);
    const r = blockBootstrapCompare(iid(rng, 400), iid(rng, 400), { resamples: 300, seed: t });
    head.push(r.verdict);
    all.push(...r.metrics.map((m) => m.verdict));
  }
  const same = rate(head, "no significant difference");
  assert.ok(same >= 0.9, `headline "no significant difference" in ${same}`);
  assert.ok(rate(all, "no significant difference") >= 0.9);
});

Deno.test("blockBootstrapCompare() detects a 20% faster and a 20% slower candidate", () => {
  const trials = 50;
  const faster: ComparisonVerdict[] = [];
  const slower: ComparisonVerdict[] = [];
  for (let t = 0; t < trials; t++) {
    const rng = createRng(2_000 + t);
    const a = iid(rng, 1000);
    const b = iid(rng, 1000);
    faster.push(
      blockBootstrapCompare(a, b.map((x) => x * 0.8), { resamples: 300, seed: t }).verdict,
    );
    slower.push(
      blockBootstrapCompare(a, b.map((x) => x * 1.2), { resamples: 300, seed: t }).verdict,
    );
  }
  assert.ok(rate(faster, "improved") >= 0.9, `improved in ${rate(faster, "improved")}`);
  assert.ok(rate(slower, "regressed") >= 0.9, `regressed in ${rate(slower, "regressed")}`);
  assert.equal(rate(faster, "regressed"), 0);
  assert.equal(rate(slower, "improved"), 0);
});

Deno.test("blockBootstrapCompare() keeps false alarms near nominal on autocorrelated runs where a plain bootstrap does not", () => {
  // Two independent runs of the same AR(1) process (rho = 0.9: about 1 in 19
  // requests is independent evidence). Resampling single requests (block
  // length 1, the plain iid bootstrap) gives intervals far too narrow.
  const trials = 120;
  const naive: ComparisonVerdict[] = [];
  const block: ComparisonVerdict[] = [];
  for (let t = 0; t < trials; t++) {
    const rng = createRng(3_000 + t);
    const a = ar1(rng, 1000, 0.9);
    const b = ar1(rng, 1000, 0.9);
    naive.push(blockBootstrapCompare(a, b, { resamples: 200, seed: t, blockLength: 1 }).verdict);
    block.push(blockBootstrapCompare(a, b, { resamples: 200, seed: t }).verdict);
  }
  const naiveAlarms = 1 - rate(naive, "no significant difference");
  const blockAlarms = 1 - rate(block, "no significant difference");
  // Measured in development over 200-600 trials: naive ≈ 0.45, block ≈ 0.09 (nominal 0.05).
  assert.ok(naiveAlarms >= 0.3, `plain bootstrap false alarms ${naiveAlarms}`);
  assert.ok(blockAlarms <= 0.15, `block bootstrap false alarms ${blockAlarms}`);
  assert.ok(naiveAlarms >= 3 * blockAlarms);
});

Deno.test("chooseBlockLength() is not fooled by tied values", () => {
  // hey writes 0.1 ms resolution: independent latencies with many ties.
  const rng = createRng(10);
  const coarse = iid(rng, 1000, 0.5, 0.3).map((x) => Math.round(x));
  assert.ok(new Set(coarse).size < 10);
  assert.ok(Math.abs(lag1Autocorrelation(coarse)) < 0.1);
  assert.equal(chooseBlockLength(coarse), 10);
  assert.equal(lag1Autocorrelation(new Array(100).fill(5)), 0);
});

Deno.test("blockBootstrapSteps() yields its progress and returns what blockBootstrapCompare() returns", () => {
  const rng = createRng(5);
  const a = iid(rng, 400);
  const b = iid(rng, 400, 2.9);
  const steps = blockBootstrapSteps(a, b, { resamples: 100, seed: 3 });
  const progress: number[] = [];
  let step = steps.next();
  while (!step.done) {
    progress.push(step.value);
    step = steps.next();
  }
  assert.deepEqual(progress, [0, 0, 0, 16, 32, 48, 64, 80, 96]);
  assert.deepEqual(step.value, blockBootstrapCompare(a, b, { resamples: 100, seed: 3 }));
});
