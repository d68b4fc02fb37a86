/** `tailgate compare <a.csv> <b.csv>`: A/B deltas of two saved runs, with confidence. */
import { blockBootstrapSteps, type BootstrapComparison } from "../stats/bootstrap.ts";
import { compareTargets } from "../stats/target_compare.ts";
import { formatTargetDeltas } from "../report/targets.ts";
import { compareSummaries } from "../stats/compare.ts";
import { buildChartData } from "../report/series.ts";
import { htmlHeadline, htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import {
  formatAttribution,
  formatBootstrap,
  formatComparison,
  formatPhaseComparisons,
} from "../report/text.ts";
import { comparePhases } from "../stats/phase_compare.ts";
import { timeBreakdown } from "../stats/time_breakdown.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs, str, strs } from "./_args.ts";
import { claimOutput, refuseOverwrites, writeOutput } from "./_files.ts";
import { exitOnSignal, runYielding, type SignalExit } from "./_signals.ts";
import { useColor } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import { failedRunLine, requestDifferences } from "./_comparable.ts";
import { checkPermissions, flaggedPaths } from "./_permissions.ts";
import { attributionOf, readMockStats, sidecar } from "./_compare_inputs.ts";

import { bootstrapOptions, formatLine, meanVerdict, noDataLine, readRun } from "./_verdicts.ts";

const OPTIONS: OptionSpecs = {
  json: {
    type: "boolean",
    help: "Print the comparison as one JSON object instead of the text (as report and merge do)",
  },
  force: {
    type: "boolean",
    help:
      "Compare even when the runs' .meta.json say they sent different requests (target, method, headers or body)",
  },
  "fail-on-regression": {
    type: "boolean",
    help: "Exit 1 when B is significantly slower (P95 interval above 0)",
  },
  confidence: {
    type: "string",
    arg: "LEVEL",
    default: "95%",
    help: "Two-sided level of the intervals of the deltas",
  },
  seed: { type: "string", arg: "N", default: "1", help: "Seed of the bootstrap resampling" },
  resamples: { type: "string", arg: "N", default: "2000", help: "Bootstrap resamples" },
  html: { type: "string", arg: "FILE", help: "Write a self-contained HTML report" },
  junit: { type: "string", arg: "FILE", help: "Write the comparison verdict as JUnit XML" },
  "mock-stats": {
    type: "string",
    multiple: true,
    arg: "FILE",
    help:
      "Both runs were against the tailgate mock: a suite's comparison_report.json, or twice: A's and B's /stats JSON",
  },
};

/** Help text. */
export const HELP = `Usage: tailgate compare [<a.csv> <b.csv>] [options]

Without files: results/bench_baseline.csv and results/bench_optimized.csv
(what deno task baseline and deno task optimized write).

Compares run B (candidate) with run A (baseline). Reads CSVs from tailgate,
hey, vegeta, oha and k6 (detected; a tailgate run can be compared with
another tool's). Prints per-metric latency, throughput and error-rate
changes, then for P50, P95, P99 and the mean the delta B - A, the relative
change and a confidence interval of the delta from a seeded circular block
bootstrap over time (latencies within a run are autocorrelated, so single
requests are not independent evidence). Verdict, decided on P95: improved
(interval below 0), regressed (above 0), or no significant difference.
Runs with a target column (bench --targets) also get B - A per target at
P50/P95/P99 with its interval, the targets matched by name.
Each request phase both runs have (connect, tls, ttfb, first_body) gets the
same deltas and intervals, over the requests that have it.

Runs that cannot be compared are not: when both CSVs have a tailgate
.meta.json and they name different targets, methods or request digests,
compare refuses (exit 2) unless --force, which prints a warning instead. A
run with no successful request gets no latency or throughput verdict: one
line names it and compare exits 4.

With --mock-stats (runs against the tailgate mock), the difference in total
latency time is split into connection setup (new connections x the mock's
setup cost) and everything else.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 ok, 1 B regressed (with --fail-on-regression), 2 usage or
input error (or runs of different requests without --force), 3 too few
successful requests to decide (with --fail-on-regression), 4 a run failed
(no request succeeded), 130 interrupted (Ctrl-C or SIGTERM; --html and
--junit are written whole or left as they were).`;

/** What deno task baseline / optimized write, compared when no file is given. */
const DEFAULT_PAIR = ["results/bench_baseline.csv", "results/bench_optimized.csv"] as const;

/**
 * Runs the command; returns the exit code. Ctrl-C or SIGTERM exits 130 at
 * once, leaving --html and --junit as they were (each is written whole, at
 * the end, through a temporary file).
 */
export async function compare(args: string[]): Promise<number> {
  const signals = exitOnSignal("compare");
  try {
    return await compareRuns(args, signals);
  } finally {
    signals.dispose();
  }
}

async function compareRuns(args: string[], signals: SignalExit): Promise<number> {
  const { values, positionals } = parseCommandArgs("compare", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 2 && positionals.length !== 0) {
    throw new UsageError(
      `compare needs two CSV files, got ${positionals.length}: e.g. tailgate compare results/latency_baseline.csv results/latency_optimized.csv`,
    );
  }
  const [pa, pb] = (positionals.length === 2 ? positionals : DEFAULT_PAIR) as [string, string];
  const mockPaths = strs(values, "mock-stats");
  await checkPermissions({
    read: [pa, pb, ...mockPaths.map((p) => [p, "--mock-stats"] as [string, string])],
    write: flaggedPaths(values, ["html", "junit"]),
  }, { task: "deno task compare" });
  const boot = bootstrapOptions(values);
  const failOnRegression = values["fail-on-regression"] === true;
  const htmlPath = str(values, "html");
  const junitPath = str(values, "junit");
  const mock = await readMockStats(mockPaths);
  const wants = {
    series: true,
    phases: true,
    records: htmlPath !== undefined,
    intervals: mock !== null,
  };
  await refuseOverwrites([[htmlPath, "--html"], [junitPath, "--junit"]], [
    [pa, `run A ${pa}`],
    [pb, `run B ${pb}`],
  ]);
  const ra = await readRun(pa, wants);
  const rb = await readRun(pb, wants);
  for (const run of [ra, rb]) {
    if (run.builder.count === 0) {
      console.error(`tailgate compare: ${noDataLine(run)}`);
      return 3;
    }
  }
  if (htmlPath !== undefined) await claimOutput(htmlPath, "--html");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");
  const a = ra.builder.summary();
  const b = rb.builder.summary();
  const failed = failedRunLine(["A", pa], a, ["B", pb], b);
  if (failed !== null) {
    console.error(`tailgate compare: ${failed}`);
    return 4;
  }
  const differences = requestDifferences(await sidecar(pa), await sidecar(pb));
  if (differences.length > 0 && values.force !== true) {
    throw new UsageError(
      `A and B did not send the same requests: ${
        differences.join("; ")
      }; compare them anyway with --force`,
    );
  }
  const warnings = differences.map((d) => `warning: ${d} (compared anyway: --force)`);
  const improvement = compareSummaries(a, b);
  const sa = ra.series!;
  const sb = rb.series!;
  let bootstrap: BootstrapComparison | null = null;
  let why = "";
  if (sa.length < 2 || sb.length < 2) {
    why =
      `too few successful requests to compare (${sa.length} and ${sb.length}; each run needs at least 2)`;
  } else {
    bootstrap = await runYielding(blockBootstrapSteps(sa, sb, boot)); // Ctrl-C works meanwhile
  }
  // Per target, matched by name (runs with a target column), each with its own interval.
  const targets = compareTargets(ra.targetSeries!, rb.targetSeries!, boot);
  const phases = comparePhases(ra.phaseSeries ?? {}, rb.phaseSeries ?? {}, boot);
  const names: [string, string] = ["A", "B"];
  const attribution = mock === null ? null : attributionOf([ra, rb], [a, b], mock);
  const verdict = bootstrap?.verdict ?? null;
  const sources = {
    baseline: { path: pa, format: ra.format, notes: ra.notes },
    candidate: { path: pb, format: rb.format, notes: rb.notes },
  };
  if (values.json) {
    console.log(JSON.stringify(
      {
        baseline: a,
        candidate: b,
        improvement,
        bootstrap,
        verdict,
        ...(bootstrap === null ? { verdict_reason: why } : {}),
        phases,
        attribution,
        targets: targets.length ? targets : null,
        sources,
        warnings,
      },
      null,
      2,
    ));
  } else {
    const style = { color: useColor() };
    const out = [
      ...warnings,
      `A = ${formatLine(ra)}`,
      `B = ${formatLine(rb)}`,
      "",
      formatComparison(names, a, b, improvement, style),
      "",
      bootstrap ? formatBootstrap(names, bootstrap, style) : `no verdict: ${why}`,
    ];
    if (targets.length) out.push("", formatTargetDeltas(targets, "A", "B"));
    if (phases.length > 0) out.push("", formatPhaseComparisons(phases, style));
    if (mock !== null) {
      out.push(
        "",
        attribution
          ? formatAttribution(attribution, meanVerdict(bootstrap))
          : "attribution: not possible, a run has no successful request",
      );
    }
    console.log(out.join("\n"));
  }
  const outputs: [string, string, string][] = [];
  const cases = bootstrap ? [{ ...bootstrap, baseline: pa, candidate: pb }] : [];
  if (junitPath !== undefined) {
    const xml = renderJunitReport({
      timestamp: new Date().toISOString(),
      comparisons: cases,
      regressionIsFailure: failOnRegression,
    });
    outputs.push([junitPath, xml, "--junit"]);
  }
  if (htmlPath !== undefined) {
    const runs = [[ra, a, "A"], [rb, b, "B"]] as const;
    const html = renderHtmlReport({
      title: `tailgate compare: ${pa} vs ${pb}`,
      generatedAt: new Date().toISOString(),
      runs: runs.flatMap(([r, s, name]) => [
        htmlRunSummary(name, `${r.path} (${r.format})`, s),
        ...r.byTarget.summaries().map((t) =>
          htmlRunSummary(`${name} · ${t.name}`, "target", t.summary)
        ),
      ]),
      targetDeltas: targets,
      charts: buildChartData(runs.map(([r, , name]) => ({ name, records: r.records ?? [] }))),
      breakdown: runs.map(([r, , name]) => ({ name, breakdown: timeBreakdown(r.records ?? []) })),
      comparison: bootstrap ? { ...bootstrap, baseline: "A", candidate: "B" } : null,
      headline: htmlHeadline([], "B", { names: ["A", "B"], comparison: bootstrap }),
      notes: [
        ...warnings,
        `A = ${pa} (${ra.format})`,
        `B = ${pb} (${rb.format})`,
        ...ra.notes.map((n) => `A: ${n}`),
        ...rb.notes.map((n) => `B: ${n}`),
        ...(bootstrap ? [] : [`No verdict: ${why}`]),
        ...(attribution ? [formatAttribution(attribution, meanVerdict(bootstrap))] : []),
      ],
    });
    outputs.push([htmlPath, html, "--html"]);
  }
  // Both reports are rendered before either is written; a signal now waits for both.
  await signals.critical(async () => {
    for (const [path, text, flag] of outputs) await writeOutput(path, text, flag);
  });
  if (!values.json && (htmlPath !== undefined || junitPath !== undefined)) {
    console.log(`\nwrote ${[htmlPath, junitPath].filter((p) => p !== undefined).join(", ")}`);
  }
  if (!failOnRegression) return 0;
  if (verdict === null) return 3;
  return verdict === "regressed" ? 1 : 0;
}
