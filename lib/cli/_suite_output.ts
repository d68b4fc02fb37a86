/**
 * The output side of `tailgate suite` (baseline vs candidate): the verdict
 * first on the console (at most 15 lines; the tables with --verbose), the
 * CSVs' sidecars, `comparison_report.json`, report.html and JUnit, from
 * what {@linkcode runSuite} returns.
 *
 * @module
 */
import { requestDigest } from "../client/request_digest.ts";
import type { HttpRequest } from "../client/types.ts";
import type { SuiteOutcome } from "../load/suite_run.ts";
import type { StagedDir } from "../records/atomic_file.ts";
import { buildRunMeta, metaPath, writeRunMeta } from "../records/run_meta.ts";
import type { Redactor } from "../redact.ts";
import { htmlHeadline, htmlRunSummary, renderHtmlReport } from "../report/html.ts";
import { renderJunitReport } from "../report/junit.ts";
import { buildChartData } from "../report/series.ts";
import {
  formatAttribution,
  formatBootstrap,
  formatComparison,
  formatIntervals,
  formatRuleTable,
  formatSetupSplit,
} from "../report/text.ts";
import { timeBreakdown } from "../stats/time_breakdown.ts";
import { abSentence } from "../report/verdict.ts";
import { adviceFor, fdWarning, formatCauses } from "../report/causes.ts";
import { overallVerdict, type SlaRule } from "../stats/sla.ts";
import { writeOutput } from "./_files.ts";
import type { mockConfigFromValues } from "./_mock_flags.ts";
import { useColor, writeJson } from "./_output.ts";
import type { ProtocolDecision } from "./_protocol.ts";
import type { SuiteFiles } from "./_suite_files.ts";
import { meanVerdict, slaLines, slaRows } from "./_verdicts.ts";
import { type Targets, targetsConfig } from "./_targets.ts";
import { formatTargetDeltas } from "../report/targets.ts";
import {
  connectionsLine,
  consistencyLine,
  headlineLines,
  redactCauses,
} from "./_suite_headline.ts";

/** What the suite was asked for and decided, as the output records it. */
export interface SuiteOutputContext {
  /** The user's URL (its request and redaction), or `null` for the mock. */
  target: { request: HttpRequest; redactor: Redactor; targets: Targets | null } | null;
  /** With `--targets`: the digest of the whole workload (requests, weights, mix, seed). */
  targetsDigest: string | null;
  decisions: Partial<Record<"baseline" | "optimized", ProtocolDecision>>;
  files: SuiteFiles;
  junitPath: string | undefined;
  mockConfig: ReturnType<typeof mockConfigFromValues> | null;
  requests: number;
  concurrency: number;
  interleave: boolean;
  block: number;
  timeoutMs: number;
  rules: SlaRule[];
  confidence: number | "off";
  failOnRegression: boolean;
  quiet: boolean;
  verbose: boolean;
  /** Where this run's files are written until they are all complete. */
  stage: StagedDir;
  /** The signal that cut the run short, or `null` for a complete run. */
  interrupted: Deno.Signal | null;
}

/**
 * Writes the suite's sidecars and reports into the stage, puts the whole
 * set in place (replacing the previous run's files), writes JUnit, and
 * prints the verdict first. An interrupted run is marked PARTIAL everywhere.
 */
export async function suiteOutput(outcome: SuiteOutcome, ctx: SuiteOutputContext): Promise<void> {
  const { target, decisions, files, junitPath, mockConfig, requests, concurrency, stage } = ctx;
  const partial = ctx.interrupted === null
    ? null
    : { partial: true, interrupted_by: ctx.interrupted };
  const partialTitle = ctx.interrupted === null
    ? ""
    : `PARTIAL (interrupted by ${ctx.interrupted}) `;
  const { interleave, block, timeoutMs, rules, confidence, failOnRegression, quiet, verbose } = ctx;
  const { baseline: base, optimized: opt, results, consistency, bootstrap, attribution, p95 } =
    outcome;
  const baseSummary = outcome.summaries.baseline;
  const optSummary = outcome.summaries.optimized;
  const mode = interleave ? "interleaved" : "sequential";
  const names: [string, string] = [base.client.profile, opt.client.profile];
  if (names[0] === names[1]) names[1] = `${names[1]} (candidate)`;
  const targetText = target?.targets
    ? `${target.targets.names.length} targets from ${target.targets.file} (${target.targets.sequence.mix})`
    : target
    ? target.redactor.url(target.request.url)
    : `the mock at ${outcome.mockUrl}`;
  const redact = (text: string) => target ? target.redactor.text(text) : text;
  const causes = {
    baseline: redactCauses(base.causes.list(), redact),
    optimized: redactCauses(opt.causes.list(), redact),
  };
  const advice = [...new Set([...adviceFor(causes.baseline), ...adviceFor(causes.optimized)])];
  const protocols = {
    baseline: decisions.baseline?.record ?? null,
    optimized: decisions.optimized?.record ?? null,
  };

  // Sidecars: which client, protocol and requests each CSV holds.
  const requestId = ctx.targetsDigest ?? (target
    ? await requestDigest({
      ...target.request,
      url: target.redactor.url(target.request.url),
      headers: target.redactor.headers(target.request.headers).map((
        [n, v],
      ) => [n, v] as [string, string]),
    })
    : "suite-mock-requests");
  const runId = crypto.randomUUID();
  for (const [role, run] of [["baseline", base], ["optimized", opt]] as const) {
    const config = {
      url: target ? target.redactor.url(target.request.url) : `${outcome.mockUrl}/api`,
      method: target ? target.request.method : "POST",
      client: run.client.profile,
      protocol: protocols[role],
      role,
      suite: { requests, concurrency, mode, ...(interleave ? { block } : {}) },
      timeout_ms: timeoutMs,
      request_digest: requestId,
      ...(target?.targets ? { targets: targetsConfig(target.targets) } : {}),
      ...partial,
    };
    await writeRunMeta(run.stagedPath, await buildRunMeta(config, null, `${runId}-${role}`));
  }

  const reportPath = files.report;
  await writeJson(stage.path(reportPath), {
    run_id: runId,
    ...(partial ?? { partial: false }),
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
        : "one-sided order-statistic bounds at this level (lib/stats/confidence.ts)",
      p95_intervals: p95,
    },
    bootstrap,
    verdict: bootstrap?.verdict ?? null,
    verdict_words: abSentence(names, bootstrap),
    attribution,
    targets: outcome.targets,
    setup_split: outcome.setupSplit,
    connections_client: outcome.clientConnections,
    request_consistency: consistency,
    error_causes: causes,
    advice,
    mock: target ? null : { config: mockConfig, baseline: base.mock, optimized: opt.mock },
    target: target ? { url: targetText, method: target.request.method } : { mock: outcome.mockUrl },
    clients: {
      baseline: { profile: base.client.profile, protocol: protocols.baseline },
      optimized: { profile: opt.client.profile, protocol: protocols.optimized },
    },
    config: {
      requests,
      concurrency,
      timeout_ms: timeoutMs,
      mode,
      ...(interleave ? { block } : {}),
    },
  });

  const headline = headlineLines(outcome, names, targetText, {
    interleave,
    block,
    requests,
    concurrency,
  });
  const slaCases = slaRows(results, names[1], optSummary.successes);
  const comparisonCase = bootstrap
    ? { ...bootstrap, baseline: names[0], candidate: names[1] }
    : null;
  const generatedAt = new Date().toISOString();
  const html = renderHtmlReport({
    title: `${partialTitle}tailgate suite: ${names[0]} vs ${names[1]} (${mode})`,
    generatedAt,
    headline: htmlHeadline(outcome.results, names[1], {
      names,
      comparison: outcome.bootstrap,
    }),
    runs: [base, opt].flatMap((r, k) => [
      htmlRunSummary(names[k]!, r.csvPath, r.name === "baseline" ? baseSummary : optSummary),
      ...r.keeper.byTarget.summaries().map((t) =>
        htmlRunSummary(`${names[k]} · ${t.name}`, "target", t.summary)
      ),
    ]),
    targetDeltas: outcome.targets?.deltas ?? [],
    charts: buildChartData(
      [base, opt].map((r, k) => ({ name: names[k]!, records: r.keeper.records! })),
    ),
    breakdown: [base, opt].map((r, k) => ({
      name: names[k]!,
      breakdown: timeBreakdown(r.keeper.records!),
    })),
    slaLines: slaLines(rules),
    sla: slaCases,
    comparison: comparisonCase,
    notes: [
      target
        ? `Target ${targetText} (${target.request.method}); ${requests} requests per client, concurrency ${concurrency}, ${
          interleave ? `interleaved in blocks of ${block}` : "sequential"
        }.`
        : `Mock ${mockConfig!.rttMs} ms RTT, ${mockConfig!.setupRtts} RTT connection setup, seed ${
          mockConfig!.seed
        }; ${requests} requests per client, concurrency ${concurrency}, ${
          interleave ? `interleaved in blocks of ${block}` : "sequential"
        }.`,
      ...(["baseline", "optimized"] as const).map((role, k) =>
        `${names[k]}: ${decisions[role]?.line ?? "protocol not probed"}`
      ),
      connectionsLine(outcome, names),
      consistencyLine(outcome),
      ...(attribution ? [formatAttribution(attribution, meanVerdict(bootstrap))] : []),
      ...(outcome.setupSplit ? [formatSetupSplit(outcome.setupSplit)] : []),
    ],
  });
  await writeOutput(stage.path(files.html), html, "report");
  // The set is complete: it replaces the previous run's files together.
  const outputs = [base.csvPath, opt.csvPath].flatMap((c) => [c, metaPath(c)]);
  await stage.commit([...outputs, reportPath, files.html], files.family);
  if (junitPath !== undefined) {
    const xml = renderJunitReport({
      timestamp: generatedAt,
      sla: slaCases,
      comparisons: comparisonCase ? [comparisonCase] : [],
      regressionIsFailure: failOnRegression,
    });
    await writeOutput(junitPath, xml, "--junit");
  }
  if (partialTitle) headline[0] = partialTitle + headline[0];
  if (quiet) {
    console.log([...(partialTitle ? [headline[0]] : []), ...headline.slice(1, 3)].join("\n"));
  } else {
    console.log(headline.join("\n"));
    if (outcome.targets) console.log("\n" + formatTargetDeltas(outcome.targets.deltas, ...names));
    for (const [k, list] of [causes.baseline, causes.optimized].entries()) {
      const lines = formatCauses(list, `${names[k]} `, false);
      if (lines.length > 0) console.log(lines.join("\n"));
    }
    if (advice.length > 0) console.log(advice.map((a) => `advice        ${a}`).join("\n"));
    if (verbose) {
      console.log(
        ["baseline", "optimized"].map((r, k) =>
          `${names[k]}: ${decisions[r as "baseline"]?.line ?? "-"}`
        ).join("\n"),
      );
      printDetails(outcome, names, { interleave, block });
    }
    console.log(
      `wrote ${files.baseline}, ${files.optimized}, ${reportPath}, ${files.html}${
        junitPath ? `, ${junitPath}` : ""
      }${verbose ? "" : " (--verbose: tables, bootstrap, attribution)"}`,
    );
  }
  const fdLimit = base.causes.fdLimit + opt.causes.fdLimit;
  if (fdLimit > 0) console.error(`tailgate suite: ${fdWarning(fdLimit)}`);
  if (!consistency.identical) {
    console.error(
      `tailgate suite: the two clients did not send identical requests${
        ctx.interrupted ? " (the run was interrupted)" : ""
      }; the comparison is not valid`,
    );
  }
}

/** `--verbose`: the tables, the bootstrap details and the attribution. */
function printDetails(
  outcome: SuiteOutcome,
  names: [string, string],
  o: { interleave: boolean; block: number },
): void {
  const { bootstrap, attribution } = outcome;
  const style = { color: useColor() };
  const s = outcome.summaries;
  const p95 = outcome.p95;
  console.log([
    "",
    formatComparison(names, s.baseline, s.optimized, outcome.improvement, style),
    "",
    bootstrap
      ? formatBootstrap(names, bootstrap, style)
      : "no comparison verdict: a client has fewer than 2 successful requests",
    ...(attribution ? ["", formatAttribution(attribution, meanVerdict(bootstrap))] : []),
    ...(outcome.setupSplit ? ["", formatSetupSplit(outcome.setupSplit)] : []),
    "",
    `== summary (${o.interleave ? `interleaved, blocks of ${o.block}` : "sequential"}) ==`,
    formatIntervals("p95", [[names[0], p95.baseline], [names[1], p95.optimized]]),
    "",
    formatRuleTable(outcome.results, style),
    "",
  ].join("\n"));
}
