import assert from "node:assert/strict";
import {
  computeLadder,
  type LadderSide,
  stepBlockLength,
  timeOrderedSuccesses,
} from "../../lib/stats/ladder.ts";
import { attributeDifference } from "../../lib/stats/attribution.ts";
import {
  LADDER_IDLE_TIMEOUT_MS,
  ladderHttp2Profile,
  ladderRungs,
} from "../../lib/load/ladder_run.ts";
import { blockBootstrapCompare } from "../../lib/stats/bootstrap.ts";
import { parseSlaRule } from "../../lib/stats/sla.ts";
import { deriveSeed } from "../../lib/rng.ts";
import type { ErrorKind, RequestRecord } from "../../lib/record.ts";

function rec(
  id: number,
  startedMs: number,
  latencyMs: number,
  error: ErrorKind = "",
): RequestRecord {
  return {
    id,
    scheduledMs: startedMs,
    startedMs,
    latencyMs,
    ttfbMs: null,
    status: error === "" ? 200 : 0,
    bytes: 0,
    error,
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
  };
}

/**
 * A rung of `n` requests whose latencies cycle through a fixed pattern
 * (`base + (i·37) mod 50`), started in blocks of 50 that alternate with the
 * other rungs' blocks (block j of rung r starts at (j·rungs + r)·1000 ms).
 */
function rung(r: number, rungs: number, n: number, base: number): RequestRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const block = Math.floor(i / 50);
    return rec(i, (block * rungs + r) * 1000 + (i % 50), base + ((i * 37) % 50));
  });
}

const rules = [parseSlaRule("p95<=800ms")];

Deno.test("computeLadder() gives each rung its nearest-rank percentiles, errors and SLA verdict", () => {
  // 100 successes 1..100 ms (start order reversed) and 5 timeouts.
  const records = [
    ...Array.from({ length: 100 }, (_, i) => rec(i, 100 - i, i + 1)),
    ...Array.from({ length: 5 }, (_, i) => rec(100 + i, 200 + i, 30_000, "timeout")),
  ];
  const slow = Array.from({ length: 100 }, (_, i) => rec(i, i, 700 + i * 2));
  const ladder = computeLadder(
    [{ name: "a", records }, { name: "b", records: slow }],
    { rules, confidence: 0.95, bootstrap: { resamples: 200 } },
  );
  const [a, b] = ladder.rungs;
  assert.ok(a && b);
  assert.equal(a.count, 105);
  assert.equal(a.errors, 5);
  assert.equal(a.successes, 100);
  assert.equal(a.p50_ms, 50);
  assert.equal(a.p95_ms, 95);
  assert.equal(a.p99_ms, 99);
  assert.equal(a.sla_verdict, "pass");
  assert.equal(a.sla_passed, true);
  // The P95 interval brackets the point and comes from the sample itself.
  const [lo, hi] = a.p95_ci_ms;
  assert.ok(lo !== null && hi !== null && lo <= 95 && 95 <= hi, `${lo} ${hi}`);
  // 700..898 ms: P95 = 888 ms, and the lower bound is already above 800 ms.
  assert.equal(b.p95_ms, 888);
  assert.equal(b.sla_verdict, "fail");
  assert.equal(b.sla_passed, false);
});

Deno.test("computeLadder() calls a P95 that is neither proven nor broken inconclusive", () => {
  // 30 successes: too few for a one-sided 95% upper bound on P95 (needs 59).
  const few = Array.from({ length: 30 }, (_, i) => rec(i, i, 100 + i));
  const ladder = computeLadder(
    [{ name: "a", records: few }, { name: "b", records: few }],
    { rules, confidence: 0.95, bootstrap: { resamples: 100 } },
  );
  assert.equal(ladder.rungs[0]?.sla_verdict, "inconclusive");
  assert.equal(ladder.rungs[0]?.sla_passed, false);
  // With confidence off the point value (P95 = 129 ms) decides.
  const off = computeLadder(
    [{ name: "a", records: few }, { name: "b", records: few }],
    { rules, confidence: "off", bootstrap: { resamples: 100 } },
  );
  assert.equal(off.rungs[0]?.sla_verdict, "pass");
});

Deno.test("computeLadder() gives every adjacent step its bootstrap deltas, intervals and verdicts", () => {
  // Four rungs in interleaved blocks: 300 ms, 200 ms, 150 ms, 150 ms bases, same pattern.
  const bases = [300, 200, 150, 150];
  const inputs = bases.map((base, r) => ({
    name: `r${r}`,
    records: rung(r, bases.length, 400, base),
  }));
  const ladder = computeLadder(inputs, {
    rules,
    confidence: 0.95,
    bootstrap: { resamples: 400, seed: 3 },
  });
  assert.equal(ladder.rungs.length, 4);
  assert.equal(ladder.steps.length, 3);
  assert.deepEqual(ladder.steps.map((s) => [s.from, s.to]), [["r0", "r1"], ["r1", "r2"], [
    "r2",
    "r3",
  ]]);
  const [s0, s1, s2] = ladder.steps;
  assert.ok(s0 && s1 && s2);
  // Same pattern shifted by a constant: every percentile moves by exactly the shift.
  assert.equal(s0.delta_p50_ms, -100);
  assert.equal(s0.delta_p95_ms, -100);
  assert.equal(s0.delta_p99_ms, -100);
  assert.equal(s1.delta_p95_ms, -50);
  assert.equal(s0.verdict, "improved");
  assert.equal(s0.verdict_p50, "improved");
  assert.equal(s1.verdict, "improved");
  assert.ok(s0.ci_p95_ms && s0.ci_p95_ms[0] <= -100 && -100 <= s0.ci_p95_ms[1]);
  assert.ok(s0.ci_p95_ms[1] < 0, "the whole interval is below 0");
  // Identical rungs: zero delta, an interval straddling 0, no significant difference.
  assert.equal(s2.delta_p95_ms, 0);
  assert.equal(s2.verdict, "no significant difference");
  assert.equal(s2.verdict_p50, "no significant difference");
  assert.ok(s2.ci_p95_ms && s2.ci_p95_ms[0] <= 0 && s2.ci_p95_ms[1] >= 0);
  assert.equal(s2.primary, "p95");
  assert.equal(s2.confidence, 0.95);
  assert.equal(s2.attribution, null, "no mock stats, no attribution");
});

Deno.test("computeLadder() calls a slower next rung regressed", () => {
  const inputs = [150, 250].map((base, r) => ({ name: `r${r}`, records: rung(r, 2, 300, base) }));
  const [step] = computeLadder(inputs, { rules, confidence: 0.95, bootstrap: { resamples: 300 } })
    .steps;
  assert.equal(step?.delta_p95_ms, 100);
  assert.equal(step?.verdict, "regressed");
});

Deno.test("computeLadder() uses the shared block bootstrap with a per-step seed", () => {
  const inputs = [300, 200, 150].map((base, r) => ({
    name: `r${r}`,
    records: rung(r, 3, 200, base),
  }));
  const ladder = computeLadder(inputs, {
    rules,
    confidence: 0.95,
    bootstrap: { resamples: 150, seed: 9 },
  });
  for (let k = 0; k < 2; k++) {
    const a = timeOrderedSuccesses(inputs[k]!.records);
    const b = timeOrderedSuccesses(inputs[k + 1]!.records);
    const direct = blockBootstrapCompare(a, b, { resamples: 150, seed: deriveSeed(9, k) });
    const p95 = direct.metrics.find((m) => m.metric === "p95")!;
    assert.deepEqual(ladder.steps[k]?.ci_p95_ms, [p95.lower, p95.upper]);
    assert.deepEqual(ladder.steps[k]?.bootstrap, direct);
  }
  // Same inputs, same seed: the same ladder.
  const again = computeLadder(inputs, {
    rules,
    confidence: 0.95,
    bootstrap: { resamples: 150, seed: 9 },
  });
  assert.deepEqual(again.steps, ladder.steps);
});

Deno.test("computeLadder() hands each step's two rungs to the attribution, with their stats", () => {
  // Rung a: 400 requests on 400 HTTP/1.1 connections, 120 ms setup each; rung b: 20 connections.
  const a = Array.from({ length: 400 }, (_, i) => rec(i, i, 280));
  const b = Array.from({ length: 400 }, (_, i) => rec(i, i, i < 20 ? 280 : 160));
  const seen: unknown[] = [];
  const attribute = (x: LadderSide, y: LadderSide) => {
    seen.push([x.name, y.name, x.maxInFlight]);
    const run = (s: LadderSide) => ({
      name: s.name,
      requests: s.summary.successes,
      meanMs: s.summary.mean_ms!,
      opened: (s.stats as { opened: number }).opened,
      openedHttp2: 0,
      maxWaiters: 20,
      setupMs: 120,
    });
    return attributeDifference(run(x), run(y));
  };
  const ladder = computeLadder(
    [
      { name: "a", records: a, mockStats: { opened: 400 } },
      { name: "b", records: b, mockStats: { opened: 20 } },
      { name: "c", records: b },
    ],
    { rules, confidence: 0.95, bootstrap: { resamples: 100 }, concurrency: 20, attribute },
  );
  assert.deepEqual(seen, [["a", "b", 20]], "no attribution for a rung without mock stats");
  const attr = ladder.steps[0]?.attribution;
  assert.ok(attr);
  // Mean 280 -> 166 ms: 400 × −114 = −45 600 ms in total, setup (380 × 120 = 45 600 ms) all of it.
  assert.equal(attr.mean_delta_ms, -114);
  assert.deepEqual(attr.setup_delta_ms, { min: -45_600, max: -45_600 });
  assert.deepEqual(attr.other_delta_ms, { min: 0, max: 0 });
  assert.equal(ladder.steps[1]?.attribution, null);
  // An attribution that cannot read the stats leaves the step without one.
  const failing = computeLadder(
    [{ name: "a", records: a, mockStats: {} }, { name: "b", records: b, mockStats: {} }],
    {
      rules,
      confidence: 0.95,
      bootstrap: { resamples: 100 },
      attribute: () => {
        throw new TypeError("no counts");
      },
    },
  );
  assert.equal(failing.steps[0]?.attribution, null);
});

Deno.test("computeLadder() leaves a step without a verdict when a rung has no successes", () => {
  const failed = Array.from({ length: 10 }, (_, i) => rec(i, i, 5, "connect_refused"));
  const ok = Array.from({ length: 100 }, (_, i) => rec(i, i, 100));
  const ladder = computeLadder([{ name: "a", records: failed }, { name: "b", records: ok }], {
    rules,
    confidence: 0.95,
    bootstrap: { resamples: 100 },
  });
  assert.equal(ladder.steps[0]?.verdict, null);
  assert.equal(ladder.steps[0]?.delta_p95_ms, null);
  assert.equal(ladder.rungs[0]?.p95_ms, null);
  assert.equal(ladder.rungs[0]?.sla_verdict, "fail");
});

Deno.test("computeLadder() refuses fewer than two rungs and duplicate names", () => {
  const ok = [rec(0, 0, 1), rec(1, 1, 2)];
  assert.throws(
    () => computeLadder([{ name: "a", records: ok }], { rules, confidence: 0.95 }),
    RangeError,
  );
  assert.throws(
    () =>
      computeLadder([{ name: "a", records: ok }, { name: "a", records: ok }], {
        rules,
        confidence: 0.95,
      }),
    /appears twice/,
  );
});

Deno.test("timeOrderedSuccesses() keeps successes in start order and drops failures and warm-up", () => {
  const w = { ...rec(9, 0, 1), warmup: true };
  const out = timeOrderedSuccesses([rec(2, 30, 3), rec(1, 10, 1), rec(3, 20, 99, "reset"), w]);
  assert.deepEqual([...out], [1, 3]);
});

Deno.test("ladderRungs() makes four rungs that each change one client setting", () => {
  const rungs = ladderRungs(20, 10, "fast-h2");
  assert.deepEqual(rungs.map((r) => r.name), ["no-reuse", "small-pool", "keep-alive", "http2"]);
  assert.deepEqual(rungs.map((r) => r.profile), ["fast", "fast", "fast", "fast-h2"]);
  assert.deepEqual(rungs[0]?.options, { reuse: false });
  assert.deepEqual(rungs[1]?.options, { maxIdle: 10, idleTimeoutMs: LADDER_IDLE_TIMEOUT_MS });
  assert.deepEqual(rungs[2]?.options, { maxIdle: 20, idleTimeoutMs: LADDER_IDLE_TIMEOUT_MS });
  assert.equal(rungs[1]?.settings.max_idle, 10);
  assert.equal(rungs[2]?.settings.max_idle, 20);
  // Without fast-h2 the HTTP/2 rung falls back to fetch, and says so.
  const fallback = ladderRungs(20, 10, "optimized")[3];
  assert.equal(fallback?.profile, "optimized");
  assert.equal(fallback?.settings.fallback, true);
  assert.match(fallback?.label ?? "", /fetch/);
  // A pool as large as the concurrency would make rung 2 the same client as rung 3.
  assert.throws(() => ladderRungs(20, 20), /below the concurrency \(20\), got 20/);
  assert.throws(() => ladderRungs(20, -1), RangeError);
  assert.ok(["fast-h2", "optimized"].includes(ladderHttp2Profile()));
});

Deno.test("computeLadder() resamples whole interleave blocks, so one slow block is not a verdict", () => {
  // Two identical rungs of 8 blocks × 50, except that rung b's block 3 ran while the machine
  // was busy: every request in it took 5× as long.
  const inputs = [0, 1].map((r) => ({
    name: `r${r}`,
    records: rung(r, 2, 400, 150).map((x) =>
      r === 1 && Math.floor(x.id / 50) === 3 ? { ...x, latencyMs: x.latencyMs * 5 } : x
    ),
  }));
  const opts = { rules, confidence: 0.95 as const, bootstrap: { resamples: 1000, seed: 5 } };
  // Blocks of a few requests see 50 consistently slow requests as a real shift.
  const naive = computeLadder(inputs, opts).steps[0];
  assert.equal(naive?.verdict, "regressed");
  // Resampling blocks of 50 knows that those 50 slow requests came from one moment.
  const step = computeLadder(inputs, { ...opts, interleaveBlock: 50 }).steps[0];
  assert.equal(step?.verdict, "no significant difference", JSON.stringify(step?.ci_p95_ms));
  assert.equal(step?.bootstrap?.blockLength.a, 50);
  assert.equal(step?.bootstrap?.blockLength.b, 50);
});

Deno.test("stepBlockLength() takes the interleave block, capped at a third of the shorter rung", () => {
  const flat = (n: number) => new Float64Array(n).fill(1);
  assert.equal(stepBlockLength(flat(400), flat(400), 50), 50);
  assert.equal(stepBlockLength(flat(400), flat(90), 50), 30);
  assert.equal(stepBlockLength(flat(400), flat(400), 2), 8, "never below the automatic rule");
  assert.equal(stepBlockLength(flat(2), flat(2), 50), 1);
});
