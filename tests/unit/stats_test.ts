import assert from "node:assert/strict";
import { nearestRank, percentile, summarize, SummaryBuilder } from "../../lib/stats/summary.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { SUMMARY_KEYS } from "../_cli.ts";

function rec(latencyMs: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 0,
    scheduledMs: 1000,
    startedMs: 1000,
    latencyMs,
    ttfbMs: latencyMs,
    status: 200,
    bytes: 10,
    error: "",
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
    ...extra,
  };
}

Deno.test("percentile() returns the nearest-rank value", async (t) => {
  // Hand-computed: rank = ceil(p/100 * n).
  const sorted = [15, 20, 35, 40, 50];
  const cases: [number, number][] = [
    [5, 15], // ceil(0.25) = 1
    [30, 20], // ceil(1.5) = 2
    [40, 20], // ceil(2.0) = 2
    [50, 35], // ceil(2.5) = 3
    [95, 50], // ceil(4.75) = 5
    [100, 50],
    [0, 15], // clamped to rank 1
  ];
  for (const [p, want] of cases) {
    await t.step(`p${p} of [15,20,35,40,50] is ${want}`, () => {
      assert.equal(percentile(sorted, p), want);
    });
  }
});

Deno.test("percentile() handles ties, n=1 and empty input", () => {
  assert.equal(percentile([7, 7, 7, 9], 50), 7);
  assert.equal(percentile([7, 7, 7, 9], 75), 7);
  assert.equal(percentile([7, 7, 7, 9], 76), 9);
  assert.equal(percentile([42], 0), 42);
  assert.equal(percentile([42], 99.9), 42);
  assert.equal(percentile([], 95), null);
});

Deno.test("percentile() rejects p outside 0..100", () => {
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], -1), RangeError);
  assert.throws(() => percentile([1], NaN), RangeError);
});

Deno.test("nearestRank() is not bumped by floating-point noise", () => {
  assert.equal(nearestRank(1000, 99.9), 999);
  assert.equal(nearestRank(20, 95), 19);
  assert.equal(nearestRank(100, 99), 99);
  assert.equal(nearestRank(3, 33.3334), 2);
  // 1..1000: p99.9 is the 999th value.
  const xs = Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 99.9), 999);
  assert.equal(percentile(xs, 50), 500);
});

Deno.test("summarize() counts errors but takes latency stats over successes only", () => {
  const s = summarize([
    rec(100),
    rec(300),
    rec(200),
    rec(5, { status: 500, error: "http_5xx" }),
    rec(30_000, { status: 0, error: "timeout" }),
    rec(999, { warmup: true }),
  ]);
  assert.equal(s.count, 5);
  assert.equal(s.errors, 2);
  assert.equal(s.error_rate, 0.4);
  assert.equal(s.successes, 3);
  assert.equal(s.min_ms, 100);
  assert.equal(s.max_ms, 300);
  assert.equal(s.mean_ms, 200);
  assert.equal(s.p50_ms, 200);
  assert.equal(s.p95_ms, 300);
  assert.deepEqual(s.status_codes, { "0": 1, "200": 3, "500": 1 });
  assert.deepEqual(s.error_kinds, { timeout: 1, http_5xx: 1 });
});

Deno.test("summarize() treats 3xx as success and 4xx as an error", () => {
  const s = summarize([rec(10, { status: 304 }), rec(20, { status: 404, error: "http_4xx" })]);
  assert.equal(s.successes, 1);
  assert.equal(s.errors, 1);
});

Deno.test("summarize() computes throughput over the run's span", () => {
  // 4 requests scheduled at 0, 250, 500, 750 ms, each 250 ms: span 1 s.
  const s = summarize([0, 250, 500, 750].map((t) => rec(250, { scheduledMs: t, startedMs: t })));
  assert.equal(s.duration_s, 1);
  assert.equal(s.throughput_rps, 4);
});

Deno.test("summarize() of nothing has nulls and zeros, not NaN", () => {
  const s = summarize([]);
  assert.equal(s.count, 0);
  assert.equal(s.error_rate, 0);
  assert.equal(s.throughput_rps, 0);
  for (const k of ["min_ms", "mean_ms", "p50_ms", "p95_ms", "p999_ms", "max_ms"] as const) {
    assert.equal(s[k], null, k);
  }
  assert.deepEqual(Object.keys(s).slice(0, 12), SUMMARY_KEYS);
});

Deno.test("summarize() of one request puts every percentile on it", () => {
  const s = summarize([rec(12.5)]);
  assert.equal(s.p50_ms, 12.5);
  assert.equal(s.p999_ms, 12.5);
  assert.equal(s.min_ms, 12.5);
});

Deno.test("SummaryBuilder keeps latencies exact to the microsecond, as the CSV does", () => {
  const b = new SummaryBuilder(4);
  // Sub-microsecond digits round to the nearest microsecond; out of order on purpose.
  for (const ms of [2.0004, 1.0006, 3.4565, 0.001, 1.0004]) b.add(rec(ms));
  const s = b.summary();
  assert.equal(s.min_ms, 0.001);
  assert.equal(s.p50_ms, 1.001);
  assert.equal(s.max_ms, 3.457);
  assert.deepEqual(Array.from(b.sortedLatencies()), [0.001, 1, 1.001, 2, 3.457]);
  assert.equal(s.mean_ms, (1 + 1000 + 1001 + 2000 + 3457) / 5 / 1000);
});

Deno.test("SummaryBuilder stays exact past its first chunk, and after a summary, and when widened", () => {
  // 600,000 latencies from a capacity of 1,000: the store fills chunks of 262,144, merges
  // them to sort, then takes more (smaller than the largest so far, so it must sort again).
  const b = new SummaryBuilder(1000);
  const all: number[] = [];
  let seed = 5;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 500_000;
  const add = (us: number) => {
    all.push(us);
    b.add(rec(us / 1000));
  };
  add(999_999); // the largest, once, and first: the last added is smaller
  for (let i = 1; i < 600_000; i++) add(next());
  const ranks = (xs: number[]) =>
    [0, 0.5, 0.95, 0.999, 1].map((q) => xs[Math.ceil(q * xs.length) - (q ? 1 : 0)]);
  let sorted = [...all].sort((x, y) => x - y);
  assert.deepEqual(
    ranks(Array.from(b.sortedLatencies(), (ms) => Math.round(ms * 1000))),
    ranks(sorted),
  );
  // Below the largest so far, above the last added: still out of order.
  const largest = sorted[sorted.length - 1]!;
  add(largest - 1);
  assert.equal(b.summary().max_ms, largest / 1000);
  assert.equal(b.sortedLatencies().at(-2), (largest - 1) / 1000);
  for (let i = 0; i < 300_000; i++) add(i % 7);
  sorted = [...all].sort((x, y) => x - y);
  const s = b.summary();
  assert.equal(s.successes, 900_001);
  assert.equal(s.p50_ms, sorted[nearestRank(sorted.length, 50) - 1]! / 1000);
  assert.equal(s.p99_ms, sorted[nearestRank(sorted.length, 99) - 1]! / 1000);
  assert.equal(s.min_ms, 0);
  assert.equal(s.max_ms, sorted[sorted.length - 1]! / 1000);
  // Widening moves every chunk's values over.
  add(2 * 3600_000 * 1000);
  sorted = [...all].sort((x, y) => x - y);
  const w = b.summary();
  assert.equal(w.successes, 900_002);
  assert.equal(w.p50_ms, sorted[nearestRank(sorted.length, 50) - 1]! / 1000);
  assert.equal(w.max_ms, 2 * 3600_000);
});

Deno.test("SummaryBuilder holds a latency past 2^32 µs by widening its store", () => {
  const b = new SummaryBuilder(2);
  const hour2 = 2 * 3600_000; // 7.2e9 µs: does not fit a Uint32Array
  for (const ms of [5, 7, hour2, 6]) b.add(rec(ms));
  const s = b.summary();
  assert.equal(s.successes, 4);
  assert.equal(s.max_ms, hour2);
  assert.equal(s.p50_ms, 6);
  assert.deepEqual(Array.from(b.sortedLatencies()), [5, 6, 7, hour2]);
});
