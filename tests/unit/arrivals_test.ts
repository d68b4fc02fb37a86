import assert from "node:assert/strict";
import { createArrivals, parseStages, rateProfile, type Stage } from "../../lib/load/arrivals.ts";
import { shardSchedule } from "../../lib/load/shard.ts";
import { exponentialCdf, ksTest, ksTwoSample } from "../../lib/stats/ks.ts";
import { binCounts, gapFit } from "../../lib/stats/schedule_fit.ts";

/** Every due time of a schedule, up to its end or `limit`. */
function allDue(a: { dueMs(k: number): number }, limit = 1_000_000): number[] {
  const out: number[] = [];
  for (let k = 0; k < limit; k++) {
    const t = a.dueMs(k);
    if (t === Infinity) break;
    out.push(t);
  }
  return out;
}

const RAMP: Stage[] = [{ durationMs: 10_000, rate: 200 }];

Deno.test("parseStages() reads durations and rates per second or per minute", () => {
  assert.deepEqual(parseStages("30s:10/s, 2m:600/m,500ms:0"), [
    { durationMs: 30_000, rate: 10 },
    { durationMs: 120_000, rate: 10 },
    { durationMs: 500, rate: 0 },
  ]);
  assert.deepEqual(parseStages("10s:2.5/sec"), [{ durationMs: 10_000, rate: 2.5 }]);
});

Deno.test("parseStages() refuses a negative rate, a zero duration and malformed text", () => {
  assert.throws(
    () => parseStages("10s:-5/s"),
    (e: unknown) => e instanceof RangeError && /0 or more/.test(e.message),
  );
  assert.throws(
    () => parseStages("0s:10/s"),
    (e: unknown) => e instanceof RangeError && /greater than zero/.test(e.message),
  );
  for (const bad of ["", "abc", "10s", "10:5/s", "10s:5/h", "10s:5/s,", "10s:x"]) {
    assert.throws(() => parseStages(bad), SyntaxError, bad);
  }
});

Deno.test("rateProfile() ramps linearly and its inverse solves the integral exactly", () => {
  const p = rateProfile(0, RAMP);
  assert.equal(p.rateAt(5000), 100);
  assert.equal(p.integralAt(10_000), 1000);
  assert.equal(p.endMs, 10_000);
  // Λ(t) = 10 t²: the 250th request is due at 5 s, the 10th at 1 s.
  assert.equal(p.timeOf(250), 5000);
  assert.equal(p.timeOf(10), 1000);
  assert.equal(p.timeOf(0), 0);
  assert.equal(p.timeOf(1000), Infinity);
  // Up, flat, down, a pause at 0 and up again: Λ(timeOf(u)) = u everywhere.
  const q = rateProfile(5, [
    { durationMs: 3000, rate: 50 },
    { durationMs: 2000, rate: 50 },
    { durationMs: 4000, rate: 0 },
    { durationMs: 1000, rate: 0 },
    { durationMs: 2000, rate: 30 },
  ]);
  for (let u = 0; u < q.total; u += 0.37) {
    const t = q.timeOf(u);
    assert.ok(Math.abs(q.integralAt(t) - u) < 1e-6, `u ${u}: t ${t}`);
  }
  // Nothing falls due in the pause: the first time past 5 + 9 s's total is after the 1 s at 0.
  const pauseEnd = q.integralAt(10_000);
  assert.ok(q.timeOf(pauseEnd + 1e-9) > 10_000);
  assert.ok(q.timeOf(pauseEnd - 1e-6) <= 9000 + 1e-3);
});

Deno.test("rateProfile() refuses a negative start rate and a constant rate of 0", () => {
  assert.throws(() => rateProfile(-1, RAMP), RangeError);
  assert.throws(() => rateProfile(0, []), RangeError);
});

Deno.test("a constant schedule is the constant-rate pacer's, and its shards interleave like shardSchedule()", () => {
  const one = createArrivals({ process: "constant", startRate: 250, stages: [], seed: 1 });
  for (let k = 0; k < 100; k++) assert.ok(Math.abs(one.dueMs(k) - k * 4) < 1e-9);
  for (let i = 0; i < 3; i++) {
    const a = createArrivals({
      process: "constant",
      startRate: 250,
      stages: [],
      seed: 1,
      shard: { index: i, count: 3 },
    });
    const { rate, offsetMs } = shardSchedule(250, i, 3);
    for (let k = 0; k < 50; k++) {
      assert.ok(Math.abs(a.dueMs(k) - (offsetMs + (k * 1000) / rate)) < 1e-9);
    }
  }
});

Deno.test("a ramp from 0 to 200/s over 10s schedules 10, 30, ..., 190 requests in its seconds", () => {
  const a = createArrivals({ process: "constant", startRate: 0, stages: RAMP, seed: 1 });
  const due = allDue(a);
  assert.equal(due.length, 1000);
  assert.equal(due[0], 0);
  assert.ok(due.every((t) => Number.isFinite(t)));
  assert.deepEqual(binCounts(due, 0, 1000, 10), [10, 30, 50, 70, 90, 110, 130, 150, 170, 190]);
  assert.equal(a.rateAt(2500), 50);
  assert.equal(a.endMs, 10_000);
});

Deno.test("a ramp's shards are exactly the one-machine ramp, split R(t)/N", () => {
  const stages: Stage[] = [{ durationMs: 2000, rate: 300 }, { durationMs: 1000, rate: 50 }];
  const whole = allDue(createArrivals({ process: "constant", startRate: 20, stages, seed: 1 }));
  const parts = [0, 1, 2].map((i) =>
    allDue(
      createArrivals({
        process: "constant",
        startRate: 20,
        stages,
        seed: 1,
        shard: { index: i, count: 3 },
      }),
    )
  );
  assert.deepEqual(parts.flat().sort((x, y) => x - y), whole);
  const shard = createArrivals({
    process: "constant",
    startRate: 20,
    stages,
    seed: 1,
    shard: { index: 1, count: 3 },
  });
  assert.equal(shard.rateAt(2000), 100);
});

Deno.test("a Poisson schedule: same seed same times, other seed other times", () => {
  const make = (seed: number) =>
    createArrivals({ process: "poisson", startRate: 500, stages: [], seed });
  const a = allDue(make(7), 2000);
  assert.deepEqual(allDue(make(7), 2000), a);
  assert.notDeepEqual(allDue(make(8), 2000), a);
  assert.ok(a[0]! > 0, "a Poisson process has no arrival at exactly 0");
});

Deno.test("Poisson gaps at 500/s are exponential: KS p > 0.01 and CV in [0.9, 1.1]", () => {
  for (const seed of [1, 2, 3]) {
    const due = allDue(
      createArrivals({ process: "poisson", startRate: 500, stages: [], seed }),
      5000,
    );
    const fit = gapFit(due, 500);
    assert.ok(fit.ks.pValue > 0.01, `seed ${seed}: p ${fit.ks.pValue}`);
    assert.ok(fit.cv >= 0.9 && fit.cv <= 1.1, `seed ${seed}: cv ${fit.cv}`);
  }
});

Deno.test("two Poisson shards at R/2 merge into a Poisson process at R", () => {
  const shard = (index: number) =>
    allDue(
      createArrivals({
        process: "poisson",
        startRate: 500,
        stages: [],
        seed: 5,
        shard: { index, count: 2 },
      }),
      2500,
    );
  const a = shard(0);
  const b = shard(1);
  assert.notDeepEqual(a.slice(0, 10), b.slice(0, 10), "each shard has its own stream");
  const horizon = Math.min(a[a.length - 1]!, b[b.length - 1]!);
  const merged = [...a, ...b].filter((t) => t <= horizon);
  const fit = gapFit(merged, 500);
  assert.ok(fit.ks.pValue > 0.01, `merged vs exponential: p ${fit.ks.pValue}`);
  assert.ok(fit.cv >= 0.9 && fit.cv <= 1.1, `cv ${fit.cv}`);
  // ...and the same gap distribution as one machine at R.
  const one = allDue(
    createArrivals({ process: "poisson", startRate: 500, stages: [], seed: 5 }),
    5000,
  );
  const oneFit = gapFit(one, 500);
  const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]!);
  const two = ksTwoSample(gaps(merged.sort((x, y) => x - y)), gaps(one));
  assert.ok(two.pValue > 0.01, `two-sample p ${two.pValue}`);
  assert.ok(oneFit.ks.pValue > 0.01);
});

Deno.test("a Poisson ramp is a non-homogeneous Poisson process: rescaled gaps are Exp(1), counts follow the ramp", () => {
  const stages: Stage[] = [{ durationMs: 10_000, rate: 2000 }];
  const profile = rateProfile(0, stages);
  const due = allDue(createArrivals({ process: "poisson", startRate: 0, stages, seed: 11 }));
  const u = due.map((t) => profile.integralAt(t));
  const rescaled = u.slice(1).map((x, i) => x - u[i]!);
  const ks = ksTest(rescaled, exponentialCdf(1));
  assert.ok(ks.pValue > 0.01, `p ${ks.pValue}`);
  // 10000 expected in all; per second 100·(2s+1), Poisson noise ~ √n: within 5 sd.
  binCounts(due, 0, 1000, 10).forEach((c, s) => {
    const expected = 100 * (2 * s + 1);
    assert.ok(
      Math.abs(c - expected) <= 5 * Math.sqrt(expected),
      `second ${s}: ${c} vs ${expected}`,
    );
  });
});

Deno.test("countBefore() agrees with the due times, and a Poisson schedule is read forward only", () => {
  for (const process of ["constant", "poisson"] as const) {
    for (const startRate of [0, 40]) {
      const a = createArrivals({ process, startRate, stages: RAMP, seed: 3 });
      const due = allDue(createArrivals({ process, startRate, stages: RAMP, seed: 3 }));
      for (const ms of [0, 1, 999.5, 1000, 4321, 9999, 10_000, 20_000]) {
        assert.equal(
          a.countBefore(ms),
          due.filter((t) => t < ms).length,
          `${process} ${startRate} ${ms}`,
        );
      }
    }
  }
  const p = createArrivals({ process: "poisson", startRate: 100, stages: [], seed: 1 });
  const t5000 = p.dueMs(5000);
  p.discardBefore(5000);
  assert.equal(p.dueMs(5000), t5000);
  assert.throws(() => p.dueMs(10), RangeError);
});

Deno.test("--rate R with a flat stage at R is exactly the constant schedule of that length", () => {
  const flat = createArrivals({
    process: "constant",
    startRate: 100,
    stages: [{ durationMs: 10_000, rate: 100 }],
    seed: 1,
  });
  for (let k = 0; k < 1000; k++) assert.ok(Math.abs(flat.dueMs(k) - k * 10) < 1e-9, `request ${k}`);
  assert.equal(flat.dueMs(1000), Infinity, "due at 10 s: past the end, as -d 10s");
});
