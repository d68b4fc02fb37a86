/** `bench`'s final summary, exit code and JSON document. Formatting only. */
import type { BenchRunResult } from "../load/bench_run.ts";
import type { RunMeta } from "../records/run_meta.ts";
import { formatOpenLine, formatRuleTable, formatSummary, type TextStyle } from "../report/text.ts";
import { slaExitCode } from "../stats/sla.ts";
import { evaluateScoped, judgedOf } from "../stats/scoped_sla.ts";
import { formatTargetTable } from "../report/targets.ts";
import type { Summary } from "../stats/summary.ts";
import type { Plan } from "./_bench_plan.ts";
import { rateProfile } from "../load/arrivals.ts";
import { formatDuration } from "../duration.ts";
import { adviceFor, fdWarning, formatCauses } from "../report/causes.ts";

/** What {@linkcode benchReport} needs. */
export interface BenchReportInput {
  plan: Plan;
  run: BenchRunResult;
  /** Client profile, method and redacted URL. */
  title: string;
  interrupted: boolean;
  interruptedBy: Deno.Signal | null;
  meta: RunMeta | null;
  config: Record<string, unknown>;
  style: TextStyle;
}

/**
 * The end of a bench run: the SLA verdicts, the printed summary (not yet
 * redacted), the exit code and the `--json` document.
 */
export function benchReport(
  input: BenchReportInput,
): { text: string; code: number; json: Record<string, unknown> } {
  const { plan, run, style } = input;
  const summary = run.builder.summary();
  const sorted = run.builder.sortedLatencies();
  const targets = run.byTarget.summaries();
  const results = evaluateScoped(
    plan.rules,
    { summary, sorted, phases: run.builder.phases },
    (name) => {
      const b = run.byTarget.builder(name);
      return b && judgedOf(b);
    },
    plan.confidence,
  );
  const title = input.interrupted
    ? `PARTIAL (interrupted by ${input.interruptedBy}) ${input.title}`
    : input.title;
  const lines: string[] = [formatSummary(title, summary, style)];
  if (run.counters !== null && run.uncorrected !== null) {
    lines.push(formatOpenLine(meanRate(plan), run.counters, plan.maxInFlight, run.uncorrected));
    if (plan.arrivals !== null) lines.push(arrivalLine(plan));
  }
  const shard = plan.shard;
  if (shard) {
    lines.push(`worker        ${shard.index}/${shard.count}, run ${input.meta?.run_id ?? "-"}`);
  }
  if (run.retries !== null && run.retries > 0) {
    lines.push(
      `retries       ${run.retries} (re-sent once on a new connection: the pooled one was closed before any response byte)`,
    );
  }
  if (targets.length) lines.push("", formatTargetTable(summary, targets));
  const causes = run.causes.list();
  lines.push(...formatCauses(causes));
  const fdLimit = run.causes.fdLimit;
  if (fdLimit > 0) lines.push("", fdWarning(fdLimit));
  if (results.length) lines.push("", formatRuleTable(results, style));
  if (plan.insecure && (summary.error_kinds.tls ?? 0) > 0) {
    lines.push(
      "",
      "TLS errors with --insecure: Deno can only skip certificate checks process-wide; run with deno run --unsafely-ignore-certificate-errors=HOST (or trust the CA with --ca-cert)",
    );
  }
  if (run.csv !== null) lines.push("", `CSV: ${run.csv.path} (${run.csv.rows} rows)`);
  let code: number;
  if (input.interrupted) code = 130;
  else if (summary.count === 0 || summary.successes === 0 || fdLimit > 0) code = 4;
  else code = slaExitCode(results);
  if (code === 4 && (summary.count === 0 || summary.successes === 0)) {
    const kinds = Object.entries(summary.error_kinds).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push(
      "",
      summary.count === 0
        ? "The run failed: no request was measured (warm-up took the whole run?)"
        : `The run failed: none of ${summary.count} requests succeeded (${
          kinds || "no responses"
        })`,
    );
  }
  const meta = input.meta;
  const json = {
    tool: "tailgate bench",
    partial: input.interrupted,
    interrupted_by: input.interruptedBy,
    exit_code: code,
    started_at: new Date(run.startedAt).toISOString(),
    summary,
    targets: targets.length ? targets : null,
    sla: results,
    open_model: run.counters !== null && run.uncorrected !== null
      ? {
        rate: meanRate(plan),
        arrival: plan.arrivals?.process ?? "constant",
        max_in_flight: plan.maxInFlight,
        drop_after_ms: plan.dropAfterMs,
        ...run.counters,
        uncorrected: pickLatency(run.uncorrected),
      }
      : null,
    csv: run.csv?.path ?? null,
    retries: run.retries,
    error_causes: causes,
    advice: adviceFor(causes),
    file_descriptor_limit_errors: fdLimit,
    run: meta ? { run_id: meta.run_id, worker: meta.worker, workers: meta.workers } : null,
    config: input.config,
  };
  return { text: lines.join("\n"), code, json };
}

/** This worker's scheduled rate: the constant rate, or a ramp's mean over its stages. */
function meanRate(plan: Plan): number {
  const a = plan.arrivals;
  if (a === null || a.stages.length === 0) return plan.rate;
  const p = rateProfile(a.startRate, a.stages);
  return p.total / (p.endMs / 1000) / (plan.shard?.count ?? 1);
}

/** How the open model's arrivals were drawn: process, seed, ramp. */
function arrivalLine(plan: Plan): string {
  const a = plan.arrivals!;
  const parts = [a.process === "poisson" ? `poisson (seed ${plan.seed})` : a.process];
  if (a.stages.length > 0) {
    const stages = a.stages.map((s) => `${formatDuration(s.durationMs)}:${s.rate}/s`).join(",");
    parts.push(`ramp from ${a.startRate}/s: ${stages}`);
  }
  if (plan.shard) parts.push(`this worker sends 1/${plan.shard.count} of it`);
  return `arrivals      ${parts.join("; ")}`;
}

/** The latency part of a summary (for the uncorrected view of an open run). */
function pickLatency(s: Summary) {
  return {
    note:
      "latency from the actual send, as a closed-loop tool would measure it; not used for SLA rules",
    p50_ms: s.p50_ms,
    p90_ms: s.p90_ms,
    p95_ms: s.p95_ms,
    p99_ms: s.p99_ms,
    p999_ms: s.p999_ms,
    max_ms: s.max_ms,
  };
}
