/**
 * Start lag of the open model (actual send − scheduled send) as a bounded
 * histogram: exact to the microsecond below 1 ms, then 64 buckets per
 * doubling (1.1% resolution) up to about 9 hours. A run of any length takes
 * the same few kilobytes. Pure: the runner passes lags in.
 *
 * @module
 */

const EXACT_US = 1024;
const SUB = 64;
const OCTAVES = 26;

/** Start-lag percentiles, in ms (`null` with no sample). */
export interface StartLagSummary {
  count: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

function bucketOf(us: number): number {
  if (us < EXACT_US) return us;
  const octave = Math.floor(Math.log2(us)) - 10; // 0 for [1024, 2048)
  const base = EXACT_US * 2 ** octave;
  const sub = Math.min(SUB - 1, Math.floor(((us - base) / base) * SUB));
  return EXACT_US + Math.min(OCTAVES - 1, octave) * SUB + sub;
}

function upperOf(bucket: number): number {
  if (bucket < EXACT_US) return bucket;
  const i = bucket - EXACT_US;
  const base = EXACT_US * 2 ** Math.floor(i / SUB);
  return base + ((i % SUB) + 1) * base / SUB;
}

/**
 * Collects start lags and answers nearest-rank percentiles (to bucket
 * resolution; the maximum is exact).
 *
 * @example
 * ```ts
 * import { StartLagStats } from "./start_lag.ts";
 * const s = new StartLagStats();
 * for (const ms of [0.001, 0.002, 0.003, 0.5]) s.add(ms);
 * s.summary(); // { count: 4, p50_ms: 0.002, p99_ms: 0.5, max_ms: 0.5 }
 * ```
 */
export class StartLagStats {
  #counts = new Uint32Array(EXACT_US + OCTAVES * SUB);
  #count = 0;
  #max = 0;

  /** Adds one lag in ms (negative lags, a send a hair early, count as 0). */
  add(lagMs: number): void {
    const ms = lagMs > 0 ? lagMs : 0;
    this.#counts[bucketOf(Math.round(ms * 1000))]!++;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** Samples added. */
  get count(): number {
    return this.#count;
  }

  /** The nearest-rank `p`-th percentile in ms (the bucket's upper bound, capped at the maximum). */
  percentile(p: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let b = 0; b < this.#counts.length; b++) {
      seen += this.#counts[b]!;
      if (seen >= rank) return Math.min(upperOf(b) / 1000, this.#max);
    }
    return this.#max;
  }

  /** Count, p50, p99 and max. */
  summary(): StartLagSummary {
    return {
      count: this.#count,
      p50_ms: this.percentile(50),
      p99_ms: this.percentile(99),
      max_ms: this.#count === 0 ? null : this.#max,
    };
  }

  /** The summary, so a JSON document carries numbers, not buckets. */
  toJSON(): StartLagSummary {
    return this.summary();
  }
}
