/**
 * SLA rules in a k6-like grammar, parsed before any request is sent and
 * evaluated against a {@linkcode Summary}. Pure.
 *
 * Grammar: `[<phase>.]<metric> <op> <value>` with
 * - phase (optional): `connect`, `tls`, `ttfb`, `first_body` (alias `ttft`);
 *   a phase rule judges that phase of each request instead of its total
 *   latency, over the requests that have it, and takes a percentile only;
 * - metric: `pNN` / `pNN.N` (percentile, e.g. `p95`, `p99.9`), `mean`, `min`,
 *   `max`, `error_rate`, `throughput`;
 * - op: `<`, `<=`, `>`, `>=`;
 * - value: a duration (`800ms`, `1.5s`) for latency metrics, a percentage or
 *   fraction (`1%`, `0.01`) for `error_rate`, a rate (`100/s`, `100rps`) for
 *   `throughput`.
 *
 * @module
 */
import { meetsLimit, type SlaOp } from "./_limit.ts";
import { slaVerdict, type SlaVerdictKind } from "./confidence.ts";
import { parseDuration } from "../duration.ts";
import { percentile, type Summary } from "./summary.ts";
import { type Phase, PHASE_ALIASES, PHASES } from "./phase_summary.ts";

export type { Phase, SlaOp };

/** Where a phase rule finds each phase's values, sorted ascending (a `PhaseBuilder`). */
export interface PhaseSource {
  sorted(phase: Phase): ArrayLike<number>;
}

/** A parsed SLA rule. */
export interface SlaRule {
  /** The rule as the user wrote it, whitespace removed. */
  text: string;
  /** `latency` rules compare milliseconds, `error_rate` a fraction, `throughput` req/s. */
  kind: "latency" | "error_rate" | "throughput";
  /** `p95`, `mean`, `max`, `error_rate`, … (without the phase). */
  metric: string;
  /**
   * The request phase a rule judges (`ttfb.p95<=300ms`), or `null` for the
   * total latency. Phase rules are `latency` rules with a percentile.
   */
  phase: Phase | null;
  /** The percentile for `pNN` metrics (e.g. 99.9), else `null`. */
  quantile: number | null;
  op: SlaOp;
  /** Limit in ms, as a fraction, or in req/s, by kind. */
  limit: number;
}

/** The outcome of one rule against a summary. */
export interface SlaResult {
  rule: string;
  metric: string;
  /** The phase a phase rule judged; absent for the total latency and other metrics. */
  phase?: Phase;
  op: SlaOp;
  limit: number;
  /** The measured value, `null` when there was nothing to measure (no successes). */
  value: number | null;
  /** `true` only for a `pass` verdict. */
  passed: boolean;
  /**
   * `pass` or `fail`; percentile rules judged with confidence can also be
   * `inconclusive` (the data cannot tell yet).
   */
  verdict: SlaVerdictKind;
  /** Unit of `value` and `limit`: `ms`, `ratio` or `rps`. */
  unit: "ms" | "ratio" | "rps";
  /**
   * For percentile rules judged with confidence: the one-sided level (e.g.
   * 0.95), the sample size, and the lower and upper confidence bounds.
   */
  confidence?: {
    level: number;
    n: number;
    lower: number | null;
    upper: number | null;
    minSamples?: number | null;
  };
  /** Why a rule has no verdict, in words (e.g. no request of the run has the phase). */
  note?: string;
}

function bad(text: string, token: string, fix: string): SyntaxError {
  return new SyntaxError(`Invalid SLA rule "${text}": ${token}; ${fix}`);
}

const KNOWN_PHASES = `${PHASES.join(", ")} (or ${Object.keys(PHASE_ALIASES).join(", ")})`;

/**
 * Splits `ttfb.p95` into its phase and metric; `p99.9` has no phase.
 * Throws on an unknown phase, naming the known ones.
 */
function splitPhase(input: string, rawMetric: string): { phase: Phase | null; metric: string } {
  const m = /^([A-Za-z_][A-Za-z_0-9]*)\.(.+)$/.exec(rawMetric);
  if (!m || /^p\d/i.test(m[1]!)) return { phase: null, metric: rawMetric };
  const name = m[1]!.toLowerCase();
  const phase = (PHASES as readonly string[]).includes(name)
    ? name as Phase
    : PHASE_ALIASES[name] ?? null;
  if (phase === null) {
    throw bad(input, `unknown phase "${m[1]}"`, `use one of ${KNOWN_PHASES}, e.g. ttfb.p95<=300ms`);
  }
  return { phase, metric: m[2]! };
}

/**
 * Parses one rule such as `p95<=800ms` or `ttfb.p95<=300ms`: the rule text
 * itself, after any scope a caller strips first.
 *
 * @throws {SyntaxError} naming the bad token and the fix.
 *
 * @example
 * ```ts
 * import { parseSlaRule } from "./sla.ts";
 * parseSlaRule("p95<=800ms").limit; // 800
 * ```
 */
export function parseSlaRule(input: string): SlaRule {
  const text = input.replace(/\s+/g, "");
  const m = /^([A-Za-z_][A-Za-z_0-9.()]*)(<=|>=|<|>|==|=)(.*)$/.exec(text);
  if (!m) {
    throw bad(input, "no comparison operator found", "write e.g. p95<=800ms, error_rate<1%");
  }
  const [, fullMetric = "", op = "", rawValue = ""] = m;
  if (op === "=" || op === "==") {
    throw bad(input, `operator "${op}" is not supported`, "use <, <=, > or >=");
  }
  const { phase, metric: rawMetric } = splitPhase(input, fullMetric);
  const metric = rawMetric.toLowerCase().replace(/^p\((\d+(?:\.\d+)?)\)$/, "p$1");
  if (rawValue === "") throw bad(input, "missing value after the operator", "write e.g. 800ms");
  const pm = /^p(\d+(?:\.\d+)?)$/.exec(metric);
  if (phase !== null && !pm && metric !== "med") {
    throw bad(
      input,
      `a phase rule takes a percentile, not "${rawMetric}"`,
      `write e.g. ${phase}.p95<=300ms or ${phase}.p99<=500ms`,
    );
  }
  if (
    pm || metric === "mean" || metric === "avg" || metric === "min" || metric === "max" ||
    metric === "med"
  ) {
    let quantile: number | null = null;
    if (pm) {
      quantile = Number(pm[1]);
      if (!(quantile > 0 && quantile <= 100)) {
        throw bad(
          input,
          `percentile "${rawMetric}" is out of range`,
          "use p1 to p100, e.g. p95 or p99.9",
        );
      }
    }
    if (metric === "med") quantile = 50;
    let limit: number;
    try {
      limit = parseDuration(rawValue);
    } catch {
      throw bad(
        input,
        `"${rawValue}" is not a duration`,
        "use a number with ms or s, e.g. 800ms or 1.5s",
      );
    }
    return {
      text,
      kind: "latency",
      metric: metric === "avg" ? "mean" : metric === "med" ? "p50" : metric,
      phase,
      quantile,
      op: op as SlaOp,
      limit,
    };
  }
  if (metric === "error_rate" || metric === "errors") {
    const v = /^(\d+(?:\.\d+)?)(%?)$/.exec(rawValue);
    if (!v) {
      throw bad(
        input,
        `"${rawValue}" is not a rate`,
        "use a percentage like 1% or a fraction like 0.01",
      );
    }
    const limit = v[2] === "%" ? Number(v[1]) / 100 : Number(v[1]);
    if (limit > 1) throw bad(input, `"${rawValue}" is above 100%`, "use a value from 0% to 100%");
    return {
      text,
      kind: "error_rate",
      metric: "error_rate",
      phase: null,
      quantile: null,
      op: op as SlaOp,
      limit,
    };
  }
  if (metric === "throughput" || metric === "rps" || metric === "rate") {
    const v = /^(\d+(?:\.\d+)?)(\/s|rps)?$/.exec(rawValue);
    if (!v) throw bad(input, `"${rawValue}" is not a rate`, "use requests per second like 100/s");
    return {
      text,
      kind: "throughput",
      metric: "throughput",
      phase: null,
      quantile: null,
      op: op as SlaOp,
      limit: Number(v[1]),
    };
  }
  throw bad(
    input,
    `unknown metric "${rawMetric}"`,
    "use pNN (p95, p99.9), mean, min, max, error_rate or throughput, optionally after a phase (ttfb.p95)",
  );
}

/**
 * Measured value of a rule's metric in a summary. Percentiles other than the
 * summary's fixed ones need the sorted latencies.
 */
function measure(rule: SlaRule, s: Summary, sorted?: ArrayLike<number>): number | null {
  if (rule.kind === "error_rate") return s.error_rate;
  if (rule.kind === "throughput") return s.throughput_rps;
  switch (rule.metric) {
    case "mean":
      return s.mean_ms;
    case "min":
      return s.min_ms;
    case "max":
      return s.max_ms;
  }
  const fixed: Record<string, number | null> = {
    p50: s.p50_ms,
    p90: s.p90_ms,
    p95: s.p95_ms,
    p99: s.p99_ms,
    "p99.9": s.p999_ms,
    p100: s.max_ms,
  };
  if (rule.metric in fixed) return fixed[rule.metric] ?? null;
  if (!sorted) {
    throw new TypeError(
      `Cannot evaluate "${rule.text}": pass the sorted latencies for ${rule.metric}`,
    );
  }
  return percentile(sorted, rule.quantile ?? 100);
}

/** Why no request of a run has a phase, in words. */
const NO_PHASE: Record<Phase, string> = {
  connect:
    "every request reused a connection, or the client cannot time the connect (the fetch profiles, other tools' files)",
  tls:
    "no request opened a TLS connection (plain http://, or every request reused one), or the client cannot time the handshake",
  ttfb: "no response's headers were timed",
  first_body:
    "no response had a body byte, or the client did not time it (the fetch profiles time it only for streamed bodies: no Content-Length, or over 1 MiB; fast and fast-h2 time every body)",
};

/**
 * Evaluates a rule against a summary. By default on the point estimate: a
 * latency rule with no successful requests fails (there is nothing that
 * meets it). With `confidence` (a one-sided level such as 0.95) and the
 * sorted latencies, percentile rules get a distribution-free verdict from
 * `confidence.ts`: `pass` when the confidence bound meets the limit, `fail`
 * when the opposite bound breaks it, otherwise `inconclusive`.
 *
 * A phase rule (`ttfb.p95<=300ms`) is judged on `phases`' values of that
 * phase the same way, n being the requests that have it; when none has it
 * the verdict is `inconclusive` with a `note` saying why (no data is not
 * zero).
 *
 * @example
 * ```ts
 * import { evaluateSla, parseSlaRule } from "./sla.ts";
 * import { summarize } from "./summary.ts";
 * evaluateSla(parseSlaRule("p95<=800ms"), summarize([])).passed; // false
 * evaluateSla(parseSlaRule("tls.p95<=80ms"), summarize([]), [], 0.95, { sorted: () => [] }).verdict;
 * // "inconclusive"
 * ```
 */
export function evaluateSla(
  rule: SlaRule,
  summary: Summary,
  sorted?: ArrayLike<number>,
  confidence?: number | "off",
  phases?: PhaseSource,
): SlaResult {
  if (rule.phase !== null) return evaluatePhase(rule, rule.phase, phases, confidence);
  const value = measure(rule, summary, sorted);
  const unit: SlaResult["unit"] = rule.kind === "latency"
    ? "ms"
    : rule.kind === "error_rate"
    ? "ratio"
    : "rps";
  const base = {
    rule: rule.text,
    metric: rule.metric,
    op: rule.op,
    limit: rule.limit,
    value,
    unit,
  };
  if (
    typeof confidence === "number" && rule.quantile !== null && sorted !== undefined &&
    sorted.length > 0
  ) {
    return { ...base, ...withConfidence(rule, rule.quantile, sorted, confidence) };
  }
  // No data is no verdict: a rule over a run with no measured request neither passes nor fails.
  // (Requests that all failed are data: a latency rule then fails.)
  if (summary.count === 0) return { ...base, passed: false, verdict: "inconclusive" };
  const passed = value !== null && meetsLimit(value, rule.op, rule.limit);
  return { ...base, passed, verdict: passed ? "pass" : "fail" };
}

function withConfidence(
  rule: SlaRule,
  quantile: number,
  sorted: ArrayLike<number>,
  confidence: number,
): Pick<SlaResult, "passed" | "verdict" | "confidence"> {
  const v = slaVerdict(sorted, { quantile, op: rule.op, limit: rule.limit }, confidence);
  const detail: NonNullable<SlaResult["confidence"]> = {
    level: confidence,
    n: v.n,
    lower: v.lower,
    upper: v.upper,
  };
  if (v.minSamples !== undefined) detail.minSamples = v.minSamples;
  return { passed: v.verdict === "pass", verdict: v.verdict, confidence: detail };
}

/** A phase rule: the phase's values, n = requests that have the phase; none is no verdict. */
function evaluatePhase(
  rule: SlaRule,
  phase: Phase,
  phases: PhaseSource | undefined,
  confidence: number | "off" | undefined,
): SlaResult {
  const sorted = phases?.sorted(phase) ?? [];
  const quantile = rule.quantile ?? 100;
  const value = percentile(sorted, quantile);
  const base = {
    rule: rule.text,
    metric: rule.metric,
    phase,
    op: rule.op,
    limit: rule.limit,
    value,
    unit: "ms" as const,
  };
  if (sorted.length === 0) {
    return {
      ...base,
      passed: false,
      verdict: "inconclusive",
      note: `no request of the run has a ${phase} phase: ${NO_PHASE[phase]}`,
    };
  }
  if (typeof confidence === "number") {
    return { ...base, ...withConfidence(rule, quantile, sorted, confidence) };
  }
  const passed = value !== null && meetsLimit(value, rule.op, rule.limit);
  return { ...base, passed, verdict: passed ? "pass" : "fail" };
}

/**
 * The verdict of a set of rules: `fail` when any rule failed, else
 * `inconclusive` when any could not be decided, else `pass` (also for no rules).
 *
 * @example
 * ```ts
 * import { evaluateSla, overallVerdict, parseSlaRule } from "./sla.ts";
 * import { summarize } from "./summary.ts";
 * overallVerdict([evaluateSla(parseSlaRule("p95<=800ms"), summarize([]))]); // "fail"
 * ```
 */
export function overallVerdict(results: readonly Pick<SlaResult, "verdict">[]): SlaVerdictKind {
  if (results.some((r) => r.verdict === "fail")) return "fail";
  if (results.some((r) => r.verdict === "inconclusive")) return "inconclusive";
  return "pass";
}

/**
 * The exit code of a set of SLA verdicts: 1 when any rule failed, 3 when
 * none failed but one is inconclusive, else 0.
 *
 * @example
 * ```ts
 * import { slaExitCode } from "./sla.ts";
 * slaExitCode([{ verdict: "inconclusive" }, { verdict: "pass" }]); // 3
 * ```
 */
export function slaExitCode(results: readonly Pick<SlaResult, "verdict">[]): 0 | 1 | 3 {
  const v = overallVerdict(results);
  return v === "fail" ? 1 : v === "inconclusive" ? 3 : 0;
}
