/**
 * A/B comparison of two runs by a seeded circular block bootstrap over time.
 * Pure: no clock, no I/O; the same inputs and seed give the same result.
 *
 * Why a block bootstrap: the latencies of one run are autocorrelated in
 * time — a slow period (GC pause, a busy neighbour, a congested queue)
 * makes neighbouring requests slow together. A plain bootstrap or a
 * Mann-Whitney test on all requests treats each request as independent
 * evidence, so it believes it has far more information than it does and
 * reports "significant" differences between two runs of the very same
 * system. Resampling whole blocks of consecutive requests keeps that
 * dependence inside each block, so the spread of the resampled statistic
 * reflects how much a run really varies. `tests/bootstrap_test.ts` shows it
 * on AR(1) latencies: the plain (block length 1) bootstrap calls most pairs
 * of identical runs different, the block bootstrap stays near the nominal 5%.
 *
 * Method (circular block bootstrap, Politis & Romano 1992): each run is
 * treated as a circle; a resample concatenates blocks of `L` consecutive
 * requests starting at uniform random positions until it has n requests.
 * The two runs are resampled independently; the delta (B − A) of each
 * statistic is computed per resample, and the confidence interval is the
 * percentile interval of those deltas.
 *
 * Block length rule ({@linkcode chooseBlockLength}): the AR(1) plug-in of
 * Politis & White (2004) for the circular block bootstrap,
 * L = (2ρ / (1 − ρ²))^(2/3) · n^(1/3), where ρ is the lag-1 autocorrelation
 * of the latencies' ranks (ranks so that one huge outlier cannot dominate),
 * with n^(1/3) as a floor (the rate-optimal order when ρ is small, and a
 * guard against dependence at longer lags) and n/3 as a ceiling.
 *
 * @module
 */
import { createRng, deriveSeed, type Rng } from "../rng.ts";
import { nearestRank } from "./percentile.ts";

/**
 * Values in start-time order: the series the block bootstrap resamples.
 * Ties in start time go by `ties` (e.g. request ids), else by position.
 *
 * @example
 * ```ts
 * import { timeOrdered } from "./bootstrap.ts";
 * timeOrdered([5, 2, 2], [30, 10, 20], [9, 4, 3]); // Float64Array [20, 10, 30]
 * ```
 */
export function timeOrdered(
  starts: ArrayLike<number>,
  values: ArrayLike<number>,
  ties?: ArrayLike<number>,
): Float64Array {
  const order = timeOrder(starts, ties, Math.min(starts.length, values.length));
  return Float64Array.from(order, (i) => values[i] as number);
}

/**
 * The positions of `starts` in start-time order (ties by `ties`, else by
 * position), for picking several series of the same requests with one sort
 * (`timeOrdered` picks one).
 *
 * @example
 * ```ts
 * import { timeOrder } from "./bootstrap.ts";
 * timeOrder([5, 2, 2], [9, 4, 3]); // [2, 1, 0]
 * ```
 */
export function timeOrder(
  starts: ArrayLike<number>,
  ties?: ArrayLike<number>,
  length: number = starts.length,
): number[] {
  const order = Array.from({ length }, (_, i) => i);
  const tie = ties === undefined
    ? (i: number, j: number) => i - j
    : (i: number, j: number) => (ties[i] as number) - (ties[j] as number);
  order.sort((i, j) => (starts[i] as number) - (starts[j] as number) || tie(i, j));
  return order;
}

/** Statistics the comparison reports. */
export type BootstrapMetric = "p50" | "p95" | "p99" | "mean";

/** Every metric, in report order. */
export const BOOTSTRAP_METRICS: readonly BootstrapMetric[] = ["p50", "p95", "p99", "mean"];

/** A comparison verdict; lower latency is better. */
export type ComparisonVerdict = "improved" | "regressed" | "no significant difference";

/** Options of {@linkcode blockBootstrapCompare}. */
export interface BootstrapOptions {
  /** Seed of the resampling; default 1. */
  seed?: number;
  /** Bootstrap resamples; default 2000. Cost is O(resamples · n). */
  resamples?: number;
  /** Two-sided confidence level of the intervals; default 0.95. */
  confidence?: number;
  /** Block length in requests, or `"auto"` (default) for {@linkcode chooseBlockLength}. */
  blockLength?: number | "auto";
  /** The metric that decides the headline verdict; default `"p95"`. */
  primary?: BootstrapMetric;
}

/** One metric's change from A (baseline) to B (candidate). */
export interface MetricComparison {
  metric: BootstrapMetric;
  /** The statistic of run A (nearest-rank percentiles, as `stats.ts`). */
  a: number;
  b: number;
  /** `b − a` in ms: negative means B is faster. */
  delta: number;
  /** `(b − a) / a`, `null` when `a` is 0. */
  relative: number | null;
  /** Confidence interval of `delta`. */
  lower: number;
  upper: number;
  /** `improved` when the whole interval is below 0, `regressed` when above 0. */
  verdict: ComparisonVerdict;
}

/** The result of {@linkcode blockBootstrapCompare}. */
export interface BootstrapComparison {
  /** One entry per metric, in {@linkcode BOOTSTRAP_METRICS} order. */
  metrics: MetricComparison[];
  /**
   * The headline verdict: the verdict of the `primary` metric. One metric is
   * chosen beforehand so that four tests do not quadruple the false alarms.
   */
  verdict: ComparisonVerdict;
  primary: BootstrapMetric;
  confidence: number;
  resamples: number;
  seed: number;
  n: { a: number; b: number };
  blockLength: { a: number; b: number };
  /** Lag-1 autocorrelation of each run's latency ranks. */
  autocorrelation: { a: number; b: number };
}

/**
 * Lag-1 autocorrelation of the ranks of a series (tied values share their
 * average rank; 0 for fewer than 3 values or a constant series).
 *
 * @example
 * ```ts
 * import { lag1Autocorrelation } from "./bootstrap.ts";
 * lag1Autocorrelation([1, 2, 3, 4, 5, 6]); // 0.5
 * ```
 */
export function lag1Autocorrelation(series: ArrayLike<number>): number {
  const n = series.length;
  if (n < 3) return 0;
  const ranks = midRanks(series);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += ranks[i] as number;
  mean /= n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const d = (ranks[i] as number) - mean;
    den += d * d;
    if (i > 0) num += d * ((ranks[i - 1] as number) - mean);
  }
  return den === 0 ? 0 : num / den;
}

/** Ranks with ties sharing their average rank, so repeated values add no fake trend. */
function midRanks(series: ArrayLike<number>): Float64Array {
  const { sorted, rankOf } = ranksOf(series);
  const n = sorted.length;
  const mid = new Float64Array(n);
  for (let k = 0; k < n;) {
    let end = k;
    while (end + 1 < n && sorted[end + 1] === sorted[k]) end++;
    for (let j = k; j <= end; j++) mid[j] = (k + end) / 2;
    k = end + 1;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mid[rankOf[i] as number] as number;
  return out;
}

/**
 * The block length for a run of latencies in time order (see the module
 * documentation for the rule): at least ⌈n^(1/3)⌉, at most ⌊n/3⌋ (and ≥ 1).
 *
 * @example
 * ```ts
 * import { chooseBlockLength } from "./bootstrap.ts";
 * chooseBlockLength(new Array(1000).fill(5)); // 10 (no autocorrelation: ⌈1000^(1/3)⌉)
 * ```
 */
export function chooseBlockLength(series: ArrayLike<number>): number {
  const n = series.length;
  if (n < 3) return 1;
  const rho = Math.min(0.98, Math.max(0, lag1Autocorrelation(series)));
  const cube = Math.cbrt(n);
  const ar1 = Math.pow((2 * rho) / (1 - rho * rho), 2 / 3) * cube;
  const length = Math.ceil(Math.max(cube, ar1));
  return Math.max(1, Math.min(length, Math.floor(n / 3)));
}

interface Ranked {
  /** Values sorted ascending. */
  sorted: Float64Array;
  /** Position of each time index in `sorted`. */
  rankOf: Uint32Array;
}

function ranksOf(series: ArrayLike<number>): Ranked {
  const n = series.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => (series[i] as number) - (series[j] as number) || i - j);
  const sorted = new Float64Array(n);
  const rankOf = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    sorted[k] = series[i] as number;
    rankOf[i] = k;
  }
  return { sorted, rankOf };
}

/**
 * The block length a resampling of `series` uses: {@linkcode chooseBlockLength}
 * for `"auto"` (the default), else `choice`, at most the series' length.
 *
 * @param context The start of the error message, e.g. `"Cannot compare runs"`.
 * @throws {RangeError} when `choice` is not an integer ≥ 1.
 *
 * @example
 * ```ts
 * import { blockLengthOf } from "./bootstrap.ts";
 * blockLengthOf([1, 2, 3], 8, "Cannot compare runs"); // 3
 * ```
 */
export function blockLengthOf(
  series: ArrayLike<number>,
  choice: number | "auto" = "auto",
  context: string,
): number {
  if (choice === "auto") return chooseBlockLength(series);
  if (!Number.isInteger(choice) || choice < 1) {
    throw new RangeError(`${context}: block length must be an integer ≥ 1, got ${choice}`);
  }
  return Math.min(choice, series.length);
}

/**
 * The 0-based ranks, among `resamples` sorted bootstrap values, of the
 * bounds of the two-sided percentile interval at `confidence`.
 *
 * @example
 * ```ts
 * import { intervalRanks } from "./bootstrap.ts";
 * intervalRanks(0.95, 2000); // [50, 1949]
 * ```
 */
export function intervalRanks(confidence: number, resamples: number): [number, number] {
  const alpha = 1 - confidence;
  return [
    Math.max(0, Math.floor((alpha / 2) * resamples)),
    Math.min(resamples - 1, Math.ceil((1 - alpha / 2) * resamples) - 1),
  ];
}

/**
 * The start positions of one circular block resample of `n` values in
 * blocks of `block`: ⌈n / block⌉ uniform draws. Two series of the same
 * requests resampled at the same starts stay paired.
 *
 * @example
 * ```ts
 * import { drawBlockStarts } from "./bootstrap.ts";
 * import { createRng } from "../rng.ts";
 * drawBlockStarts(createRng(1), 10, 4).length; // 3
 * ```
 */
export function drawBlockStarts(rng: Rng, n: number, block: number): Uint32Array {
  const starts = new Uint32Array(Math.ceil(n / block));
  for (let k = 0; k < starts.length; k++) starts[k] = Math.floor(rng.next() * n);
  return starts;
}

/**
 * Computes P50, P95, P99 and the mean of one run, original or resampled, in
 * O(n) per resample.
 *
 * @example
 * ```ts
 * import { RunResampler } from "./bootstrap.ts";
 * new RunResampler([3, 1, 2, 4]).original(); // [2, 4, 4, 2.5]
 * ```
 */
export class RunResampler {
  readonly n: number;
  readonly #values: ArrayLike<number>;
  readonly #ranked: Ranked;
  readonly #targets: number[];
  readonly #counts: Uint32Array;

  constructor(values: ArrayLike<number>) {
    this.n = values.length;
    this.#values = values;
    this.#ranked = ranksOf(values);
    this.#counts = new Uint32Array(this.n);
    this.#targets = [50, 95, 99].map((p) => nearestRank(this.n, p));
  }

  /** [p50, p95, p99, mean] of the original run. */
  original(): number[] {
    const s = this.#ranked.sorted;
    let sum = 0;
    for (let i = 0; i < this.n; i++) sum += this.#values[i] as number;
    return [...this.#targets.map((r) => s[r - 1] as number), sum / this.n];
  }

  /** [p50, p95, p99, mean] of one circular block resample. */
  resample(rng: Rng, block: number): number[] {
    return this.resampleAt(drawBlockStarts(rng, this.n, block), block);
  }

  /** [p50, p95, p99, mean] of the circular block resample with these block starts. */
  resampleAt(starts: ArrayLike<number>, block: number): number[] {
    const n = this.n;
    const counts = this.#counts;
    const rankOf = this.#ranked.rankOf;
    const values = this.#values;
    counts.fill(0);
    let sum = 0;
    let filled = 0;
    for (let b = 0; filled < n; b++) {
      let idx = starts[b] as number;
      const end = Math.min(n - filled, block);
      for (let j = 0; j < end; j++) {
        const k = rankOf[idx] as number;
        counts[k] = (counts[k] as number) + 1;
        sum += values[idx] as number;
        if (++idx === n) idx = 0;
      }
      filled += end;
    }
    // Walk the counts in value order to the nearest ranks of the resample.
    const out: number[] = [];
    const sorted = this.#ranked.sorted;
    let cum = 0;
    let k = 0;
    for (const target of this.#targets) {
      while (cum + (counts[k] as number) < target) cum += counts[k++] as number;
      out.push(sorted[k] as number);
    }
    out.push(sum / n);
    return out;
  }
}

function verdictOf(lower: number, upper: number): ComparisonVerdict {
  if (upper < 0) return "improved";
  if (lower > 0) return "regressed";
  return "no significant difference";
}

/**
 * Compares run B against run A (latencies in ms, each in time order) with a
 * seeded circular block bootstrap: for P50, P95, P99 and the mean, the
 * delta B − A, the relative change, a confidence interval of the delta and
 * a verdict. Lower latency is better, so an interval wholly below 0 is
 * `improved`.
 *
 * @throws {RangeError} when a run has fewer than 2 latencies or an option is out of range.
 *
 * @example
 * ```ts
 * import { blockBootstrapCompare } from "./bootstrap.ts";
 * const a = Array.from({ length: 300 }, (_, i) => 100 + (i * 37) % 50);
 * const b = a.map((x) => x - 40);
 * blockBootstrapCompare(a, b, { resamples: 200 }).verdict; // "improved"
 * ```
 */
export function blockBootstrapCompare(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapComparison {
  const steps = blockBootstrapSteps(a, b, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * {@linkcode blockBootstrapCompare} in steps: yields the number of resamples
 * done (0 while preparing, then every 16 resamples) and returns the same
 * comparison. A caller that
 * must stay responsive on a large run (Ctrl-C while a million latencies are
 * resampled) can yield to its event loop between steps; this stays pure.
 *
 * @throws {RangeError} as {@linkcode blockBootstrapCompare}, on the first `next()`.
 *
 * @example
 * ```ts
 * import { blockBootstrapSteps } from "./bootstrap.ts";
 * const a = Array.from({ length: 300 }, (_, i) => 100 + (i * 37) % 50);
 * const steps = blockBootstrapSteps(a, a.map((x) => x - 40), { resamples: 200 });
 * let step = steps.next();
 * while (!step.done) step = steps.next(); // e.g. await a macrotask between steps
 * step.value.verdict; // "improved"
 * ```
 */
export function* blockBootstrapSteps(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions = {},
): Generator<number, BootstrapComparison, void> {
  const seed = options.seed ?? 1;
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const primary = options.primary ?? "p95";
  if (a.length < 2 || b.length < 2) {
    throw new RangeError(
      `Cannot compare runs: each run needs at least 2 latencies, got ${a.length} and ${b.length}`,
    );
  }
  if (!Number.isInteger(resamples) || resamples < 10) {
    throw new RangeError(
      `Cannot compare runs: resamples must be an integer ≥ 10, got ${resamples}`,
    );
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(
      `Cannot compare runs: confidence must be between 0 and 1 (exclusive), got ${confidence}`,
    );
  }
  const blockA = blockLengthOf(a, options.blockLength, "Cannot compare runs");
  yield 0;
  const blockB = blockLengthOf(b, options.blockLength, "Cannot compare runs");
  yield 0;
  const ra = new RunResampler(a);
  const rb = new RunResampler(b);
  yield 0;
  const rngA = createRng(deriveSeed(seed, 0xa));
  const rngB = createRng(deriveSeed(seed, 0xb));
  const deltas = BOOTSTRAP_METRICS.map(() => new Float64Array(resamples));
  for (let r = 0; r < resamples; r++) {
    const sa = ra.resample(rngA, blockA);
    const sb = rb.resample(rngB, blockB);
    for (let m = 0; m < deltas.length; m++) {
      (deltas[m] as Float64Array)[r] = (sb[m] as number) - (sa[m] as number);
    }
    if ((r & 15) === 15) yield r + 1;
  }
  const oa = ra.original();
  const ob = rb.original();
  const [lo, hi] = intervalRanks(confidence, resamples);
  const metrics = BOOTSTRAP_METRICS.map((metric, m): MetricComparison => {
    const d = (deltas[m] as Float64Array).sort();
    const va = oa[m] as number;
    const vb = ob[m] as number;
    const lower = d[lo] as number;
    const upper = d[hi] as number;
    return {
      metric,
      a: va,
      b: vb,
      delta: vb - va,
      relative: va === 0 ? null : (vb - va) / va,
      lower,
      upper,
      verdict: verdictOf(lower, upper),
    };
  });
  const head = metrics.find((m) => m.metric === primary);
  if (!head) throw new RangeError(`Cannot compare runs: unknown primary metric "${primary}"`);
  return {
    metrics,
    verdict: head.verdict,
    primary,
    confidence,
    resamples,
    seed,
    n: { a: a.length, b: b.length },
    blockLength: { a: blockA, b: blockB },
    autocorrelation: { a: lag1Autocorrelation(a), b: lag1Autocorrelation(b) },
  };
}
