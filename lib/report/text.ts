/**
 * Plain-text tables for the terminal. Formatting only: every number shown
 * is computed elsewhere and passed in.
 *
 * @module
 */
import type { Attribution, MsRange } from "../stats/attribution.ts";
import type { BootstrapComparison, ComparisonVerdict } from "../stats/bootstrap.ts";
import type { Improvement } from "../stats/compare.ts";
import type { OpenLoopCounters } from "../load/runner.ts";
import type { Ladder } from "../stats/ladder.ts";
import type { PercentileInterval } from "../stats/confidence.ts";
import type { SlaResult } from "../stats/sla.ts";
import type { Summary } from "../stats/summary.ts";
import { PHASES, type PhaseSummary } from "../stats/phase_summary.ts";
import type { SetupSplit, SplitPart } from "../stats/setup_split.ts";
import type { PhaseComparison } from "../stats/phase_compare.ts";
import {
  fmtDelta,
  fmtDeltaCi,
  fmtLevel,
  fmtMs,
  fmtValue,
  paint,
  type TextStyle,
} from "./_format.ts";
import { abSentence } from "./verdict.ts";

export { fmtDelta, fmtLevel, fmtMs, fmtValue, type TextStyle } from "./_format.ts";

/**
 * A relative change in words, never a sign to decode: `12.5% faster`,
 * `3.0% slower`, `same`. `pct` > 0 is the first word.
 */
function changeWords(pct: number | null, words: [string, string]): string {
  if (pct === null) return "-";
  if (Math.abs(pct) < 0.05) return "same";
  return `${Math.abs(pct).toFixed(1)}% ${pct > 0 ? words[0] : words[1]}`;
}

/**
 * Lays out rows as aligned columns (ANSI colour codes do not count toward width).
 *
 * @example
 * ```ts
 * import { formatTable } from "./text.ts";
 * formatTable([["a", "1"], ["bb", "22"]], ["l", "r"]); // "a    1\nbb  22"
 * ```
 */
export function formatTable(rows: string[][], align: ("l" | "r")[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? "").length)));
  return rows.map((r) =>
    r.map((c, i) => {
      const pad = widths[i]! - visible(c).length;
      return align[i] === "l" ? c + " ".repeat(pad) : " ".repeat(pad) + c;
    }).join("  ").trimEnd()
  ).join("\n");
}

const table = formatTable;

// deno-lint-ignore no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/** The percentile of a row label (`p99.9` → 99.9), or `null` for min/mean/max. */
function rowPercentile(label: string): number | null {
  return /^p\d/.test(label) ? Number(label.slice(1)) : null;
}

/**
 * A percentile cell, marked `(= max)` when the sample is too small to tell
 * it from the maximum (nearest rank n: p99.9 needs n >= 1000).
 */
function fmtPercentile(label: string, v: number | null, n: number): string {
  const p = rowPercentile(label);
  if (v === null || p === null || n * (1 - p / 100) >= 1 - 1e-9) return fmtMs(v);
  return `${fmtMs(v)} (= max)`;
}

const ROWS: [string, keyof Summary][] = [
  ["min", "min_ms"],
  ["mean", "mean_ms"],
  ["p50", "p50_ms"],
  ["p90", "p90_ms"],
  ["p95", "p95_ms"],
  ["p99", "p99_ms"],
  ["p99.9", "p999_ms"],
  ["max", "max_ms"],
];

function breakdown(s: Summary): string[] {
  const lines: string[] = [];
  const codes = Object.entries(s.status_codes).map(([c, n]) =>
    `${c === "0" ? "no response" : c}: ${n}`
  );
  if (codes.length) lines.push(`status codes  ${codes.join(", ")}`);
  const kinds = Object.entries(s.error_kinds).map(([k, n]) => `${k}: ${n}`);
  if (kinds.length) lines.push(`errors        ${kinds.join(", ")}`);
  return lines;
}

/**
 * Formats one run's summary as a table.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./text.ts";
 * import { summarize } from "../stats/summary.ts";
 * formatSummary("run", summarize([]), { color: false }).includes("requests"); // true
 * ```
 */
export function formatSummary(title: string, s: Summary, style: TextStyle): string {
  const rows = [["", title]];
  rows.push(["requests", String(s.count)]);
  rows.push(["errors", `${s.errors} (${(s.error_rate * 100).toFixed(2)}%)`]);
  rows.push(["throughput", `${s.throughput_rps.toFixed(1)} req/s`]);
  for (const [label, key] of ROWS) {
    rows.push([label, fmtPercentile(label, s[key] as number | null, s.successes)]);
  }
  const out = [paint(style, 1, title), table(rows.slice(1), ["l", "r"]), ...breakdown(s)];
  const phases = formatPhases(s.phases);
  if (phases !== "") out.push("", phases);
  return out.join("\n");
}

/**
 * Where the time went: P50/P95/P99 per request phase, with the number of
 * requests that have each phase; `""` when the run has none.
 *
 * @example
 * ```ts
 * import { formatPhases } from "./text.ts";
 * formatPhases({ ttfb: { count: 4, p50_ms: 1, p95_ms: 2, p99_ms: 2 } }).startsWith("phase"); // true
 * ```
 */
export function formatPhases(phases: PhaseSummary | undefined): string {
  if (phases === undefined) return "";
  const rows = [["phase", "n", "p50", "p95", "p99"]];
  for (const phase of PHASES) {
    const p = phases[phase];
    if (p === undefined) continue;
    rows.push([phase, String(p.count), fmtMs(p.p50_ms), fmtMs(p.p95_ms), fmtMs(p.p99_ms)]);
  }
  return rows.length > 1 ? table(rows, ["l", "r", "r", "r", "r"]) : "";
}

/**
 * Formats two summaries side by side with the change from A to B.
 *
 * @example
 * ```ts
 * import { formatComparison } from "./text.ts";
 * import { summarize } from "../stats/summary.ts";
 * import { compareSummaries } from "../stats/compare.ts";
 * const s = summarize([]);
 * formatComparison(["a", "b"], s, s, compareSummaries(s, s), { color: false });
 * ```
 */
export function formatComparison(
  names: [string, string],
  a: Summary,
  b: Summary,
  imp: Improvement,
  style: TextStyle,
): string {
  const rows: string[][] = [["", names[0], names[1], `${names[1]} vs ${names[0]}`]];
  rows.push(["requests", String(a.count), String(b.count), ""]);
  rows.push([
    "errors",
    `${a.errors} (${(a.error_rate * 100).toFixed(1)}%)`,
    `${b.errors} (${(b.error_rate * 100).toFixed(1)}%)`,
    "",
  ]);
  rows.push([
    "throughput",
    `${a.throughput_rps.toFixed(1)}/s`,
    `${b.throughput_rps.toFixed(1)}/s`,
    changeWords(imp.throughput_rps.change_pct, ["more", "less"]),
  ]);
  for (const [label, key] of ROWS) {
    if (key === "min_ms") continue;
    const d = imp[key as keyof Improvement] as { improvement_pct: number | null };
    const pct = d.improvement_pct;
    // improvement_pct > 0 means B is faster: say it in words, no sign to decode.
    const change = changeWords(pct, ["faster", "slower"]);
    const colored = pct === null || Math.abs(pct) < 1
      ? change
      : paint(style, pct > 0 ? 32 : 31, change);
    rows.push([
      label,
      fmtPercentile(label, a[key] as number | null, a.successes),
      fmtPercentile(label, b[key] as number | null, b.successes),
      colored,
    ]);
  }
  return table(rows, ["l", "r", "r", "r"]);
}

/**
 * One row per SLA rule: measured (point) value, the confidence bound that
 * decided it with its sample size, the limit, and PASS / FAIL / INCONCLUSIVE.
 *
 * @example
 * ```ts
 * import { formatRuleTable } from "./text.ts";
 * formatRuleTable([], { color: false }); // ""
 * ```
 */
export function formatRuleTable(results: readonly SlaResult[], style: TextStyle): string {
  if (results.length === 0) return "";
  const withConfidence = results.some((r) => r.confidence);
  const head = withConfidence
    ? ["rule", "measured", "confidence bounds", "limit", "verdict"]
    : ["rule", "measured", "limit", "verdict"];
  const rows = [head];
  for (const r of results) {
    const verdict = r.verdict === "pass"
      ? paint(style, 32, "PASS")
      : r.verdict === "fail"
      ? paint(style, 31, "FAIL")
      : paint(style, 33, "INCONCLUSIVE");
    const row = [r.rule, fmtValue(r.value, r.unit)];
    if (withConfidence) {
      const c = r.confidence;
      if (!c) row.push("(point value)");
      else {
        const need = c.minSamples ? `, needs n>=${c.minSamples}` : "";
        row.push(
          `[${fmtValue(c.lower, r.unit)}, ${fmtValue(c.upper, r.unit)}] ${
            fmtLevel(c.level)
          } n=${c.n}${need}`,
        );
      }
    }
    row.push(`${r.op} ${fmtValue(r.limit, r.unit)}`, verdict);
    rows.push(row);
  }
  const notes = results.filter((r) => r.note).map((r) => `${r.rule}: ${r.note}`);
  return [
    formatTable(rows, withConfidence ? ["l", "r", "l", "r", "l"] : ["l", "r", "r", "l"]),
    ...notes,
  ].join("\n");
}

/** Start lag (actual send − scheduled send) p50/p99/max, or the worst lag when none was measured. */
function formatStartLag(counters: OpenLoopCounters): string {
  const lag = counters.startLag.summary();
  if (lag.count === 0) return `worst start lag ${fmtMs(counters.maxStartLagMs)}`;
  // Microseconds matter here: a pacer that keeps its schedule is within 0.05 ms.
  const f = (v: number | null) => v !== null && v < 10 ? `${v.toFixed(3)}ms` : fmtMs(v);
  return `start lag p50 ${f(lag.p50_ms)}, p99 ${f(lag.p99_ms)}, max ${f(lag.max_ms)}`;
}

/**
 * The open model's schedule health (late, dropped, worst start lag) and, for
 * contrast, the percentiles timed from the actual send instead of the
 * schedule: what a tool with coordinated omission would have reported.
 *
 * @example
 * ```ts ignore
 * import { formatOpenLine } from "./text.ts";
 * formatOpenLine(100, { late: 0, dropped: 0, maxStartLagMs: 0.4 }, 1000, uncorrected);
 * ```
 */
export function formatOpenLine(
  rate: number,
  counters: OpenLoopCounters,
  maxInFlight: number,
  uncorrected: Summary,
): string {
  return [
    `open model    ${
      rate.toFixed(rate < 10 ? 2 : 1)
    } req/s scheduled, max in flight ${maxInFlight}: late ${counters.late}, dropped ${counters.dropped}, ${
      formatStartLag(counters)
    }`,
    `              latency above counts from the scheduled send time; timed from the actual send (uncorrected): p50 ${
      fmtMs(uncorrected.p50_ms)
    }, p99 ${fmtMs(uncorrected.p99_ms)}, max ${fmtMs(uncorrected.max_ms)}`,
  ].join("\n");
}

function paintVerdict(style: TextStyle, verdict: string): string {
  if (verdict === "improved") return paint(style, 32, verdict);
  if (verdict === "regressed") return paint(style, 31, verdict);
  return verdict;
}

/**
 * Formats a block-bootstrap comparison: per metric the two values, the
 * delta B − A, the relative change, the confidence interval of the delta
 * and the verdict, then the headline verdict.
 *
 * @example
 * ```ts
 * import { formatBootstrap } from "./text.ts";
 * import { blockBootstrapCompare } from "../stats/bootstrap.ts";
 * const a = Array.from({ length: 300 }, (_, i) => 100 + (i * 37) % 50);
 * const cmp = blockBootstrapCompare(a, a.map((x) => x - 40), { resamples: 200 });
 * formatBootstrap(["A", "B"], cmp, { color: false }).includes("improved"); // true
 * ```
 */
export function formatBootstrap(
  names: [string, string],
  cmp: BootstrapComparison,
  style: TextStyle,
): string {
  const level = fmtLevel(cmp.confidence);
  const rows: string[][] = [[
    "metric",
    names[0],
    names[1],
    `${names[1]} − ${names[0]}`,
    "change",
    `${level} CI of ${names[1]} − ${names[0]}`,
    "verdict",
  ]];
  for (const m of cmp.metrics) {
    rows.push([
      m.metric === cmp.primary ? `${m.metric} *` : m.metric,
      fmtMs(m.a),
      fmtMs(m.b),
      fmtDelta(m.delta),
      changeWords(m.relative === null ? null : -m.relative * 100, ["faster", "slower"]),
      fmtDeltaCi(m.lower, m.upper),
      paintVerdict(style, m.verdict),
    ]);
  }
  const headline = `verdict (* above): ${paint(style, 1, abSentence(names, cmp))}`;
  return [
    `block bootstrap over time: ${cmp.resamples} resamples, seed ${cmp.seed}, blocks of ${cmp.blockLength.a}/${cmp.blockLength.b} requests (lag-1 autocorrelation ${
      cmp.autocorrelation.a.toFixed(2)
    }/${cmp.autocorrelation.b.toFixed(2)}), n = ${cmp.n.a}/${cmp.n.b}`,
    table(rows, ["l", "r", "r", "r", "r", "r", "l"]),
    headline,
  ].join("\n");
}

/**
 * Formats one percentile per run side by side, each with its confidence
 * interval and sample size (e.g. the P95 of both suite profiles).
 *
 * @example
 * ```ts
 * import { formatIntervals } from "./text.ts";
 * import { percentileInterval } from "../stats/confidence.ts";
 * const xs = Array.from({ length: 200 }, (_, i) => i + 1);
 * formatIntervals("P95", [["A", percentileInterval(xs, 95, 0.95)]]).includes("[184ms"); // true
 * ```
 */
export function formatIntervals(
  label: string,
  runs: readonly [string, PercentileInterval][],
): string {
  const rows: string[][] = [["", ...runs.map(([name]) => name)]];
  rows.push([label, ...runs.map(([, ci]) => fmtMs(ci.point))]);
  const level = runs[0] ? `${fmtLevel(runs[0][1].confidence)} CI` : "CI";
  rows.push([
    level,
    ...runs.map(([, ci]) => `[${fmtMs(ci.lower)}, ${fmtMs(ci.upper)}]`),
  ]);
  rows.push(["n", ...runs.map(([, ci]) => String(ci.n))]);
  return table(rows, ["l", ...runs.map(() => "r" as const)]);
}

function fmtRange(r: MsRange, f: (v: number) => string): string {
  return r.min === r.max ? f(r.min) : `${f(r.min)} to ${f(r.max)}`;
}

function fmtShare(r: MsRange): string {
  const p = (v: number) => `${(v * 100).toFixed(0)}%`;
  return r.min === r.max ? p(r.min) : `${p(r.min)} to ${p(r.max)}`;
}

/**
 * Formats an attribution of a latency difference to connection setup
 * versus everything else.
 *
 * @example
 * ```ts
 * import { formatAttribution } from "./text.ts";
 * import { attributeDifference } from "../stats/attribution.ts";
 * const run = { requests: 400, opened: 20, openedHttp2: 0, maxWaiters: 20, setupMs: 120 };
 * const attr = attributeDifference({ ...run, name: "A", meanMs: 200 }, { ...run, name: "B", meanMs: 195, opened: 1 });
 * formatAttribution(attr).includes("connection setup"); // true
 * ```
 */
export function formatAttribution(
  attr: Attribution,
  context: { meanVerdict?: ComparisonVerdict } = {},
): string {
  const a = attr.baseline;
  const b = attr.candidate;
  const paid = (c: Attribution["baseline"]) => {
    const h1 = c.connections_opened - c.http2_connections;
    const kinds = [
      h1 ? `${h1} HTTP/1.1` : "",
      c.http2_connections ? `${c.http2_connections} HTTP/2` : "",
    ].filter((x) => x).join(" + ") || "0";
    return `${c.name}: ${kinds} new connection(s) × ${fmtMs(c.setup_ms_per_connection)} = ${
      fmtRange(c.setup_paid_ms, fmtMs)
    } of setup`;
  };
  const noise = context.meanVerdict === "no significant difference";
  const lines = [
    `attribution (tailgate mock model): total latency time ${b.name} − ${a.name} = ${
      fmtDelta(attr.total_delta_ms)
    } (mean ${fmtDelta(attr.mean_delta_ms)} × ${attr.requests} requests)`,
    `  ${paid(a)}`,
    `  ${paid(b)}`,
    `  connection setup: ${fmtRange(attr.setup_delta_ms, fmtDelta)}${
      attr.setup_share === null || noise ? "" : ` (${fmtShare(attr.setup_share)} of the difference)`
    }`,
    `  everything else:  ${fmtRange(attr.other_delta_ms, fmtDelta)}`,
  ];
  if (noise) {
    lines.push(
      "  the mean difference itself is within noise (block bootstrap: no significant difference), so no share is given",
    );
  } else if (attr.share_note !== null) lines.push(`  note: ${attr.share_note}`);
  for (const n of attr.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

/** What the ladder table shows beyond the statistics: per rung, in ladder order. */
export interface LadderLabels {
  /** The client settings in words, e.g. `fast, keep-alive, pool 20`. */
  settings: readonly string[];
  /** Connections opened per rung, `null` when unknown. */
  connections: readonly (number | null)[];
}

/**
 * Formats a client ladder as one compact table: rung, client, connections
 * opened, P50, P95 with its interval, SLA verdict, and the step from the
 * rung above (ΔP50, ΔP95 with its bootstrap interval, verdict on the
 * primary metric); then one line per step with its attribution to
 * connection setup, when known.
 *
 * @example
 * ```ts
 * import { formatLadder } from "./text.ts";
 * import { computeLadder } from "../stats/ladder.ts";
 * import { parseSlaRule } from "../stats/sla.ts";
 * const rec = (id: number, latencyMs: number) => ({ id, scheduledMs: id, startedMs: id, latencyMs,
 *   ttfbMs: null, status: 200, bytes: 0, error: "" as const, warmup: false, worker: 0 });
 * const a = Array.from({ length: 100 }, (_, i) => rec(i, 300 + i));
 * const b = Array.from({ length: 100 }, (_, i) => rec(i, 150 + i));
 * const ladder = computeLadder([{ name: "a", records: a }, { name: "b", records: b }],
 *   { rules: [parseSlaRule("p95<=800ms")], confidence: 0.95, bootstrap: { resamples: 100 } });
 * formatLadder(ladder, { settings: ["x", "y"], connections: [100, 1] }, { color: false })
 *   .includes("improved"); // true
 * ```
 */
export function formatLadder(ladder: Ladder, labels: LadderLabels, style: TextStyle): string {
  const level = fmtLevel(ladder.steps[0]?.confidence ?? 0.95);
  const rows: string[][] = [[
    "rung",
    "client",
    "conns",
    "p50",
    `p95 [${level} CI]`,
    "sla",
    "step from the rung above: Δp50, Δp95 [CI], verdict",
  ]];
  ladder.rungs.forEach((r, i) => {
    const step = i === 0 ? undefined : ladder.steps[i - 1];
    const [lo, hi] = r.p95_ci_ms;
    const sla = r.sla_verdict === "pass"
      ? paint(style, 32, "PASS")
      : r.sla_verdict === "fail"
      ? paint(style, 31, "FAIL")
      : paint(style, 33, "INCONCLUSIVE");
    let stepText = "-";
    if (step) {
      stepText = step.verdict === null
        ? "no verdict (fewer than 2 successes)"
        : `${fmtDelta(step.delta_p50_ms!)}, ${fmtDelta(step.delta_p95_ms!)} ${
          fmtDeltaCi(...step.ci_p95_ms!)
        }, ${paintVerdict(style, step.verdict)}${
          step.primary !== "p95" ? ` (${step.primary})` : ""
        }${
          step.verdict_p50 && step.verdict_p50 !== step.verdict ? `; p50 ${step.verdict_p50}` : ""
        }`;
    }
    const conns = labels.connections[i];
    rows.push([
      `${i + 1}. ${r.name}`,
      labels.settings[i] ?? "",
      conns === null || conns === undefined ? "?" : String(conns),
      fmtMs(r.p50_ms),
      `${fmtMs(r.p95_ms)} [${fmtMs(lo)}, ${fmtMs(hi)}]`,
      sla,
      stepText,
    ]);
  });
  const lines = [table(rows, ["l", "l", "r", "r", "r", "l", "l"])];
  for (const s of ladder.steps) {
    const a = s.attribution;
    if (!a) continue;
    lines.push(
      `${s.from} -> ${s.to}: total latency time ${
        fmtDelta(a.total_delta_ms)
      }, of which connection setup ${
        fmtRange(a.setup_delta_ms, fmtDelta)
      } (${a.baseline.connections_opened} -> ${a.candidate.connections_opened} connections), everything else ${
        fmtRange(a.other_delta_ms, fmtDelta)
      }`,
    );
  }
  for (const s of ladder.steps) if (s.setup_split) lines.push(formatSetupSplit(s.setup_split));
  return lines.join("\n");
}

/**
 * A difference split by the client's phases into connection setup and the
 * rest: a heading, then one line per statistic (mean, P50, P95) with each
 * part's bootstrap interval.
 *
 * @example
 * ```ts
 * import { formatSetupSplit } from "./text.ts";
 * const part = (d: number) => ({ delta_ms: d, ci_ms: [d - 1, d + 1] as [number, number] });
 * formatSetupSplit({ from: "a", to: "b", n: { a: 9, b: 9 }, with_setup: { a: 9, b: 1 },
 *   setup_mean_ms: { a: 30, b: 3 }, confidence: 0.95, resamples: 100, block_length: { a: 2, b: 2 },
 *   metrics: [{ metric: "mean", a_ms: 130, b_ms: 100, a_without_setup_ms: 100,
 *     b_without_setup_ms: 97, total: part(-30), setup: part(-27), rest: part(-3) }] })
 *   .split("\n")[1]; // "  mean  -30.0ms = connection setup -27.0ms [-28.0ms, -26.0ms] + the rest -3.0ms [-4.0ms, -2.0ms]"
 * ```
 */
export function formatSetupSplit(split: SetupSplit): string {
  const level = fmtLevel(split.confidence);
  const ci = (p: SplitPart) => fmtDeltaCi(...p.ci_ms);
  return [
    `${split.from} -> ${split.to}, split by the client's connect and TLS times (${level} CI; requests that paid setup ${split.with_setup.a}/${split.n.a} -> ${split.with_setup.b}/${split.n.b}):`,
    ...split.metrics.map((m) =>
      `  ${m.metric.padEnd(4)}  ${fmtDelta(m.total.delta_ms)} = connection setup ${
        fmtDelta(m.setup.delta_ms)
      } ${ci(m.setup)} + the rest ${fmtDelta(m.rest.delta_ms)} ${ci(m.rest)}`
    ),
  ].join("\n");
}

/**
 * Each phase's change from A to B: n of each run, Δp50 and Δp95 with their
 * intervals, Δp99 and the verdict on the primary metric; `""` when no phase
 * was compared.
 *
 * @example
 * ```ts
 * import { formatPhaseComparisons } from "./text.ts";
 * formatPhaseComparisons([], { color: false }); // ""
 * ```
 */
export function formatPhaseComparisons(
  phases: readonly PhaseComparison[],
  style: TextStyle,
): string {
  if (phases.length === 0) return "";
  const level = fmtLevel(phases[0]!.comparison.confidence);
  const rows = [["phase", "n A/B", "Δp50 [CI]", "Δp95 [CI]", "Δp99", "verdict"]];
  for (const { phase, comparison: c } of phases) {
    const m = (k: string) => c.metrics.find((x) => x.metric === k)!;
    const cell = (k: string) => `${fmtDelta(m(k).delta)} ${fmtDeltaCi(m(k).lower, m(k).upper)}`;
    rows.push([
      phase,
      `${c.n.a}/${c.n.b}`,
      cell("p50"),
      cell("p95"),
      fmtDelta(m("p99").delta),
      `${paintVerdict(style, c.verdict)}${c.primary !== "p95" ? ` (${c.primary})` : ""}`,
    ]);
  }
  return [
    `phases, B - A (${level} CI, block bootstrap per phase over the requests that have it):`,
    table(rows, ["l", "r", "r", "r", "r", "l"]),
  ].join("\n");
}
