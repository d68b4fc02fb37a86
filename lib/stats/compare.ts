/**
 * A/B deltas between two run summaries. Pure.
 *
 * @module
 */
import type { Summary } from "./summary.ts";

/** Latency metrics compared, as keys of {@linkcode Summary}. */
export const COMPARED_METRICS = [
  "mean_ms",
  "p50_ms",
  "p90_ms",
  "p95_ms",
  "p99_ms",
  "p999_ms",
  "max_ms",
] as const;

/** One metric's change from A (baseline) to B (candidate). */
export interface MetricDelta {
  baseline: number | null;
  candidate: number | null;
  /** `candidate - baseline` in ms; negative is faster. */
  delta_ms: number | null;
  /** `(baseline - candidate) / baseline × 100`; positive means B is faster. */
  improvement_pct: number | null;
}

/** Per-metric deltas, plus throughput and error-rate changes. */
export type Improvement =
  & Record<typeof COMPARED_METRICS[number], MetricDelta>
  & {
    throughput_rps: { baseline: number; candidate: number; change_pct: number | null };
    error_rate: { baseline: number; candidate: number; delta: number };
  };

/**
 * Computes per-metric deltas and improvement percentages from A to B.
 *
 * @example
 * ```ts
 * import { compareSummaries } from "./compare.ts";
 * import { summarize } from "./summary.ts";
 * compareSummaries(summarize([]), summarize([])).p95_ms.delta_ms; // null
 * ```
 */
export function compareSummaries(a: Summary, b: Summary): Improvement {
  const out: Partial<Improvement> = {};
  for (const k of COMPARED_METRICS) {
    const x = a[k];
    const y = b[k];
    out[k] = {
      baseline: x,
      candidate: y,
      delta_ms: x === null || y === null ? null : y - x,
      improvement_pct: x === null || y === null || x === 0 ? null : ((x - y) / x) * 100,
    };
  }
  out.throughput_rps = {
    baseline: a.throughput_rps,
    candidate: b.throughput_rps,
    change_pct: a.throughput_rps > 0
      ? ((b.throughput_rps - a.throughput_rps) / a.throughput_rps) * 100
      : null,
  };
  out.error_rate = {
    baseline: a.error_rate,
    candidate: b.error_rate,
    delta: b.error_rate - a.error_rate,
  };
  return out as Improvement;
}
