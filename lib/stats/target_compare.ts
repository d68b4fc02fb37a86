/**
 * Per-target A/B deltas: two runs' records split by target name, matched by
 * name, and each pair compared with the block bootstrap of `bootstrap.ts`.
 * Pure.
 *
 * @module
 */
import { isSuccess, type RequestRecord } from "../record.ts";
import { deriveSeed } from "../rng.ts";
import {
  blockBootstrapCompare,
  type BootstrapOptions,
  type ComparisonVerdict,
  type MetricComparison,
  timeOrdered,
} from "./bootstrap.ts";

/** One target's A/B comparison. */
export interface TargetDelta {
  name: string;
  /** Measured requests (warm-up excluded) of the target in each run. */
  countA: number;
  countB: number;
  /** B − A per metric with its interval; empty when a side has fewer than 2 successes. */
  metrics: MetricComparison[];
  /** The primary metric's verdict, or `null` when not compared. */
  verdict: ComparisonVerdict | null;
  confidence: number;
}

interface Side {
  count: number;
  starts: number[];
  latencies: number[];
  ids: number[];
}

/**
 * Each target's measured requests and the start, latency and id of its
 * successes: what a per-target bootstrap resamples. Records without a
 * target and warm-up records are left out.
 *
 * @example
 * ```ts
 * import { TargetSeries } from "./target_compare.ts";
 * new TargetSeries().names; // []
 * ```
 */
export class TargetSeries {
  #sides = new Map<string, Side>();

  /** Adds one record. */
  add(r: RequestRecord): void {
    if (r.warmup || r.target === "") return;
    let s = this.#sides.get(r.target);
    if (s === undefined) {
      this.#sides.set(r.target, s = { count: 0, starts: [], latencies: [], ids: [] });
    }
    s.count++;
    if (!isSuccess(r)) return;
    s.starts.push(r.startedMs);
    s.latencies.push(r.latencyMs);
    s.ids.push(r.id);
  }

  /** The target names, in order of first appearance. */
  get names(): string[] {
    return [...this.#sides.keys()];
  }

  /** One target's measured count and its successes' latencies in start-time order. */
  side(name: string): { count: number; series: Float64Array } | undefined {
    const s = this.#sides.get(name);
    return s && { count: s.count, series: timeOrdered(s.starts, s.latencies, s.ids) };
  }
}

/** The {@linkcode TargetSeries} of a list of records. */
function split(records: Iterable<RequestRecord>): TargetSeries {
  const t = new TargetSeries();
  for (const r of records) t.add(r);
  return t;
}

/**
 * Compares two runs (records, or their {@linkcode TargetSeries}) target by
 * target, matched by name: every target of
 * either run, in order of first appearance in A then B. A target present in
 * only one run, or with fewer than 2 successes on a side, gets its counts
 * and no metrics. Each target's bootstrap draws from its own seed, derived
 * from `options.seed` and the target's position.
 *
 * @example
 * ```ts
 * import { compareTargets } from "./target_compare.ts";
 * compareTargets([], [], { resamples: 100 }); // []
 * ```
 */
export function compareTargets(
  a: Iterable<RequestRecord> | TargetSeries,
  b: Iterable<RequestRecord> | TargetSeries,
  options: BootstrapOptions = {},
): TargetDelta[] {
  const sa = a instanceof TargetSeries ? a : split(a);
  const sb = b instanceof TargetSeries ? b : split(b);
  const names = [...new Set([...sa.names, ...sb.names])];
  const confidence = options.confidence ?? 0.95;
  return names.map((name, k) => {
    const x = sa.side(name);
    const y = sb.side(name);
    const base = { name, countA: x?.count ?? 0, countB: y?.count ?? 0, confidence };
    if (!x || !y || x.series.length < 2 || y.series.length < 2) {
      return { ...base, metrics: [], verdict: null };
    }
    const cmp = blockBootstrapCompare(x.series, y.series, {
      ...options,
      seed: deriveSeed(options.seed ?? 1, k),
    });
    return { ...base, metrics: cmp.metrics, verdict: cmp.verdict };
  });
}
