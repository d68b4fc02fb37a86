import assert from "node:assert/strict";
import { compareSummaries } from "../../lib/stats/compare.ts";
import { summarize } from "../../lib/stats/summary.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { okRecord } from "../_record.ts";

const rec = (latencyMs: number, t: number): RequestRecord => okRecord(t, t, latencyMs);

Deno.test("compareSummaries() reports deltas and improvement percentages", () => {
  const a = summarize([100, 200, 300, 400].map((l, i) => rec(l, i * 100)));
  const b = summarize([50, 100, 150, 200].map((l, i) => rec(l, i * 100)));
  const c = compareSummaries(a, b);
  assert.equal(c.p50_ms.baseline, 200);
  assert.equal(c.p50_ms.candidate, 100);
  assert.equal(c.p50_ms.delta_ms, -100);
  assert.equal(c.p50_ms.improvement_pct, 50);
  assert.equal(c.mean_ms.improvement_pct, 50);
  assert.equal(c.error_rate.delta, 0);
});

Deno.test("compareSummaries() gives null, not NaN, when a side has no data", () => {
  const c = compareSummaries(summarize([]), summarize([rec(5, 0)]));
  assert.equal(c.p95_ms.delta_ms, null);
  assert.equal(c.p95_ms.improvement_pct, null);
  assert.equal(c.throughput_rps.change_pct, null);
});
