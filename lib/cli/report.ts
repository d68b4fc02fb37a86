/** `tailgate report <file.csv>`: the summary of a saved run, with SLA verdicts. */
import { buildChartData } from "../report/series.ts";
import { htmlHeadline, htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import { formatRuleTable, formatSummary } from "../report/text.ts";
import { slaExitCode } from "../stats/sla.ts";
import { evaluateScoped, judgedOf } from "../stats/scoped_sla.ts";
import { formatTargetTable } from "../report/targets.ts";
import { timeBreakdown } from "../stats/time_breakdown.ts";
import { formatOptions, type OptionSpecs, parseCommandArgs, str, strs } from "./_args.ts";
import { claimOutput, refuseOverwrites, writeOutput } from "./_files.ts";
import { checkPermissions, flaggedPaths } from "./_permissions.ts";
import { useColor } from "./_output.ts";
import { UsageError } from "./_usage_error.ts";
import {
  checkRuleScopes,
  confidenceOption,
  formatLine,
  noDataLine,
  parseRules,
  readRun,
  slaLines,
  slaRows,
} from "./_verdicts.ts";

const OPTIONS: OptionSpecs = {
  json: { type: "boolean", help: "Print the summary as one JSON object" },
  sla: {
    type: "string",
    multiple: true,
    arg: "RULE",
    help: "Gate on a rule, e.g. p95<=800ms (repeatable)",
  },
  confidence: {
    type: "string",
    arg: "LEVEL|off",
    default: "95%",
    help: "Confidence for percentile rules; off gates on the point value",
  },
  html: { type: "string", arg: "FILE", help: "Write a self-contained HTML report" },
  junit: { type: "string", arg: "FILE", help: "Write the SLA verdicts as JUnit XML" },
};

/** Help text. */
export const HELP = `Usage: tailgate report <file.csv> [options]

Summarizes a saved run; a run with a target column (bench --targets) also
gets each target's requests, errors and P50/P95/P99, and SLA rules can be
scoped to a target (--sla "infer:p95<=800ms"). Reads CSVs written by tailgate (bench, suite), hey
(-o csv), vegeta (encode -to csv), oha (--output-format csv) and k6 (--out
csv, or its --out json); the format is detected from the first line and
printed with its caveats. Latency statistics cover successful requests
(status 200-399); percentiles are nearest-rank.

Options:
${formatOptions(OPTIONS)}

With --confidence 95% (default) a percentile rule passes only when its 95%
upper confidence bound meets the limit, fails when the lower bound breaks
it, and is otherwise inconclusive; too few samples for a bound is
inconclusive too, and the table says how many are needed (59 for P95).
Phase rules (ttfb.p95<=300ms, first_body.p95<=500ms or ttft.p95, connect.p99,
tls.p99) judge one phase over the requests that have it; a phase no request
has is inconclusive, with one line saying why. The summary shows P50/P95/P99
per phase, for the phases the run has.

Exit codes: 0 all rules pass, 1 an SLA rule failed, 2 usage or input error,
3 inconclusive (a rule could not be decided, none failed).`;

/** Runs the command; returns the exit code. */
export async function report(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("report", args, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      "report needs exactly one CSV file: tailgate report results/latency_optimized.csv",
    );
  }
  const rules = parseRules(strs(values, "sla"));
  const confidence = confidenceOption(str(values, "confidence")!);
  const htmlPath = str(values, "html");
  const junitPath = str(values, "junit");
  const path = positionals[0]!;
  await checkPermissions(
    { read: [path], write: flaggedPaths(values, ["html", "junit"]) },
  );
  await refuseOverwrites([[htmlPath, "--html"], [junitPath, "--junit"]], [[
    path,
    `the input ${path}`,
  ]]);
  const run = await readRun(path, { records: htmlPath !== undefined });
  checkRuleScopes(rules, run.byTarget.names);
  if (run.builder.count === 0) {
    console.error(`tailgate report: ${noDataLine(run)}`);
    return 3;
  }
  if (htmlPath !== undefined) await claimOutput(htmlPath, "--html");
  if (junitPath !== undefined) await claimOutput(junitPath, "--junit");
  const summary = run.builder.summary();
  const sorted = run.builder.sortedLatencies();
  const targets = run.byTarget.summaries();
  const results = evaluateScoped(rules, { summary, sorted, phases: run.builder.phases }, (name) => {
    const b = run.byTarget.builder(name);
    return b && judgedOf(b);
  }, confidence);
  // No path here: the same run under another name gives the same document.
  const source = { format: run.format, notes: run.notes };
  if (values.json) {
    const perTarget = targets.length ? { targets } : {};
    const doc = rules.length
      ? { ...summary, source, ...perTarget, confidence, sla: results }
      : { ...summary, source, ...perTarget };
    console.log(JSON.stringify(doc, null, 2));
  } else {
    const style = { color: useColor() };
    console.log(formatLine(run));
    console.log("");
    console.log(formatSummary(path, summary, style));
    if (targets.length) console.log("\n" + formatTargetTable(summary, targets));
    if (results.length) console.log("\n" + formatRuleTable(results, style));
  }
  const rows = slaRows(results, "run", summary.successes);
  if (junitPath !== undefined) {
    const xml = renderJunitReport({ timestamp: new Date().toISOString(), sla: rows });
    await writeOutput(junitPath, xml, "--junit");
  }
  if (htmlPath !== undefined) {
    const html = renderHtmlReport({
      title: `tailgate report: ${path}`,
      generatedAt: new Date().toISOString(),
      runs: [
        htmlRunSummary("run", `${path} (${run.format})`, summary),
        ...targets.map((t) => htmlRunSummary(`run · ${t.name}`, "target", t.summary)),
      ],
      charts: buildChartData([{ name: "run", records: run.records ?? [] }]),
      breakdown: [{ name: "run", breakdown: timeBreakdown(run.records ?? []) }],
      slaLines: slaLines(rules),
      sla: rows,
      headline: htmlHeadline(results, "run"),
      notes: [`${path}: ${run.format} CSV`, ...run.notes],
    });
    await writeOutput(htmlPath, html, "--html");
  }
  if (!values.json && (htmlPath !== undefined || junitPath !== undefined)) {
    console.log(`\nwrote ${[htmlPath, junitPath].filter((p) => p !== undefined).join(", ")}`);
  }
  return slaExitCode(results);
}
