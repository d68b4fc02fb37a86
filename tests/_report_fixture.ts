/**
 * A seeded two-run report input shared by the HTML tests: run A (lognormal,
 * median 20 ms, with a slow stall in the middle) and run B (15% faster).
 */
import { blockBootstrapCompare } from "../lib/stats/bootstrap.ts";
import { slaVerdict } from "../lib/stats/confidence.ts";
import type { RequestRecord } from "../lib/record.ts";
import { type HtmlReportInput, htmlRunSummary } from "../lib/report/html.ts";
import { buildChartData } from "../lib/report/series.ts";
import { createRng } from "../lib/rng.ts";
import { summarize } from "../lib/stats/summary.ts";

export function syntheticRun(seed: number, n: number, scale: number): RequestRecord[] {
  const rng = createRng(seed);
  const t0 = 1_764_150_000_000;
  return Array.from({ length: n }, (_, i) => {
    const stall = i > n * 0.5 && i < n * 0.55 ? 4 : 1;
    const latencyMs = scale * stall * Math.exp(3 + 0.5 * rng.normal());
    const failed = i % 97 === 96;
    return {
      id: i,
      scheduledMs: t0 + i * 5,
      startedMs: t0 + i * 5,
      latencyMs,
      ttfbMs: latencyMs * 0.9,
      status: failed ? 503 : 200,
      bytes: 100,
      error: failed ? "http_5xx" : "",
      warmup: i < 20,
      worker: 0,
      connectMs: null,
      tlsMs: null,
      firstBodyMs: null,
      conn: null,
      target: "",
    } satisfies RequestRecord;
  });
}

export function reportInput(): HtmlReportInput {
  const a = syntheticRun(11, 2000, 1);
  const b = syntheticRun(12, 2000, 0.85);
  const rule = { quantile: 95, op: "<=" as const, limit: 80 };
  const runs = [{ name: "baseline", records: a }, { name: "optimized", records: b }];
  const measured = runs.map((r) => r.records.filter((x) => !x.warmup && x.error === ""));
  const sorted = measured.map((m) => Float64Array.from(m.map((x) => x.latencyMs)).sort());
  const comparison = blockBootstrapCompare(
    measured[0]!.map((x) => x.latencyMs),
    measured[1]!.map((x) => x.latencyMs),
    { resamples: 300 },
  );
  return {
    title: "tailgate report <test & check>",
    generatedAt: "2026-11-26T10:00:00Z",
    runs: runs.map((r) => htmlRunSummary(r.name, "synthetic", summarize(r.records))),
    charts: buildChartData(runs),
    slaLines: [{ label: "p95<=80ms", limitMs: 80 }],
    sla: runs.map((r, i) => ({
      rule: "p95<=80ms",
      run: r.name,
      ...slaVerdict(sorted[i]!, rule, 0.95),
    })),
    comparison: { ...comparison, baseline: "baseline", candidate: "optimized" },
    notes: ["Synthetic data from tests/_report_fixture.ts"],
  };
}
