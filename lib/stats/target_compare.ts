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

function split(records: Iterable<RequestRecord>): Map<string, Side> {
  const out = new Map<string, Side>();
  for (const r of records) {
    if (r.warmup || r.target === "") continue;
    let s = out.get(r.target);
    if (s === undefined) out.set(r.target, s = { count: 0, starts: [], latencies: [], ids: [] });
    s.count++;
    if (!isSuccess(r)) continue;
    s.starts.push(r.startedMs);
    s.latencies.push(r.latencyMs);
    s.ids.push(r.id);
  }
  return out;
}

/**
 * Compares two runs target by target, matched by name: every target of
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
  a: Iterable<RequestRecord>,
  b: Iterable<RequestRecord>,
  options: BootstrapOptions = {},
): TargetDelta[] {
  const sa = split(a);
  const sb = split(b);
  const names = [...new Set([...sa.keys(), ...sb.keys()])];
  const confidence = options.confidence ?? 0.95;
  return names.map((name, k) => {
    const x = sa.get(name);
    const y = sb.get(name);
    const base = { name, countA: x?.count ?? 0, countB: y?.count ?? 0, confidence };
    if (!x || !y || x.latencies.length < 2 || y.latencies.length < 2) {
      return { ...base, metrics: [], verdict: null };
    }
    const cmp = blockBootstrapCompare(
      timeOrdered(x.starts, x.latencies, x.ids),
      timeOrdered(y.starts, y.latencies, y.ids),
      { ...options, seed: deriveSeed(options.seed ?? 1, k) },
    );
    return { ...base, metrics: cmp.metrics, verdict: cmp.verdict };
  });
}
