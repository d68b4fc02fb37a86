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

/** A growable store of one phase's values. */
class Store {
  values = new Float64Array(64);
  n = 0;
  sorted = true;

  push(v: number): void {
    if (this.n === this.values.length) {
      const next = new Float64Array(Math.ceil(this.values.length * 1.5));
      next.set(this.values);
      this.values = next;
    }
    if (this.n > 0 && v < (this.values[this.n - 1] as number)) this.sorted = false;
    this.values[this.n++] = v;
  }

  view(): Float64Array {
    const v = this.values.subarray(0, this.n);
    if (!this.sorted) {
      v.sort();
      this.sorted = true;
    }
    return v;
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

  /** A phase's values so far, sorted ascending (a view; do not keep it across `add`); empty when none. */
  sorted(phase: Phase): Float64Array {
    return this.#store(phase)?.view() ?? new Float64Array(0);
  }

  /** Statistics of every phase some request had. */
  summary(): PhaseSummary {
    const out: PhaseSummary = {};
    for (const phase of PHASES) {
      const s = this.#store(phase);
      if (s === null || s.n === 0) continue;
      out[phase] = phaseStats(s.view());
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
