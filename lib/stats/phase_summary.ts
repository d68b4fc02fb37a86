/**
 * Per-phase statistics of a run: where each request's time went, from the
 * phase columns of its records (`connect_ms`, `tls_ms`, `ttfb_ms`,
 * `first_body_ms`). A phase a request does not have is no data (`null`),
 * never zero, so each phase has its own sample size. Pure. Phase
 * boundaries: [docs/phases.md](../../docs/phases.md).
 *
 * @module
 */
import { isSuccess, type RequestRecord } from "../record.ts";
import { percentile } from "./percentile.ts";

/** A phase of a request that SLA rules, summaries and comparisons can name. */
export type Phase = "connect" | "tls" | "ttfb" | "first_body";

/** Every phase, in the order a request goes through them. */
export const PHASES: readonly Phase[] = ["connect", "tls", "ttfb", "first_body"];

/** Other names accepted for a phase (`ttft`: time to first token). */
export const PHASE_ALIASES: Readonly<Record<string, Phase>> = { ttft: "first_body" };

/** The CSV column of each phase. */
export const PHASE_COLUMNS: Readonly<Record<Phase, string>> = {
  connect: "connect_ms",
  tls: "tls_ms",
  ttfb: "ttfb_ms",
  first_body: "first_body_ms",
};

/**
 * A phase's value in a record, `null` when the record does not have it.
 *
 * @example
 * ```ts
 * import { phaseValue } from "./phase_summary.ts";
 * phaseValue({ connectMs: null, tlsMs: 3, ttfbMs: 9, firstBodyMs: null }, "tls"); // 3
 * ```
 */
export function phaseValue(
  r: Pick<RequestRecord, "connectMs" | "tlsMs" | "ttfbMs" | "firstBodyMs">,
  phase: Phase,
): number | null {
  switch (phase) {
    case "connect":
      return r.connectMs;
    case "tls":
      return r.tlsMs;
    case "ttfb":
      return r.ttfbMs;
    case "first_body":
      return r.firstBodyMs;
  }
}

/** One phase's statistics (nearest-rank percentiles over the requests that have it). */
export interface PhaseStats {
  /** Successful, measured requests that have this phase. */
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** The phases a run has, each with its statistics; a phase no request has is absent. */
export type PhaseSummary = Partial<Record<Phase, PhaseStats>>;

/** Values kept exactly (a sorted `Float64Array`) up to this many; past it, counts per microsecond. */
const EXACT_MAX = 65_536;
/** Microseconds per top-level bucket of the counts (4.096 ms). */
const BUCKET_US = 4096;
/**
 * The exact store grows by half up to this many values, then straight to
 * {@linkcode EXACT_MAX}. Growing by half all the way (six more copies, the
 * last ones of 364 and 512 KiB) left V8's old space growing by about 120
 * bytes per request for the rest of a `fast` run, with an incremental
 * mark-compact every 0.7 s, once the ttfb and first-body stores had both
 * gone through it (`--trace-gc`; docs/performance.md, "A finding on the GC":
 * the copies' external memory started V8's first mark-compact, after which
 * Deno allocates in the old space, as the third pass there found).
 */
const GROW_BY_HALF_MAX = 4096;

/**
 * One phase's values. Up to {@linkcode EXACT_MAX} values are kept as they
 * are. Past that, a phase's values become counts per microsecond (the CSV's
 * resolution), in 4.096 ms buckets of 4096 counters made only where values
 * fall: memory then grows with the spread of the values, not their number,
 * so a 10,000,000-request run keeps its phases in a few hundred KiB when
 * they are tight, and nearest-rank percentiles stay exact to the
 * microsecond.
 */
class Store {
  #values: Float64Array | null = new Float64Array(64);
  #sorted = true;
  n = 0;
  #buckets: Map<number, Uint32Array> | null = null;
  /** The last bucket counted into: values cluster, so most counts skip the map. */
  #lastTop = -1;
  #last: Uint32Array | null = null;
  /** Bucket keys ascending with their totals, made at the first query after a count. */
  #index: { keys: number[]; totals: number[] } | null = null;

  push(v: number): void {
    const values = this.#values;
    if (values !== null) {
      if (this.n < EXACT_MAX) {
        let store = values;
        if (this.n === values.length) {
          const grown = values.length < GROW_BY_HALF_MAX
            ? Math.ceil(values.length * 1.5)
            : EXACT_MAX;
          store = new Float64Array(Math.min(EXACT_MAX, grown));
          store.set(values);
          this.#values = store;
        }
        if (this.n > 0 && v < (store[this.n - 1] as number)) this.#sorted = false;
        store[this.n++] = v;
        return;
      }
      this.#toCounts(values);
    }
    this.#count(v);
    this.n++;
  }

  #toCounts(values: Float64Array): void {
    this.#buckets = new Map();
    for (let i = 0; i < this.n; i++) this.#count(values[i] as number);
    this.#values = null;
  }

  #count(v: number): void {
    const us = Math.max(0, Math.round(v * 1000));
    const top = Math.floor(us / BUCKET_US);
    let b = this.#last;
    if (top !== this.#lastTop || b === null) {
      b = this.#buckets!.get(top) ?? null;
      if (b === null) {
        b = new Uint32Array(BUCKET_US);
        this.#buckets!.set(top, b);
      }
      this.#lastTop = top;
      this.#last = b;
    }
    b[us - top * BUCKET_US]!++;
    this.#index = null;
  }

  #indexed(): { keys: number[]; totals: number[] } {
    if (this.#index !== null) return this.#index;
    const keys = [...this.#buckets!.keys()].sort((a, b) => a - b);
    const totals = keys.map((k) => {
      const b = this.#buckets!.get(k)!;
      let t = 0;
      for (let i = 0; i < BUCKET_US; i++) t += b[i]!;
      return t;
    });
    return this.#index = { keys, totals };
  }

  /** The value at 0-based rank `i` in ascending order. */
  at(i: number): number | undefined {
    if (!(i >= 0 && i < this.n)) return undefined;
    if (this.#values !== null) return this.#exact()[i];
    const { keys, totals } = this.#indexed();
    let seen = 0;
    for (let j = 0; j < keys.length; j++) {
      const top = keys[j]!;
      const total = totals[j]!;
      if (seen + total <= i) {
        seen += total;
        continue;
      }
      const b = this.#buckets!.get(top)!;
      for (let k = 0; k < BUCKET_US; k++) {
        seen += b[k]!;
        if (seen > i) return (top * BUCKET_US + k) / 1000;
      }
    }
    return undefined;
  }

  #exact(): Float64Array {
    const v = this.#values!.subarray(0, this.n);
    if (!this.#sorted) {
      v.sort();
      this.#sorted = true;
    }
    return v;
  }

  /** The values in ascending order: the array itself, or a view that finds each rank in the counts. */
  sorted(): ArrayLike<number> {
    if (this.#values !== null) return this.#exact();
    const n = this.n;
    return new Proxy({ length: n } as ArrayLike<number>, {
      get: (target, key) => {
        if (key === "length") return n;
        if (typeof key === "string" && /^\d+$/.test(key)) return this.at(Number(key));
        return Reflect.get(target, key);
      },
    });
  }
}

/**
 * Accumulates the phase values of successful, measured records (the
 * requests latency statistics cover), one store per phase, made only when a
 * record first has that phase.
 *
 * @example
 * ```ts
 * import { PhaseBuilder } from "./phase_summary.ts";
 * const b = new PhaseBuilder();
 * b.add({ id: 0, scheduledMs: 0, startedMs: 0, latencyMs: 9, ttfbMs: 2, status: 200, bytes: 1,
 *   error: "", warmup: false, worker: 0, connectMs: null, tlsMs: null, firstBodyMs: 7, conn: 1 });
 * b.summary().first_body?.p50_ms; // 7
 * ```
 */
export class PhaseBuilder {
  #connect: Store | null = null;
  #tls: Store | null = null;
  #ttfb: Store | null = null;
  #firstBody: Store | null = null;

  /** Adds a record's phases; warm-up and failed records are ignored. */
  add(r: RequestRecord): void {
    if (r.warmup || !isSuccess(r)) return;
    this.addSuccess(r);
  }

  /** Adds the phases of a record already known to be successful and measured. */
  addSuccess(r: RequestRecord): void {
    if (r.connectMs !== null) (this.#connect ??= new Store()).push(r.connectMs);
    if (r.tlsMs !== null) (this.#tls ??= new Store()).push(r.tlsMs);
    if (r.ttfbMs !== null) (this.#ttfb ??= new Store()).push(r.ttfbMs);
    if (r.firstBodyMs !== null) (this.#firstBody ??= new Store()).push(r.firstBodyMs);
  }

  #store(phase: Phase): Store | null {
    switch (phase) {
      case "connect":
        return this.#connect;
      case "tls":
        return this.#tls;
      case "ttfb":
        return this.#ttfb;
      case "first_body":
        return this.#firstBody;
    }
  }

  /**
   * A phase's values so far, sorted ascending (a view; do not keep it across
   * `add`); empty when none. Past 65,536 values, to the microsecond.
   */
  sorted(phase: Phase): ArrayLike<number> {
    return this.#store(phase)?.sorted() ?? new Float64Array(0);
  }

  /** Statistics of every phase some request had. */
  summary(): PhaseSummary {
    const out: PhaseSummary = {};
    for (const phase of PHASES) {
      const s = this.#store(phase);
      if (s === null || s.n === 0) continue;
      out[phase] = phaseStats(s.sorted());
    }
    return out;
  }
}

/**
 * The statistics of one phase from its values sorted ascending.
 *
 * @example
 * ```ts
 * import { phaseStats } from "./phase_summary.ts";
 * phaseStats([1, 2, 3, 4]).p50_ms; // 2
 * ```
 */
export function phaseStats(sorted: ArrayLike<number>): PhaseStats {
  return {
    count: sorted.length,
    p50_ms: percentile(sorted, 50),
    p95_ms: percentile(sorted, 95),
    p99_ms: percentile(sorted, 99),
  };
}

/**
 * A phase's successful, measured values in start-time order (ties by id):
 * the series a block bootstrap resamples. Requests without the phase are
 * left out.
 *
 * @example
 * ```ts
 * import { phaseSeries } from "./phase_summary.ts";
 * const r = (id: number, startedMs: number, ttfbMs: number | null) => ({ id, scheduledMs: startedMs,
 *   startedMs, latencyMs: 9, ttfbMs, status: 200, bytes: 0, error: "" as const, warmup: false,
 *   worker: 0, connectMs: null, tlsMs: null, firstBodyMs: null, conn: null });
 * phaseSeries([r(1, 5, 3), r(0, 2, 1), r(2, 1, null)], "ttfb"); // Float64Array [1, 3]
 * ```
 */
export function phaseSeries(records: readonly RequestRecord[], phase: Phase): Float64Array {
  const rows: { start: number; id: number; v: number }[] = [];
  for (const r of records) {
    if (r.warmup || !isSuccess(r)) continue;
    const v = phaseValue(r, phase);
    if (v !== null) rows.push({ start: r.startedMs, id: r.id, v });
  }
  rows.sort((a, b) => a.start - b.start || a.id - b.id);
  return Float64Array.from(rows, (x) => x.v);
}
