import assert from "node:assert/strict";
import { renderHtmlReport } from "../../lib/report/html.ts";
import { buildChartData } from "../../lib/report/series.ts";
import { reportInput, syntheticRun } from "../_report_fixture.ts";

Deno.test("renderHtmlReport() writes one self-contained document", () => {
  const html = renderHtmlReport(reportInput());
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  // Offline: no external scripts, styles, images or fonts.
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href=/i);
  assert.doesNotMatch(html, /url\(\s*["']?https?:/i);
  // uPlot is inlined (JS and CSS) with its license notice.
  assert.match(html, /\/\*! https:\/\/github\.com\/leeoniya\/uPlot \(v1\.6\.32\) \*\//);
  assert.match(html, /\.uplot,/);
  assert.match(html, /MIT License/);
  for (
    const id of ["chart-percentiles", "chart-histogram", "chart-time", "runs", "sla", "comparison"]
  ) {
    assert.match(html, new RegExp(`id="${id}"`), id);
  }
  // Exactly one closing tag per script block: no "</script" leaked from the data or the library.
  assert.equal(html.match(/<script/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
});

Deno.test("renderHtmlReport() escapes text and embeds the chart data as JSON", () => {
  const input = reportInput();
  const html = renderHtmlReport({ ...input, notes: ["</script><b>x</b>"] });
  assert.match(html, /<title>tailgate report &#60;test &#38; check&#62;<\/title>/);
  assert.match(html, /&#60;\/script&#62;&#60;b&#62;x&#60;\/b&#62;/);
  const json = /<script type="application\/json" id="tailgate-data">(.*?)<\/script>/s.exec(html)
    ?.[1];
  assert.ok(json);
  const data = JSON.parse(json);
  assert.deepEqual(data.charts.percentiles.x, input.charts.percentiles.x);
  assert.deepEqual(data.slaLines, [{ label: "p95<=80ms", limitMs: 80 }]);
});

Deno.test("renderHtmlReport() shows verdicts with their bounds", () => {
  const input = reportInput();
  const html = renderHtmlReport(input);
  const sla = input.sla?.[0];
  assert.ok(sla);
  assert.match(html, new RegExp(`<tr class="v-${sla.verdict}"><th scope="row">p95&#60;=80ms</th>`));
  assert.match(html, /95% one-sided/);
  assert.match(html, /\(headline\)/);
  const inconclusive = renderHtmlReport({
    ...input,
    sla: [{
      rule: "p95<=1s",
      run: "A",
      verdict: "inconclusive",
      point: 5,
      lower: 4,
      upper: null,
      n: 20,
      confidence: 0.95,
      minSamples: 59,
    }],
    comparison: null,
  });
  assert.match(inconclusive, /inconclusive \(needs ≥ 59 samples\)/);
  assert.doesNotMatch(inconclusive, /id="comparison"/);
});

Deno.test("buildChartData() aligns runs on a common percentile grid and bins", () => {
  const a = syntheticRun(1, 500, 1);
  const b = syntheticRun(2, 100, 2);
  const c = buildChartData([{ name: "a", records: a }, { name: "b", records: b }], { bins: 10 });
  const p = c.percentiles;
  assert.equal(p.x[0], 1);
  assert.equal(p.percent[0], 0);
  // P50 (x = 2) and P90 (x = 10) are on the grid.
  assert.ok(p.x.some((x) => Math.abs(x - 10) < 1e-9));
  // The grid reaches the larger run's size; the smaller run stops at its own.
  assert.ok(p.x[p.x.length - 1]! <= 480 * (1 + 1e-9));
  const sb = p.series[1]!.valuesMs;
  assert.equal(sb.length, p.x.length);
  assert.equal(sb[sb.length - 1], null);
  assert.ok(sb[0] !== null);
  // Curves never decrease.
  const va = p.series[0]!.valuesMs.filter((v): v is number => v !== null);
  for (let i = 1; i < va.length; i++) assert.ok(va[i]! >= va[i - 1]!);
  // Histogram: shared edges, counts sum to the successful non-warm-up requests.
  assert.equal(c.histogram.edgesMs.length, 11);
  const counted = c.histogram.series[0]!.counts.reduce((s, x) => s + x, 0);
  assert.equal(counted, a.filter((r) => !r.warmup && r.error === "").length);
  // Over time: every request lands in a bucket.
  const t = c.overTime.series[0]!;
  const errors = t.errors.reduce((s, x) => s + x, 0);
  assert.equal(errors, a.filter((r) => r.error !== "").length);
  assert.equal(t.p50Ms.length, c.overTime.x.length);
});

Deno.test("buildChartData() copes with no runs and no successes", () => {
  const empty = buildChartData([]);
  assert.deepEqual(empty.histogram.edgesMs, []);
  const failed = syntheticRun(3, 10, 1).map((r) => ({
    ...r,
    status: 0,
    error: "timeout" as const,
  }));
  const c = buildChartData([{ name: "x", records: failed }]);
  assert.ok(c.percentiles.series[0]!.valuesMs.every((v) => v === null));
  assert.ok(
    renderHtmlReport({ title: "t", generatedAt: "now", runs: [], charts: c }).includes(
      "chart-time",
    ),
  );
});

Deno.test("renderHtmlReport() shows per-target deltas with their intervals, names escaped", () => {
  const html = renderHtmlReport({
    ...reportInput(),
    targetDeltas: [
      {
        name: "GET /<a>",
        countA: 10,
        countB: 12,
        confidence: 0.95,
        verdict: "regressed",
        metrics: [{
          metric: "p95",
          a: 10,
          b: 15,
          delta: 5,
          relative: 0.5,
          lower: 2,
          upper: 8,
          verdict: "regressed",
        }],
      },
      { name: "idle", countA: 1, countB: 0, confidence: 0.95, verdict: null, metrics: [] },
    ],
  });
  const table = html.slice(html.indexOf('<table id="targets">'));
  assert.match(table, /<th scope="row">GET \/&#60;a&#62;<\/th><td>10<\/td><td>12<\/td>/);
  assert.match(table, /5\.00 ms \[2\.00 ms, 8\.00 ms\]/);
  assert.match(table, /not compared/);
  assert.doesNotMatch(renderHtmlReport(reportInput()), /id="targets"/);
});
