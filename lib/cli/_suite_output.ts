/**
 * The output side of `tailgate suite` (baseline vs optimized): the console
 * summary, `comparison_report.json`, report.html and JUnit, from what
 * {@linkcode runSuite} returns.
 *
 * @module
 */
import type { SuiteOutcome } from "../load/suite_run.ts";
import { htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import { buildChartData } from "../report/series.ts";
import {
  fmtDelta,
  fmtMs,
  formatAttribution,
  formatBootstrap,
  formatComparison,
  formatIntervals,
  formatRuleTable,
} from "../report/text.ts";
import { openedConnections } from "../stats/mock_stats.ts";
import { overallVerdict, type SlaRule } from "../stats/sla.ts";
import { writeOutput } from "./_files.ts";
import type { mockConfigFromValues } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import { meanVerdict, slaRows } from "./_verdicts.ts";

/** What the suite was asked for, as the reports record it. */
export interface SuiteRequest {
  outDir: string;
  htmlPath: string;
  junitPath: string | undefined;
  mockConfig: ReturnType<typeof mockConfigFromValues>;
  requests: number;
  concurrency: number;
  interleave: boolean;
  block: number;
  timeoutMs: number;
  rules: SlaRule[];
  confidence: number | "off";
  failOnRegression: boolean;
  log: (line: string) => void;
}

const conns = (stats: unknown) => String(openedConnections(stats) ?? "?");

/** Writes the suite's reports and prints its summary. */
export async function suiteOutput(outcome: SuiteOutcome, request: SuiteRequest): Promise<void> {
  const { outDir, htmlPath, junitPath, mockConfig, failOnRegression, log } = request;
  const { requests, concurrency, interleave, block, timeoutMs, rules, confidence } = request;
  const { baseline: base, optimized: opt, results, consistency, bootstrap, attribution, p95 } =
    outcome;
  const baseSummary = outcome.summaries.baseline;
  const optSummary = outcome.summaries.optimized;
  const mode = interleave ? "interleaved" : "sequential";

  const reportPath = `${outDir}/comparison_report.json`;
  await writeJson(reportPath, {
    baseline: baseSummary,
    optimized: optSummary,
    improvement: outcome.improvement,
    sla: {
      rule: results.map((r) => r.rule).join(" && "),
      passed: results.every((r) => r.passed),
      verdict: overallVerdict(results),
      rules: results,
    },
    confidence: {
      sla: confidence === "off" ? "off" : confidence,
      sla_bounds: confidence === "off"
        ? "point estimate (no bounds)"
        : "one-sided order-statistic bounds at this level (lib/confidence.ts)",
      p95_intervals: p95,
    },
    bootstrap,
    verdict: bootstrap?.verdict ?? null,
    attribution,
    request_consistency: consistency,
    mock: { config: mockConfig, baseline: base.mock, optimized: opt.mock },
    config: {
      requests,
      concurrency,
      timeout_ms: timeoutMs,
      mode,
      ...(interleave ? { block } : {}),
    },
  });

  const slaCases = slaRows(results, "optimized", optSummary.successes);
  const comparisonCase = bootstrap
    ? { ...bootstrap, baseline: "baseline", candidate: "optimized" }
    : null;
  const generatedAt = new Date().toISOString();
  const html = renderHtmlReport({
    title: `tailgate suite: baseline vs optimized (${mode})`,
    generatedAt,
    runs: [base, opt].map((r) =>
      htmlRunSummary(r.name, r.csvPath, r.name === "baseline" ? baseSummary : optSummary)
    ),
    charts: buildChartData([base, opt].map((r) => ({ name: r.name, records: r.keeper.records! }))),
    slaLines: rules.filter((r) => r.kind === "latency").map((r) => ({
      label: r.text,
      limitMs: r.limit,
    })),
    sla: slaCases,
    comparison: comparisonCase,
    notes: [
      `Mock ${mockConfig.rttMs} ms RTT, ${mockConfig.setupRtts} RTT connection setup, seed ${mockConfig.seed}; ${requests} requests per profile, concurrency ${concurrency}, ${
        interleave ? `interleaved in blocks of ${block}` : "sequential"
      }.`,
      `Connections opened: baseline ${conns(base.mock)}, optimized ${conns(opt.mock)}.`,
      `Request consistency (server-side digest): ${
        consistency.identical ? "identical" : "DIFFERENT"
      }.`,
      ...(attribution ? [formatAttribution(attribution, meanVerdict(bootstrap))] : []),
    ],
  });
  await writeOutput(htmlPath, html, "report");
  if (junitPath !== undefined) {
    const xml = renderJunitReport({
      timestamp: generatedAt,
      sla: slaCases,
      comparisons: comparisonCase ? [comparisonCase] : [],
      regressionIsFailure: failOnRegression,
    });
    await writeOutput(junitPath, xml, "--junit");
  }
  printOutcome(outcome, { log, interleave, block });
  log(
    `\nwrote ${base.csvPath}, ${opt.csvPath}, ${reportPath}, ${htmlPath}${
      junitPath ? `, ${junitPath}` : ""
    }`,
  );
  if (!consistency.identical) {
    console.error(
      "tailgate suite: the two runs did not send identical requests; the comparison is not valid",
    );
  }
}

/** The suite's console summary (the rule table is printed even with --quiet). */
function printOutcome(
  outcome: SuiteOutcome,
  o: { log: (s: string) => void; interleave: boolean; block: number },
): void {
  const { log, interleave } = o;
  const { baseline: base, optimized: opt, consistency, bootstrap, attribution } = outcome;
  const style = { color: useColor() };
  const names: [string, string] = ["baseline", "optimized"];
  const s = outcome.summaries;
  log("");
  log(formatComparison(names, s.baseline, s.optimized, outcome.improvement, style));
  log("");
  log(
    bootstrap
      ? formatBootstrap(names, bootstrap, style)
      : "no comparison verdict: a profile has fewer than 2 successful requests",
  );
  log("");
  log(`connections opened: baseline ${conns(base.mock)}, optimized ${conns(opt.mock)}`);
  log(
    `request consistency (server-side digest${interleave ? ", per block" : ""}): ${
      consistency.identical ? "identical" : "DIFFERENT"
    }`,
  );
  if (attribution) {
    log("");
    log(formatAttribution(attribution, meanVerdict(bootstrap)));
  }
  log("");
  log(`== summary (${interleave ? `interleaved, blocks of ${o.block}` : "sequential"}) ==`);
  const p95 = outcome.p95;
  log(formatIntervals("p95", [["baseline", p95.baseline], ["optimized", p95.optimized]]));
  const head = bootstrap?.metrics.find((m) => m.metric === bootstrap.primary);
  log(
    head && bootstrap
      ? `comparison (block bootstrap on P95): ${bootstrap.verdict}, optimized − baseline ${
        head.delta >= 0 ? "+" : "-"
      }${fmtMs(Math.abs(head.delta))}, ${(bootstrap.confidence * 100).toFixed(0)}% CI [${
        fmtDelta(head.lower)
      }, ${fmtDelta(head.upper)}]`
      : "comparison: no verdict",
  );
  log("");
  console.log(formatRuleTable(outcome.results, style));
}
