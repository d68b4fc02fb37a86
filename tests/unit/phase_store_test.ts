import assert from "node:assert/strict";
import { PhaseBuilder } from "../../lib/stats/phase_summary.ts";
import { nearestRank } from "../../lib/stats/percentile.ts";
import { okRecord } from "../_record.ts";

/** Whole-microsecond values in a seeded order, so the store sees them unsorted. */
function values(n: number): number[] {
  let s = 12345;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (200 + (s % 9000)) / 1000; // 0.200–9.199 ms, across three 4.096 ms buckets
  });
}

function expected(vals: number[], p: number): number {
  const sorted = [...vals].sort((a, b) => a - b);
  return sorted[nearestRank(sorted.length, p) - 1]!;
}

for (const n of [3000, 5000, 70_000, 150_000]) {
  Deno.test(`PhaseBuilder keeps nearest-rank percentiles exact to the microsecond over ${n} values (the exact store's growth and, past 65,536, the counts)`, () => {
    const ttfb = values(n);
    const body = ttfb.map((v) => v + 0.5);
    const b = new PhaseBuilder();
    for (let i = 0; i < n; i++) {
      b.add(okRecord(i, 1000 + i, 20, { ttfbMs: ttfb[i]!, firstBodyMs: body[i]! }));
    }
    const s = b.summary();
    assert.equal(s.ttfb?.count, n);
    assert.equal(s.first_body?.count, n);
    for (const p of [50, 95, 99] as const) {
      assert.equal(s.ttfb?.[`p${p}_ms`], expected(ttfb, p));
      assert.equal(s.first_body?.[`p${p}_ms`], Math.round(expected(body, p) * 1000) / 1000);
    }
  });
}
