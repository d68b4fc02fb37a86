import assert from "node:assert/strict";
import { comparePhases } from "../../lib/stats/phase_compare.ts";
import { formatPhaseComparisons } from "../../lib/report/text.ts";
import { createRng } from "../../lib/rng.ts";

const draws = (seed: number, n: number, median: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => median * Math.exp(0.3 * rng.normal()));
};

Deno.test("comparePhases() gives each phase both runs have its deltas, intervals and verdict", () => {
  const a = { ttfb: draws(1, 300, 2), first_body: draws(2, 300, 120) };
  const b = { ttfb: draws(3, 300, 2), first_body: draws(4, 300, 60), tls: draws(5, 20, 3) };
  const phases = comparePhases(a, b, { resamples: 300 });
  assert.deepEqual(phases.map((p) => p.phase), ["ttfb", "first_body"], "tls only in B: skipped");
  const fb = phases[1]!.comparison;
  assert.equal(fb.verdict, "improved");
  const p50 = fb.metrics.find((m) => m.metric === "p50")!;
  assert.ok(p50.lower <= p50.delta && p50.delta <= p50.upper);
  assert.ok(p50.delta < -40 && p50.delta > -80, String(p50.delta));
  assert.equal(phases[0]!.comparison.verdict, "no significant difference");
  const text = formatPhaseComparisons(phases, { color: false });
  assert.match(text, /^first_body\s+300\/300\s+-\S+ \[.*improved$/m);
  assert.deepEqual(comparePhases(a, b, { resamples: 300 }), phases, "same seed, same result");
});

Deno.test("comparePhases() skips a phase with fewer than 2 values in a run", () => {
  assert.deepEqual(comparePhases({ connect: [1] }, { connect: [1, 2, 3] }), []);
  assert.equal(formatPhaseComparisons([], { color: false }), "");
});
