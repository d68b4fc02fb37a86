import assert from "node:assert/strict";
import { abSentence, resolvable, slaSentence } from "../../lib/report/verdict.ts";
import type { BootstrapComparison } from "../../lib/stats/bootstrap.ts";
import type { SlaResult } from "../../lib/stats/sla.ts";
import { formatComparison, formatSummary } from "../../lib/report/text.ts";
import { summarize } from "../../lib/stats/summary.ts";
import { compareSummaries } from "../../lib/stats/compare.ts";

function cmp(delta: number, lower: number, upper: number, verdict: string): BootstrapComparison {
  return {
    metrics: [{
      metric: "p95",
      a: 419,
      b: 419 + delta,
      delta,
      relative: delta / 419,
      lower,
      upper,
      verdict,
    }],
    verdict,
    primary: "p95",
    confidence: 0.95,
    resamples: 2000,
    seed: 1,
    n: { a: 400, b: 400 },
    blockLength: { a: 8, b: 8 },
    autocorrelation: { a: 0.1, b: 0.1 },
  } as BootstrapComparison;
}

Deno.test("abSentence() says faster/slower in words with the interval of that amount", async (t) => {
  const names: [string, string] = ["baseline", "optimized"];
  await t.step("faster: the interval is of the saving, both ends positive", () => {
    assert.equal(
      abSentence(names, cmp(-92, -171, -9, "improved")),
      "optimized is faster than baseline by 92.0ms at P95, 95% CI [9.0ms, 171ms]",
    );
  });
  await t.step("slower: the interval is of the cost", () => {
    assert.equal(
      abSentence(names, cmp(40, 10, 70, "regressed")),
      "optimized is slower than baseline by 40.0ms at P95, 95% CI [10.0ms, 70.0ms]",
    );
  });
  await t.step("no significant difference: says so first, interval includes 0", () => {
    assert.equal(
      abSentence(names, cmp(-92, -152, 54, "no significant difference")),
      "no significant difference at P95: optimized is faster than baseline by 92.0ms, but the 95% CI [-54.0ms, 152ms] includes 0",
    );
  });
  await t.step("no comparison", () => assert.match(abSentence(names, null), /no A\/B verdict/));
});

Deno.test("slaSentence() puts the verdict first and names the bound that decided it", () => {
  const r: SlaResult = {
    rule: "p95<=800ms",
    metric: "p95",
    op: "<=",
    limit: 800,
    value: 326,
    passed: true,
    verdict: "pass",
    unit: "ms",
    confidence: { level: 0.95, n: 400, lower: 322, upper: 432 },
  };
  assert.equal(
    slaSentence(r, "optimized"),
    "PASS  p95<=800ms on optimized: P95 326ms, 95% upper bound 432ms <= 800ms (n=400)",
  );
  assert.match(
    slaSentence({
      ...r,
      verdict: "inconclusive",
      passed: false,
      confidence: { ...r.confidence!, upper: 900, minSamples: 59 },
    }, "x"),
    /^INCONCLUSIVE {2}.*straddle <= 800ms \(n=400; needs n>=59\)/,
  );
});

Deno.test("resolvable() tells when a percentile is just the maximum", () => {
  assert.equal(resolvable(99.9, 400), false);
  assert.equal(resolvable(99.9, 1000), true);
  assert.equal(resolvable(99, 99), false);
  assert.equal(resolvable(99, 100), true);
});

Deno.test("formatSummary() and formatComparison() mark p99.9 at n=400 as the maximum, and say changes in words", () => {
  const rec = (i: number, ms: number) => ({
    id: i,
    scheduledMs: i,
    startedMs: i,
    latencyMs: ms,
    ttfbMs: ms,
    status: 200,
    bytes: 1,
    error: "" as const,
    endMs: i + ms,
    worker: 0,
    warmup: false,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
  });
  const a = summarize(Array.from({ length: 400 }, (_, i) => rec(i, 100 + i)));
  const b = summarize(Array.from({ length: 400 }, (_, i) => rec(i, 50 + i)));
  const text = formatSummary("run", a, { color: false });
  assert.match(text, /p99\.9 +499ms \(= max\)/);
  assert.match(text, /p99 +495ms\n/);
  const table = formatComparison(["baseline", "optimized"], a, b, compareSummaries(a, b), {
    color: false,
  });
  assert.match(table, /optimized vs baseline/);
  assert.match(table, /p50 .* \d+\.\d% faster/);
  assert.doesNotMatch(table, / [+-]\d+\.\d%/, "no signed percentages");
});

Deno.test("renderHtmlReport() opens with the headline banner, static legends and readable notes", async () => {
  const { renderHtmlReport } = await import("../../lib/report/html.ts");
  const { buildChartData } = await import("../../lib/report/series.ts");
  const html = renderHtmlReport({
    title: "t",
    generatedAt: "2026-01-01T00:00:00Z",
    runs: [],
    charts: buildChartData([]),
    headline: [
      { text: "SLA: PASS  p95<=800ms on optimized", verdict: "pass" },
      { text: "A/B: optimized is faster than baseline by 92ms at P95", verdict: "improved" },
    ],
    notes: ["attribution:\n  connection setup: -2280ms"],
  });
  const banner = html.indexOf('id="headline"');
  assert.ok(banner > 0 && banner < html.indexOf('id="runs"'), "the banner comes before the tables");
  assert.match(html, /class="v-pass"><span class="verdict">SLA: PASS {2}p95&#60;=800ms/);
  assert.match(html, /class="v-improved"><span class="verdict">A\/B: optimized is faster/);
  assert.equal(
    (html.match(/legend: \{ live: false \}/g) ?? []).length,
    3,
    "every chart's legend is static",
  );
  assert.match(html, /ul\.notes li \{ white-space: pre-wrap;/);
  assert.match(html, /<li>attribution:\n {2}connection setup/);
});

Deno.test("htmlRunSummary() marks a P99 that fewer than 100 successes cannot resolve", async () => {
  const { htmlRunSummary, renderHtmlReport } = await import("../../lib/report/html.ts");
  const { buildChartData } = await import("../../lib/report/series.ts");
  const rec = (i: number) => ({
    id: i,
    scheduledMs: i,
    startedMs: i,
    latencyMs: 10 + i,
    ttfbMs: 1,
    status: 200,
    bytes: 1,
    error: "" as const,
    endMs: i + 10,
    worker: 0,
    warmup: false,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
  });
  const small = htmlRunSummary(
    "a",
    "a.csv",
    summarize(Array.from({ length: 50 }, (_, i) => rec(i))),
  );
  const big = htmlRunSummary(
    "b",
    "b.csv",
    summarize(Array.from({ length: 100 }, (_, i) => rec(i))),
  );
  assert.equal(small.p99IsMax, true);
  assert.equal(big.p99IsMax, false);
  const html = renderHtmlReport({
    title: "t",
    generatedAt: "x",
    runs: [small, big],
    charts: buildChartData([]),
  });
  assert.equal((html.match(/\(= max\)/g) ?? []).length, 1);
});
