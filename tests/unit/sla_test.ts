import assert from "node:assert/strict";
import type { RequestRecord } from "../../lib/record.ts";
import { evaluateSla, parseSlaRule } from "../../lib/stats/sla.ts";
import { summarize } from "../../lib/stats/summary.ts";

Deno.test("parseSlaRule() reads every documented rule", () => {
  const cases: [string, Partial<ReturnType<typeof parseSlaRule>>][] = [
    ["p95<=800ms", { kind: "latency", metric: "p95", quantile: 95, op: "<=", limit: 800 }],
    ["p99<1.5s", { kind: "latency", metric: "p99", quantile: 99, op: "<", limit: 1500 }],
    ["p99.9<=2s", { kind: "latency", metric: "p99.9", quantile: 99.9, op: "<=", limit: 2000 }],
    ["mean<300ms", { kind: "latency", metric: "mean", quantile: null, op: "<", limit: 300 }],
    ["max<5s", { kind: "latency", metric: "max", quantile: null, op: "<", limit: 5000 }],
    ["error_rate<=1%", { kind: "error_rate", metric: "error_rate", op: "<=", limit: 0.01 }],
    ["error_rate<0.05", { kind: "error_rate", limit: 0.05 }],
    ["throughput>=100/s", { kind: "throughput", metric: "throughput", op: ">=", limit: 100 }],
    [" p(95) <= 800ms ", { metric: "p95", quantile: 95, limit: 800, text: "p(95)<=800ms" }],
    ["avg<1s", { metric: "mean", limit: 1000 }],
  ];
  for (const [text, want] of cases) {
    const rule = parseSlaRule(text);
    for (const [k, v] of Object.entries(want)) {
      assert.deepEqual(rule[k as keyof typeof rule], v, `${text}: ${k}`);
    }
  }
});

Deno.test("parseSlaRule() points at the bad token", () => {
  const cases: [string, string][] = [
    ["p95<=800xs", '"800xs" is not a duration'],
    ["p95<=800", '"800" is not a duration'],
    ["p95 800ms", "no comparison operator"],
    ["p95=800ms", 'operator "="'],
    ["latency<1s", 'unknown metric "latency"'],
    ["p0<1s", "out of range"],
    ["p101<1s", "out of range"],
    ["error_rate<lots", '"lots" is not a rate'],
    ["error_rate<=120%", "above 100%"],
    ["throughput>=fast", '"fast" is not a rate'],
    ["p95<=", "missing value"],
  ];
  for (const [text, fragment] of cases) {
    assert.throws(() => parseSlaRule(text), (err: Error) => {
      assert.ok(err instanceof SyntaxError, text);
      assert.ok(err.message.includes(fragment), `${text}: ${err.message}`);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    });
  }
});

function recs(latencies: number[], failures = 0): RequestRecord[] {
  const ok = latencies.map((l, i): RequestRecord => ({
    id: i,
    scheduledMs: i * 10,
    startedMs: i * 10,
    latencyMs: l,
    ttfbMs: l,
    status: 200,
    bytes: 1,
    error: "",
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
  }));
  const bad = Array.from({ length: failures }, (_, i): RequestRecord => ({
    ...ok[0]!,
    id: 10_000 + i,
    status: 503,
    error: "http_5xx",
  }));
  return [...ok, ...bad];
}

Deno.test("evaluateSla() compares the point value on each metric kind", () => {
  const lat = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
  const s = summarize(recs(lat, 2));
  const check = (text: string, value: number, passed: boolean) => {
    const r = evaluateSla(parseSlaRule(text), s);
    assert.equal(r.value, value, text);
    assert.equal(r.passed, passed, text);
    assert.equal(r.verdict, passed ? "pass" : "fail", text);
  };
  check("p95<=95ms", 95, true);
  check("p95<95ms", 95, false);
  check("max<100ms", 100, false);
  check("mean<=50.5ms", 50.5, true);
  check("error_rate<=1%", 2 / 102, false);
  check("error_rate<=2%", 2 / 102, true);
});

Deno.test("evaluateSla() needs sorted latencies for an unusual percentile", () => {
  const lat = [5, 1, 3, 2, 4];
  const s = summarize(recs(lat));
  assert.throws(() => evaluateSla(parseSlaRule("p80<10ms"), s), TypeError);
  assert.equal(evaluateSla(parseSlaRule("p80<10ms"), s, [1, 2, 3, 4, 5]).value, 4);
});

Deno.test("evaluateSla() with confidence passes, fails or stays inconclusive", () => {
  const many = Array.from({ length: 400 }, (_, i) => 100 + i); // 100..499 ms
  const sorted = [...many];
  const s = summarize(recs(many));
  const pass = evaluateSla(parseSlaRule("p95<=800ms"), s, sorted, 0.95);
  assert.equal(pass.verdict, "pass");
  assert.equal(pass.confidence?.n, 400);
  assert.ok(pass.confidence!.upper! <= 800);
  const fail = evaluateSla(parseSlaRule("p95<=300ms"), s, sorted, 0.95);
  assert.equal(fail.verdict, "fail");
  assert.ok(fail.confidence!.lower! > 300);
  // The point estimate (p95 = 479 ms) meets 480 ms, but the upper bound does not: undecided.
  const close = evaluateSla(parseSlaRule("p95<=480ms"), s, sorted, 0.95);
  assert.equal(close.value, 479);
  assert.equal(close.verdict, "inconclusive");
  assert.equal(close.passed, false);
  // Too few samples for any upper bound on P99 at 95%.
  const few = Array.from({ length: 50 }, (_, i) => i + 1);
  const small = evaluateSla(parseSlaRule("p99<=10s"), summarize(recs(few)), few, 0.95);
  assert.equal(small.verdict, "inconclusive");
  assert.equal(small.confidence?.minSamples, 299);
  // Non-percentile rules keep the point verdict; "off" restores it for percentiles too.
  assert.equal(evaluateSla(parseSlaRule("max<1s"), s, sorted, 0.95).confidence, undefined);
  assert.equal(evaluateSla(parseSlaRule("p95<=480ms"), s, sorted, "off").verdict, "pass");
});

Deno.test("evaluateSla() gives no verdict over a run with no measured request", () => {
  const empty = summarize([]);
  for (const text of ["error_rate<=1%", "throughput>=10/s", "p95<=800ms"]) {
    const r = evaluateSla(parseSlaRule(text), empty, new Float64Array(0), 0.95);
    assert.equal(r.verdict, "inconclusive", text);
    assert.equal(r.passed, false, text);
  }
});
