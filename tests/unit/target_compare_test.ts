import assert from "node:assert/strict";
import type { RequestRecord } from "../../lib/record.ts";
import { okRecord } from "../_record.ts";
import { summarizeByTarget, TargetBuilders } from "../../lib/stats/by_target.ts";
import { compareTargets } from "../../lib/stats/target_compare.ts";
import { summarize } from "../../lib/stats/summary.ts";
import { formatTargetDeltas, formatTargetTable } from "../../lib/report/targets.ts";

/** A successful record of `target`, started at 1000 + id (`over` replaces any field). */
function rec(id: number, target: string, latencyMs: number, over: Partial<RequestRecord> = {}) {
  return okRecord(id, 1000 + id, latencyMs, { bytes: 2, target, ...over });
}

/** 300 requests: a 1..30 ms, b 100..130 ms, every fifth to a; `shiftB` added to b. */
function run(shiftB: number): RequestRecord[] {
  return Array.from(
    { length: 300 },
    (_, i) =>
      i % 5 === 0 ? rec(i, "a", 1 + (i * 7) % 30) : rec(i, "b", 100 + shiftB + (i * 11) % 30),
  );
}

Deno.test("summarizeByTarget() splits by name in order of first appearance, warm-up and untargeted rows left out", () => {
  const s = summarizeByTarget([
    rec(0, "b", 5),
    rec(1, "a", 7),
    rec(2, "b", 9, { status: 500, error: "http_5xx" }),
    rec(3, "a", 1, { warmup: true }),
    rec(4, "", 3),
  ]);
  assert.deepEqual(s.map((t) => [t.name, t.summary.count, t.summary.errors]), [["b", 2, 1], [
    "a",
    1,
    0,
  ]]);
  assert.deepEqual(new TargetBuilders(["x", "y"]).names, ["x", "y"]);
});

Deno.test("compareTargets() finds the shift in the target that moved, and none in the one that did not", () => {
  const deltas = compareTargets(run(0), run(50), { resamples: 300, seed: 3 });
  assert.deepEqual(deltas.map((d) => [d.name, d.countA, d.countB]), [["a", 60, 60], [
    "b",
    240,
    240,
  ]]);
  const b95 = deltas[1]!.metrics.find((m) => m.metric === "p95")!;
  assert.equal(deltas[1]!.verdict, "regressed");
  assert.ok(b95.lower > 30 && b95.upper <= 60, `${b95.lower}..${b95.upper}`);
  assert.equal(deltas[0]!.verdict, "no significant difference");
});

Deno.test("compareTargets() lists a target of one run only, with no metrics", () => {
  const deltas = compareTargets(run(0), [...run(0), rec(999, "c", 5)], { resamples: 100 });
  const c = deltas.find((d) => d.name === "c")!;
  assert.deepEqual([c.countA, c.countB, c.metrics, c.verdict], [0, 1, [], null]);
});

Deno.test("formatTargetTable() shows each target's requests, errors and P50/P95/P99, then the pooled row", () => {
  const records = run(0);
  const text = formatTargetTable(summarize(records), summarizeByTarget(records));
  const lines = text.split("\n");
  assert.match(lines[0]!, /^target\s+requests\s+errors\s+p50\s+p95\s+p99$/);
  assert.match(lines[1]!, /^a\s+60\s+0\s/);
  assert.match(lines[2]!, /^b\s+240\s+0\s/);
  assert.match(lines[3]!, /^\(pooled\)\s+300\s+0\s/);
  assert.equal(formatTargetTable(summarize([]), []), "");
});

Deno.test("formatTargetDeltas() names both runs and gives each delta with its interval", () => {
  const text = formatTargetDeltas(compareTargets(run(0), run(50), { resamples: 100 }), "A", "B");
  assert.match(text, /^B − A per target \(95% bootstrap interval\)/);
  assert.match(text, /^b\s+240\s+240\s+\+\d+(\.\d)?ms \[\+\d+(\.\d)?ms, \+\d+(\.\d)?ms\]/m);
  assert.match(text, /regressed$/m);
});
