/**
 * The statistics of a client ladder: several rungs (clients), each one
 * client change away from the previous, run with the same requests in
 * interleaved blocks. Per rung: counts, percentiles and the SLA verdict; per
 * adjacent step: the change of P50/P95/P99 with a block-bootstrap
 * confidence interval (`bootstrap.ts`, the same resampling as the A/B
 * comparison) and a verdict, plus, when the mock's `/stats` of each rung is
 * known, the split of the step's difference into connection setup and the
 * rest (by the caller's `attribute`, the suite's attribution), and, when
 * the records carry the client's phases, the same split from those
 * (`setup_split.ts`), which needs no server. Pure: no
 * clock, no I/O; the same records and seed give the same ladder.
 *
 * Each step is its own pre-declared comparison (rung k against rung k + 1,
 * verdict on `primary`, P95 by default); with three steps, the chance that at
 * least one of them calls pure noise a difference is up to about 3 × 5%.
 *
 * @module
 */
import { isSuccess, type RequestRecord } from "../record.ts";
import type { Attribution } from "./attribution.ts";
import {
  blockBootstrapCompare,
  type BootstrapComparison,
  type BootstrapMetric,
  type BootstrapOptions,
  chooseBlockLength,
  type ComparisonVerdict,
  type MetricComparison,
  timeOrdered,
} from "./bootstrap.ts";
import { deriveSeed } from "../rng.ts";
import { percentileInterval } from "./confidence.ts";
import { overallVerdict, type SlaResult, type SlaRule } from "./sla.ts";
import { evaluateScoped, judgedOf } from "./scoped_sla.ts";
import { TargetBuilders } from "./by_target.ts";
import { type SetupSplit, splitSetup } from "./setup_split.ts";
import { type Summary, SummaryBuilder } from "./summary.ts";

/** One rung's measurements as the ladder needs them. */
export interface LadderRungInput {
  /** Rung name, e.g. `no-reuse`. */
  name: string;
  /** Every record of the rung (all its blocks, any order); warm-up records are ignored. */
  records: readonly RequestRecord[];
  /** The mock's `/stats` for this rung (summed over its blocks), when measured against the mock. */
  mockStats?: unknown;
}

/** Options of {@linkcode computeLadder}. */
export interface LadderOptions {
  /** SLA rules judged on every rung (a `scope` judges one target's requests). */
  rules: readonly (SlaRule & { scope?: string | null })[];
  /** One-sided level of the SLA verdicts, or `"off"` to gate on point values. */
  confidence: number | "off";
  /** Bootstrap options of every step (seed, resamples, two-sided level, primary metric). */
  bootstrap?: BootstrapOptions;
  /** Most requests in flight (the concurrency), bounding HTTP/2 setup waiters in the attribution. */
  concurrency?: number;
  /**
   * Requests per interleaved block. When set (and the bootstrap's block
   * length is `"auto"`), each step resamples blocks of at least this many
   * requests (capped at a third of the shorter rung), see
   * {@linkcode stepBlockLength}.
   */
  interleaveBlock?: number;
  /**
   * Splits the difference from side `a` to side `b` into connection setup
   * and the rest (the suite's attribution from the mock's stats). Called for
   * each step whose rungs both have `mockStats`; a throw or `null` leaves
   * the step without attribution.
   */
  attribute?: (a: LadderSide, b: LadderSide) => Attribution | null;
}

/** One rung as the attribution sees it. */
export interface LadderSide {
  name: string;
  summary: Summary;
  /** The rung's mock `/stats`. */
  stats: unknown;
  /** The concurrency, when known. */
  maxInFlight: number | null;
}

/** The SLA verdict of one rung: `fail` if any rule fails, else `inconclusive` if any is. */
export type LadderSlaVerdict = "pass" | "fail" | "inconclusive";

/** One rung's statistics. */
export interface LadderRung {
  name: string;
  /** Requests measured (failures included). */
  count: number;
  errors: number;
  successes: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  /** Two-sided distribution-free interval of P95 (order statistics) at the bootstrap level. */
  p95_ci_ms: [number | null, number | null];
  sla: SlaResult[];
  sla_verdict: LadderSlaVerdict;
  sla_passed: boolean;
  summary: Summary;
}

/** One metric of a step: B − A in ms, its interval and verdict. */
export interface LadderDelta {
  delta_ms: number;
  ci_ms: [number, number];
  verdict: ComparisonVerdict;
}

/** One adjacent step of the ladder (from rung k to rung k + 1). */
export interface LadderStep {
  from: string;
  to: string;
  delta_p50_ms: number | null;
  ci_p50_ms: [number, number] | null;
  verdict_p50: ComparisonVerdict | null;
  delta_p95_ms: number | null;
  ci_p95_ms: [number, number] | null;
  verdict_p95: ComparisonVerdict | null;
  delta_p99_ms: number | null;
  ci_p99_ms: [number, number] | null;
  verdict_p99: ComparisonVerdict | null;
  /** The headline verdict: that of the primary metric, `null` with fewer than 2 successes on a side. */
  verdict: ComparisonVerdict | null;
  primary: BootstrapMetric;
  /** Two-sided level of the intervals. */
  confidence: number;
  /** The full bootstrap comparison, `null` when a side has fewer than 2 successes. */
  bootstrap: BootstrapComparison | null;
  /** Connection setup vs the rest, when both rungs have mock stats with connection counts. */
  attribution: Attribution | null;
  /**
   * Connection setup vs the rest from the client's own phases (connect +
   * TLS per request), when both rungs have them (`setup_split.ts`).
   */
  setup_split: SetupSplit | null;
}

/** The result of {@linkcode computeLadder}. */
export interface Ladder {
  rungs: LadderRung[];
  steps: LadderStep[];
}

/**
 * Successful, measured latencies in start-time order (ties by id): the
 * series the block bootstrap resamples.
 *
 * @example
 * ```ts
 * import { timeOrderedSuccesses } from "./ladder.ts";
 * const r = (id: number, startedMs: number, latencyMs: number) => ({ id, scheduledMs: startedMs,
 *   startedMs, latencyMs, ttfbMs: null, status: 200, bytes: 0, error: "" as const, warmup: false, worker: 0 });
 * timeOrderedSuccesses([r(1, 5, 30), r(0, 2, 10)]); // Float64Array [10, 30]
 * ```
 */
export function timeOrderedSuccesses(records: readonly RequestRecord[]): Float64Array {
  const ok = records.filter((r) => !r.warmup && isSuccess(r));
  return timeOrdered(ok.map((r) => r.startedMs), ok.map((r) => r.latencyMs), ok.map((r) => r.id));
}

/** One rung's figures; `series` is its {@linkcode timeOrderedSuccesses}, made once for the steps too. */
function rungOf(
  input: LadderRungInput,
  series: Float64Array,
  options: LadderOptions,
  level: number,
): LadderRung {
  const builder = new SummaryBuilder();
  for (const r of input.records) builder.add(r);
  const summary = builder.summary();
  const sorted = series.slice().sort();
  // A rule scoped to a target (suite --targets --ladder) judges that target's requests alone.
  // Split by target once, at the first scoped rule, whatever the number of scoped rules.
  let byTarget: TargetBuilders | undefined;
  const sla = evaluateScoped(options.rules, { summary, sorted, phases: builder.phases }, (name) => {
    if (byTarget === undefined) {
      byTarget = new TargetBuilders();
      for (const r of input.records) byTarget.add(r);
    }
    const b = byTarget.builder(name);
    return b && judgedOf(b);
  }, options.confidence);
  const ci = sorted.length > 0 ? percentileInterval(sorted, 95, level) : null;
  const verdict: LadderSlaVerdict = overallVerdict(sla);
  return {
    name: input.name,
    count: summary.count,
    errors: summary.errors,
    successes: summary.successes,
    mean_ms: summary.mean_ms,
    p50_ms: summary.p50_ms,
    p95_ms: summary.p95_ms,
    p99_ms: summary.p99_ms,
    p95_ci_ms: [ci?.lower ?? null, ci?.upper ?? null],
    sla,
    sla_verdict: verdict,
    sla_passed: verdict === "pass",
    summary,
  };
}

function deltaOf(m: MetricComparison | undefined): LadderDelta | null {
  if (m === undefined) return null;
  return { delta_ms: m.delta, ci_ms: [m.lower, m.upper], verdict: m.verdict };
}

function attributionOf(
  from: LadderRungInput,
  to: LadderRungInput,
  a: LadderRung,
  b: LadderRung,
  options: LadderOptions,
): Attribution | null {
  if (!options.attribute || from.mockStats === undefined || to.mockStats === undefined) {
    return null;
  }
  const side = (r: LadderRung, stats: unknown): LadderSide => ({
    name: r.name,
    summary: r.summary,
    stats,
    maxInFlight: options.concurrency ?? null,
  });
  try {
    return options.attribute(side(a, from.mockStats), side(b, to.mockStats));
  } catch {
    return null; // the stats lacked connection counts: nothing to attribute
  }
}

/**
 * The bootstrap block length of one step of interleaved rungs: the larger of
 * the automatic rule for either rung and the interleave block, capped at a
 * third of the shorter rung (so a resample still mixes at least three
 * blocks).
 *
 * Why: each rung's block j runs at its own time, so whatever hit the
 * machine during that block (another job's burst, a GC pause) hits all of
 * its requests and none of the other rung's. Latencies within an interleave
 * block are correlated by that shared moment, which the lag-1 rule of
 * `chooseBlockLength` underestimates (it sees neighbours, not a shift of a
 * whole block); resampling whole interleave blocks keeps it, as a cluster
 * bootstrap would. On a busy machine this turned a "regressed" verdict
 * caused by one slow block (a 5× P50 in one of eight) into "no significant
 * difference".
 *
 * @example
 * ```ts
 * import { stepBlockLength } from "./ladder.ts";
 * const a = new Float64Array(400).fill(1);
 * stepBlockLength(a, a, 50); // 50
 * stepBlockLength(a, a, 400); // 133 (a third of 400)
 * ```
 */
export function stepBlockLength(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  interleaveBlock: number,
): number {
  const cap = Math.max(1, Math.floor(Math.min(a.length, b.length) / 3));
  return Math.max(
    1,
    Math.min(cap, Math.max(chooseBlockLength(a), chooseBlockLength(b), interleaveBlock)),
  );
}

/**
 * Computes the ladder: per rung the counts, P50/P95/P99 (nearest rank), a
 * P95 interval and the SLA verdict; per adjacent step the block-bootstrap
 * change of P50/P95/P99 (B − A: negative is faster) with its interval and
 * verdict, and the setup/other attribution when mock stats and `attribute` are given.
 * Step k's bootstrap seed is derived from the option seed and k, so steps
 * resample independently and reproducibly.
 *
 * @throws {RangeError} for fewer than 2 rungs, duplicate rung names, or a bad bootstrap option.
 *
 * @example
 * ```ts
 * import { computeLadder } from "./ladder.ts";
 * import { parseSlaRule } from "./sla.ts";
 * const rec = (id: number, latencyMs: number) => ({ id, scheduledMs: id, startedMs: id, latencyMs,
 *   ttfbMs: null, status: 200, bytes: 0, error: "" as const, warmup: false, worker: 0 });
 * const slow = Array.from({ length: 200 }, (_, i) => rec(i, 300 + (i * 37) % 50));
 * const fast = Array.from({ length: 200 }, (_, i) => rec(i, 150 + (i * 37) % 50));
 * const ladder = computeLadder([{ name: "a", records: slow }, { name: "b", records: fast }], {
 *   rules: [parseSlaRule("p95<=800ms")], confidence: 0.95, bootstrap: { resamples: 200 } });
 * ladder.steps[0]?.verdict; // "improved"
 * ```
 */
export function computeLadder(
  rungs: readonly LadderRungInput[],
  options: LadderOptions,
): Ladder {
  if (rungs.length < 2) {
    throw new RangeError(`Cannot compute a ladder: it needs at least 2 rungs, got ${rungs.length}`);
  }
  const names = new Set<string>();
  for (const r of rungs) {
    if (names.has(r.name)) {
      throw new RangeError(`Cannot compute a ladder: rung "${r.name}" appears twice`);
    }
    names.add(r.name);
  }
  const boot = options.bootstrap ?? {};
  const level = boot.confidence ?? 0.95;
  const primary = boot.primary ?? "p95";
  const seed = boot.seed ?? 1;
  const series = rungs.map((r) => timeOrderedSuccesses(r.records));
  const stats = rungs.map((r, k) => rungOf(r, series[k]!, options, level));
  const steps: LadderStep[] = [];
  for (let k = 0; k + 1 < rungs.length; k++) {
    const a = series[k] as Float64Array;
    const b = series[k + 1] as Float64Array;
    const blockLength = (boot.blockLength ?? "auto") === "auto" &&
        options.interleaveBlock !== undefined
      ? stepBlockLength(a, b, options.interleaveBlock)
      : boot.blockLength ?? "auto";
    const stepOptions = { ...boot, blockLength, seed: deriveSeed(seed, k) };
    const bootstrap = a.length >= 2 && b.length >= 2
      ? blockBootstrapCompare(a, b, stepOptions)
      : null;
    const find = (m: BootstrapMetric) => deltaOf(bootstrap?.metrics.find((x) => x.metric === m));
    const [p50, p95, p99] = [find("p50"), find("p95"), find("p99")];
    const ra = stats[k] as LadderRung;
    const rb = stats[k + 1] as LadderRung;
    steps.push({
      from: ra.name,
      to: rb.name,
      delta_p50_ms: p50?.delta_ms ?? null,
      ci_p50_ms: p50?.ci_ms ?? null,
      verdict_p50: p50?.verdict ?? null,
      delta_p95_ms: p95?.delta_ms ?? null,
      ci_p95_ms: p95?.ci_ms ?? null,
      verdict_p95: p95?.verdict ?? null,
      delta_p99_ms: p99?.delta_ms ?? null,
      ci_p99_ms: p99?.ci_ms ?? null,
      verdict_p99: p99?.verdict ?? null,
      verdict: bootstrap?.verdict ?? null,
      primary,
      confidence: level,
      bootstrap,
      attribution: attributionOf(
        rungs[k] as LadderRungInput,
        rungs[k + 1] as LadderRungInput,
        ra,
        rb,
        options,
      ),
      setup_split: splitSetup(
        { name: ra.name, records: rungs[k]!.records },
        { name: rb.name, records: rungs[k + 1]!.records },
        stepOptions,
      ),
    });
  }
  return { rungs: stats, steps };
}
