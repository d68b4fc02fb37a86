/**
 * `tailgate suite` (what `deno task run` calls): flags, then
 * {@linkcode runSuite} (`lib/load/suite_run.ts`) against the built-in mock,
 * then the reports in results/.
 *
 * @module
 */
import { runSuite, type SuiteOutcome } from "../load/suite_run.ts";
import { buildChartData } from "../report/series.ts";
import { htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import {
  fmtMs,
  formatAttribution,
  formatBootstrap,
  formatComparison,
  formatIntervals,
} from "../report/text.ts";
import { openedConnections } from "../stats/mock_stats.ts";
import { overallVerdict } from "../stats/sla.ts";
import {
  formatOptions,
  type OptionSpecs,
  parseCommandArgs,
  positiveInt,
  str,
  strs,
} from "./_args.ts";
import { formatRuleTable } from "./_bench_text.ts";
import { claimOutput, writeOutput } from "./_files.ts";
import { MOCK_OPTIONS, mockConfigFromValues, serveMock } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import {
  bootstrapOptions,
  confidenceOption,
  meanVerdict,
  parseRules,
  slaRows,
} from "./_verdicts.ts";

const OPTIONS: OptionSpecs = {
  requests: { type: "string", short: "n", arg: "N", default: "400", help: "Requests per profile" },
  concurrency: {
    type: "string",
    short: "c",
    arg: "C",
    default: "20",
    help: "Requests in flight per profile",
  },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "SLA rule on the optimized run (repeatable; default p95<=800ms)",
  },
  confidence: {
    type: "string",
    arg: "LEVEL|off",
    default: "95%",
    help: "Confidence of the SLA verdict and the intervals; off gates on the point value",
  },
  interleave: {
    type: "boolean",
    help: "Run the profiles in alternating blocks (ABAB…) instead of one after the other",
  },
  block: {
    type: "string",
    arg: "N",
    default: "50",
    help: "Requests per block with --interleave",
  },
  "fail-on-regression": {
    type: "boolean",
    help: "Exit 1 when optimized is significantly slower than baseline (P95)",
  },
  "bootstrap-seed": {
    type: "string",
    arg: "N",
    default: "1",
    help: "Seed of the comparison's bootstrap resampling",
  },
  resamples: { type: "string", arg: "N", default: "2000", help: "Bootstrap resamples" },
  junit: { type: "string", arg: "FILE", help: "Also write the verdicts as JUnit XML" },
  "out-dir": {
    type: "string",
    arg: "DIR",
    default: "results",
    help: "Where the CSVs and reports go",
  },
  quiet: { type: "boolean", short: "q", help: "Print only the verdict" },
  ...MOCK_OPTIONS,
};

/** Help text. */
export const HELP = `Usage: tailgate suite [options]

Starts the built-in mock on 127.0.0.1 (one configuration for every run),
runs the baseline profile (plain fetch) and the optimized profile (HTTP/2 +
keep-alive pool sized to the concurrency) with identical requests, checks
server-side that both runs sent the same requests, compares them (block
bootstrap over time, verdict on P95), splits the difference into connection
setup and everything else, and gates on the SLA for the optimized run.

By default the profiles run one after the other. With --interleave they run
in alternating blocks (baseline block 1, optimized block 1, baseline block
2, …; each block drains before the next starts) against the same mock, so
drift in the server or the machine hits both alike. Both clients stay open
across blocks. The mock is not reset between blocks (its service times
keep drawing fresh values); its cumulative /stats is read at every block
boundary, and each block's share (requests, connections opened, request
digest) is the difference, summed per profile.

Writes <out-dir>/latency_baseline.csv, latency_optimized.csv,
comparison_report.json and report.html (and --junit FILE when asked).

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 SLA met, 1 SLA failed (or a regression with
--fail-on-regression), 2 usage or input error, 3 inconclusive (not enough
data to decide the SLA), 4 the run failed.`;

/** Runs the command; returns the exit code. */
export async function suite(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("suite", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const requests = positiveInt("--requests", str(values, "requests")!);
  const concurrency = positiveInt("--concurrency", str(values, "concurrency")!);
  const ruleTexts = strs(values, "sla");
  const rules = parseRules(ruleTexts.length ? ruleTexts : ["p95<=800ms"]);
  const confidence = confidenceOption(str(values, "confidence")!);
  const boot = bootstrapOptions(
    { ...values, confidence: confidence === "off" ? "95%" : String(confidence) },
    "bootstrap-seed",
  );
  const interleave = values.interleave === true;
  const block = positiveInt("--block", str(values, "block")!);
  const failOnRegression = values["fail-on-regression"] === true;
  const outDir = str(values, "out-dir")!;
  const junitPath = str(values, "junit");
  const mockConfig = mockConfigFromValues(values);
  const quiet = values.quiet === true;
  const log = (s: string) => quiet || console.log(s);
  const timeoutMs = 30_000;
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `Cannot create ${outDir}: ${(err as Error).message.split("\n")[0]}; choose --out-dir`,
    );
  }
  const htmlPath = `${outDir}/report.html`;
  await claimOutput(htmlPath, "report");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");

  const outcome = await runSuite({
    startMock: () => {
      const server = serveMock({ ...mockConfig, port: 0 });
      log(
        `mock: ${server.url} (seed ${mockConfig.seed}, rtt ${mockConfig.rttMs}ms, setup ${mockConfig.setupRtts} RTT)`,
      );
      return server;
    },
    requests,
    concurrency,
    interleave,
    block,
    outDir,
    timeoutMs,
    rules,
    confidence,
    bootstrap: boot,
    failOnRegression,
    log,
  });
  const { baseline: base, optimized: opt, results, consistency, bootstrap, attribution, p95 } =
    outcome;
  const baseSummary = outcome.summaries.baseline;
  const optSummary = outcome.summaries.optimized;
  const mode = interleave ? "interleaved" : "sequential";
  const conns = (stats: unknown) => String(openedConnections(stats) ?? "?");

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
  return outcome.exitCode;
}

/** The suite's console summary (the rule table is printed even with --quiet). */
function printOutcome(
  outcome: SuiteOutcome,
  o: { log: (s: string) => void; interleave: boolean; block: number },
): void {
  const { log, interleave } = o;
  const { baseline: base, optimized: opt, consistency, bootstrap, attribution } = outcome;
  const conns = (stats: unknown) => String(openedConnections(stats) ?? "?");
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
        signed(head.lower)
      }, ${signed(head.upper)}]`
      : "comparison: no verdict",
  );
  log("");
  console.log(formatRuleTable(outcome.results, style));
}

function signed(v: number): string {
  return `${v > 0 ? "+" : v < 0 ? "-" : ""}${fmtMs(Math.abs(v))}`;
}
