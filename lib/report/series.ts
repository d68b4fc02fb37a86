/**
 * The chart data of the HTML report, computed from records: a percentile
 * curve on a common log-scale grid, a histogram on common bins, and latency
 * over time in common buckets. Pure. `report_html.ts` only draws this.
 *
 * @module
 */
import { isSuccess, type RequestRecord } from "../record.ts";
import { percentile } from "../stats/summary.ts";

/** One run's records, named for the legend. */
export interface NamedRun {
  name: string;
  records: readonly RequestRecord[];
}

/**
 * The percentile curve in the HdrHistogram style: `x` is 1 / (1 − p), so
 * P50 → 2, P90 → 10, P99 → 100, P99.9 → 1000 on a log axis. A run's value
 * is `null` beyond its resolution (x > its sample size).
 */
export interface PercentileCurve {
  x: number[];
  /** The percentile of each x, in percent. */
  percent: number[];
  series: { name: string; valuesMs: (number | null)[] }[];
}

/** A latency histogram on bins shared by all runs. */
export interface Histogram {
  /** Bin edges in ms, `bins + 1` of them (log-spaced when all latencies are > 0). */
  edgesMs: number[];
  /** Per run: the count and the share of its requests in each bin. */
  series: { name: string; counts: number[]; shares: number[] }[];
}

/** Latency over time, in buckets of `bucketS` seconds from each run's start. */
export interface OverTime {
  /** Bucket start, seconds since the run's first scheduled request. */
  x: number[];
  bucketS: number;
  series: {
    name: string;
    p50Ms: (number | null)[];
    maxMs: (number | null)[];
    errors: number[];
  }[];
}

/** Everything the HTML report's charts draw. */
export interface ChartData {
  percentiles: PercentileCurve;
  histogram: Histogram;
  overTime: OverTime;
}

function successLatencies(records: readonly RequestRecord[]): Float64Array {
  const xs = records.filter((r) => !r.warmup && isSuccess(r)).map((r) => r.latencyMs);
  return Float64Array.from(xs).sort();
}

/** Steps per decade of the percentile grid. */
const GRID_STEPS = 20;

function percentileCurve(runs: readonly NamedRun[], sorted: Float64Array[]): PercentileCurve {
  const maxN = Math.max(1, ...sorted.map((s) => s.length));
  const x: number[] = [];
  for (let k = 0; Math.pow(10, k / GRID_STEPS) <= maxN * (1 + 1e-9); k++) {
    x.push(Math.pow(10, k / GRID_STEPS));
  }
  const percent = x.map((v) => 100 * (1 - 1 / v));
  return {
    x,
    percent,
    series: runs.map((run, i) => {
      const s = sorted[i] as Float64Array;
      return {
        name: run.name,
        valuesMs: x.map((v, j) =>
          s.length > 0 && v <= s.length * (1 + 1e-9) ? percentile(s, percent[j] as number) : null
        ),
      };
    }),
  };
}

function histogram(runs: readonly NamedRun[], sorted: Float64Array[], bins: number): Histogram {
  let lo = Infinity, hi = -Infinity;
  for (const s of sorted) {
    if (s.length === 0) continue;
    lo = Math.min(lo, s[0] as number);
    hi = Math.max(hi, s[s.length - 1] as number);
  }
  if (!Number.isFinite(lo)) {
    return { edgesMs: [], series: runs.map((r) => ({ name: r.name, counts: [], shares: [] })) };
  }
  if (hi <= lo) hi = lo + 1;
  const log = lo > 0;
  const edgesMs: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const f = i / bins;
    edgesMs.push(log ? lo * Math.pow(hi / lo, f) : lo + (hi - lo) * f);
  }
  const binOf = (v: number): number => {
    const f = log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
    return Math.min(bins - 1, Math.max(0, Math.floor(f * bins)));
  };
  return {
    edgesMs,
    series: runs.map((run, i) => {
      const s = sorted[i] as Float64Array;
      const counts = new Array<number>(bins).fill(0);
      for (const v of s) counts[binOf(v)]! += 1;
      return { name: run.name, counts, shares: counts.map((c) => (s.length ? c / s.length : 0)) };
    }),
  };
}

/** A step of 1, 2 or 5 × 10^k seconds giving at most `maxBuckets` buckets. */
function niceStep(spanS: number, maxBuckets: number): number {
  const raw = Math.max(spanS / maxBuckets, 0.001);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function overTime(runs: readonly NamedRun[], maxBuckets: number): OverTime {
  const starts = runs.map((r) => r.records.reduce((m, x) => Math.min(m, x.scheduledMs), Infinity));
  const span = Math.max(
    0,
    ...runs.map((r, i) =>
      r.records.reduce(
        (m, x) => Math.max(m, x.scheduledMs + x.latencyMs - (starts[i] as number)),
        0,
      )
    ),
  ) / 1000;
  const bucketS = niceStep(span, maxBuckets);
  const count = Math.max(1, Math.ceil(span / bucketS + 1e-9));
  const x = Array.from({ length: count }, (_, i) => i * bucketS);
  return {
    x,
    bucketS,
    series: runs.map((run, i) => {
      const buckets: number[][] = Array.from({ length: count }, () => []);
      const errors = new Array<number>(count).fill(0);
      for (const r of run.records) {
        const b = Math.min(
          count - 1,
          Math.floor((r.scheduledMs - (starts[i] as number)) / 1000 / bucketS),
        );
        if (isSuccess(r)) buckets[b]!.push(r.latencyMs);
        else errors[b]! += 1;
      }
      const p50Ms: (number | null)[] = [];
      const maxMs: (number | null)[] = [];
      for (const b of buckets) {
        const s = Float64Array.from(b).sort();
        p50Ms.push(percentile(s, 50));
        maxMs.push(s.length ? s[s.length - 1] as number : null);
      }
      return { name: run.name, p50Ms, maxMs, errors };
    }),
  };
}

/**
 * Computes the chart data of one or more runs. Percentiles and the
 * histogram use successful, non-warm-up requests (as `summarize()` does);
 * the time series shows every request, warm-up included, to make warm-up
 * visible.
 *
 * @param options.bins Histogram bins (default 40).
 * @param options.maxBuckets Most time buckets (default 120).
 *
 * @example
 * ```ts
 * import { buildChartData } from "./series.ts";
 * const records = [5, 7, 9].map((latencyMs, id) => ({
 *   id, scheduledMs: id * 10, startedMs: id * 10, latencyMs, ttfbMs: null,
 *   status: 200, bytes: 0, error: "" as const, warmup: false, worker: 0,
 * }));
 * buildChartData([{ name: "A", records }]).percentiles.series[0]?.valuesMs[0]; // 5
 * ```
 */
export function buildChartData(
  runs: readonly NamedRun[],
  options: { bins?: number; maxBuckets?: number } = {},
): ChartData {
  const sorted = runs.map((r) => successLatencies(r.records));
  return {
    percentiles: percentileCurve(runs, sorted),
    histogram: histogram(runs, sorted, options.bins ?? 40),
    overTime: overTime(runs, options.maxBuckets ?? 120),
  };
}
