import assert from "node:assert/strict";
import { timeBreakdown } from "../../lib/stats/time_breakdown.ts";
import { renderHtmlReport } from "../../lib/report/html.ts";
import { buildChartData } from "../../lib/report/series.ts";
import { okRecord } from "../_record.ts";

Deno.test("timeBreakdown() splits the mean request into parts that add up to the mean latency", () => {
  const records = [
    // Opened a connection: 1 ms connect, 4 ms TLS, headers at 10 ms, first token at 120 ms.
    okRecord(0, 0, 150, { connectMs: 1, tlsMs: 4, ttfbMs: 10, firstBodyMs: 120, conn: 1 }),
    // Reused it: no setup.
    okRecord(1, 200, 100, { ttfbMs: 2, firstBodyMs: 60, conn: 1 }),
    // Failed: not counted.
    okRecord(2, 400, 5, { status: 500, error: "http_5xx", connectMs: 99 }),
  ];
  const b = timeBreakdown(records)!;
  assert.equal(b.requests, 2);
  assert.deepEqual(b.parts, [
    { part: "connect", mean_ms: 0.5 },
    { part: "tls", mean_ms: 2 },
    { part: "to_first_byte", mean_ms: (5 + 2) / 2 },
    { part: "to_first_body", mean_ms: (110 + 58) / 2 },
    { part: "rest", mean_ms: (30 + 40) / 2 },
  ]);
  const sum = b.parts.reduce((s, p) => s + p.mean_ms, 0);
  assert.equal(sum, b.mean_ms);
  assert.equal(b.mean_ms, 125);
});

Deno.test("timeBreakdown() shows only the parts the run has, and the open model's wait to start", () => {
  const ttfbOnly = [okRecord(0, 0, 50, { ttfbMs: 20 }), okRecord(1, 10, 30, { ttfbMs: 10 })];
  assert.deepEqual(timeBreakdown(ttfbOnly)!.parts.map((p) => p.part), ["to_first_byte", "rest"]);
  const late = [okRecord(0, 0, 50, { scheduledMs: -5, ttfbMs: 20 })];
  assert.deepEqual(timeBreakdown(late)!.parts, [
    { part: "start_lag", mean_ms: 5 },
    { part: "to_first_byte", mean_ms: 20 },
    { part: "rest", mean_ms: 25 },
  ]);
  assert.equal(timeBreakdown([okRecord(0, 0, 50)]), null, "no phase: nothing to split");
  assert.equal(timeBreakdown([]), null);
});

Deno.test("renderHtmlReport() draws one stacked bar per run with phases, and none without", () => {
  const a = [okRecord(0, 0, 150, { connectMs: 1, tlsMs: 4, ttfbMs: 10, firstBodyMs: 120 })];
  const html = renderHtmlReport({
    title: "t",
    generatedAt: "2026-01-01T00:00:00Z",
    runs: [],
    charts: buildChartData([]),
    breakdown: [
      { name: "A", breakdown: timeBreakdown(a) },
      { name: "plain", breakdown: timeBreakdown([okRecord(0, 0, 9)]) },
    ],
  });
  assert.match(html, /<h2>Where the time went \(mean request\)<\/h2>/);
  const parts = [...html.matchAll(/<rect class="part-([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(parts, ["connect", "tls", "to_first_byte", "to_first_body", "rest"]);
  assert.ok(!/<th scope="row">plain/.test(html), "a run without phases has no row");
  const none = renderHtmlReport({
    title: "t",
    generatedAt: "x",
    runs: [],
    charts: buildChartData([]),
    breakdown: [{ name: "plain", breakdown: null }],
  });
  assert.ok(!none.includes("Where the time went"));
});
