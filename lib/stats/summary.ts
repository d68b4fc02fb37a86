/**
 * Pure statistics over request records: the run summary (the percentile
 * definition, nearest rank, is `percentile.ts`, re-exported here). No clock, no I/O.
 *
 * @module
 */
import {
  ERROR_KINDS,
  errorForStatus,
  type ErrorKind,
  isSuccess,
  type RequestRecord,
} from "../record.ts";
import { nearestRank } from "./percentile.ts";
import { PhaseBuilder, type PhaseSummary } from "./phase_summary.ts";

export { nearestRank, percentile } from "./percentile.ts";

/** The summary of one run. Keys are a public contract (JSON reports use them). */
export interface Summary {
  /** Requests measured (warm-up excluded), failures included. */
  count: number;
  /** Requests that did not succeed (status outside 200–399, or an error). */
  errors: number;
  /** `errors / count`, 0 when `count` is 0. */
  error_rate: number;
  min_ms: number | null;
  mean_ms: number | null;
  p50_ms: number | null;
  p90_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
  max_ms: number | null;
  /** Completed requests per second over the run's span (first start to last completion). */
  throughput_rps: number;
  /** Successful requests; latency statistics cover these only. */
  successes: number;
  /** The run's span in seconds, from the first scheduled start to the last completion. */
  duration_s: number;
  /** Count per HTTP status code (0 = no response). */
  status_codes: Record<string, number>;
  /** Count per error kind, non-zero kinds only. */
  error_kinds: Partial<Record<ErrorKind, number>>;
  /**
   * P50/P95/P99 and count per request phase (connect, tls, ttfb, first_body),
   * over the successful requests that have it; only phases some request has,
   * and the key only when there is one (`phase_summary.ts`).
   */
  phases?: PhaseSummary;
}

/** Latencies per chunk of the store past its first (256 KiB). */
const CHUNK = 1 << 16;

/** Past this many microseconds (about 71.6 minutes) a latency no longer fits a `Uint32Array`. */
const U32_MAX = 0xffff_ffff;

/**
 * Accumulates records one at a time in compact memory and produces a
 * {@linkcode Summary}. Successful latencies are kept **exactly to the
 * microsecond**, the CSV's resolution, as whole microseconds in a growable
 * `Uint32Array` (4 bytes a request: 10M requests in 40 MB); a latency past
 * 2³²−1 µs (71.6 minutes) switches the store to `Float64Array` milliseconds.
 * A summary made live therefore equals the one `tailgate report` makes from
 * the CSV. No per-request objects are kept. Used for live progress and for
 * 10M-request runs.
 *
 * @example
 * ```ts
 * import { SummaryBuilder } from "./summary.ts";
 * const b = new SummaryBuilder();
 * b.add({ id: 0, scheduledMs: 0, startedMs: 0, latencyMs: 5, ttfbMs: 4, status: 200,
 *   bytes: 1, error: "", warmup: false, worker: 0, connectMs: null, tlsMs: null,
 *   firstBodyMs: null, conn: null });
 * b.summary().p50_ms; // 5
 * ```
 */
export class SummaryBuilder {
  /**
   * Whole microseconds, until a latency does not fit; then `#wide` holds milliseconds. The
   * chunk being filled (`#fill` values); the full ones before it are in `#full`.
   */
  #us: Uint32Array | null;
  /** Full chunks, oldest first: merged into one when the store is sorted. */
  #full: Uint32Array[] = [];
  #fill = 0;
  /** The last latency stored, µs: a smaller one means the store needs sorting. */
  #lastUs = 0;
  #wide: Float64Array | null = null;
  #n = 0;
  #sorted = true;
  /** `sortedLatencies()`'s milliseconds, kept until the next `add`. */
  #msView: Float64Array | null = null;
  #count = 0;
  #errors = 0;
  #first = Infinity;
  #last = -Infinity;
  #status = new Map<number, number>();
  /** A run of records with the same status is counted here, then folded into `#status`. */
  #lastStatus = -1;
  #lastStatusCount = 0;
  #kinds = new Map<ErrorKind, number>();
  /** The phases of the successful records (`phase_summary.ts`). */
  readonly phases: PhaseBuilder = new PhaseBuilder();

  /**
   * @param capacity Expected number of records, when known (`-n`): the
   * latency store is sized once, so a 10M-request run never holds an old and
   * a grown copy at the same time. Past it, the store grows by chunks of
   * 65,536 latencies (256 KiB), never by copying (a copy holds the old and
   * the new store at once); the chunks are merged into one array when the
   * store is first sorted.
   */
  constructor(capacity = 1024) {
    this.#us = new Uint32Array(Math.max(16, Math.min(capacity, 1 << 28)));
  }

  /** Adds one record; warm-up records are ignored. */
  add(r: RequestRecord): void {
    if (r.warmup) return;
    this.#count++;
    const scheduled = r.scheduledMs;
    const latency = r.latencyMs;
    if (scheduled < this.#first) this.#first = scheduled;
    if (scheduled + latency > this.#last) this.#last = scheduled + latency;
    if (r.status === this.#lastStatus) {
      this.#lastStatusCount++;
    } else {
      this.#foldLastStatus();
      this.#lastStatus = r.status;
      this.#lastStatusCount = 1;
    }
    if (!isSuccess(r)) {
      this.#errors++;
      // A row written before 1xx and 600+ were protocol errors has no kind: say it now.
      const kind: ErrorKind = r.error === "" ? errorForStatus(r.status) || "other" : r.error;
      this.#kinds.set(kind, (this.#kinds.get(kind) ?? 0) + 1);
      return;
    }
    this.phases.addSuccess(r);
    this.#msView = null;
    const us = Math.round(latency * 1000);
    let store = this.#us;
    if (store !== null && us <= U32_MAX && us >= 0) {
      let fill = this.#fill;
      if (fill === store.length) {
        this.#full.push(store);
        this.#us = store = new Uint32Array(CHUNK);
        fill = 0;
      }
      if (us < this.#lastUs) this.#sorted = false;
      store[fill] = us;
      this.#fill = fill + 1;
      this.#lastUs = us;
      this.#n++;
      return;
    }
    this.#widen();
    const wide = this.#wide as Float64Array;
    const ms = us / 1000;
    if (this.#n === wide.length) this.#wide = grow(wide, new Float64Array(next(wide.length)));
    if (this.#n > 0 && ms < (this.#wide as Float64Array)[this.#n - 1]!) this.#sorted = false;
    (this.#wide as Float64Array)[this.#n++] = ms;
  }

  /** Moves the store to `Float64Array` milliseconds (a latency of 71.6 minutes or more). */
  #widen(): void {
    const us = this.#merged();
    if (us === null) return;
    const wide = new Float64Array(Math.max(16, us.length));
    for (let i = 0; i < this.#n; i++) wide[i] = us[i]! / 1000;
    this.#wide = wide;
    this.#us = null;
  }

  /** The µs store as one array (its first `#n` values), the chunks merged; `null` once wide. */
  #merged(): Uint32Array | null {
    const us = this.#us;
    if (us === null || this.#full.length === 0) return us;
    const all = new Uint32Array(this.#n);
    let at = 0;
    for (const chunk of this.#full) {
      all.set(chunk, at);
      at += chunk.length;
    }
    all.set(us.subarray(0, this.#fill), at);
    this.#full = [];
    this.#fill = this.#n;
    return this.#us = all;
  }

  #foldLastStatus(): void {
    if (this.#lastStatusCount === 0) return;
    const s = this.#lastStatus;
    this.#status.set(s, (this.#status.get(s) ?? 0) + this.#lastStatusCount);
    this.#lastStatusCount = 0;
  }

  /** Sorts the store in place (once); returns the sorted values, µs or ms. */
  #sortedStore(): Uint32Array | Float64Array {
    const us = this.#merged();
    const view = us !== null
      ? us.subarray(0, this.#n)
      : (this.#wide as Float64Array).subarray(0, this.#n);
    if (!this.#sorted) {
      view.sort();
      this.#sorted = true;
      // Later adds compare against the largest value, now the last.
      if (us !== null && view.length > 0) this.#lastUs = view[view.length - 1]!;
    }
    return view;
  }

  /**
   * Successful latencies so far in milliseconds (exact to 1 µs), sorted
   * ascending. A copy made on first call after an `add` (8 bytes a latency);
   * do not keep it across `add`.
   */
  sortedLatencies(): Float64Array {
    if (this.#msView !== null) return this.#msView;
    const store = this.#sortedStore();
    if (store instanceof Float64Array) return this.#msView = store;
    const ms = new Float64Array(store.length);
    for (let i = 0; i < store.length; i++) ms[i] = store[i]! / 1000;
    return this.#msView = ms;
  }

  /** Number of records added, warm-up excluded. */
  get count(): number {
    return this.#count;
  }

  /** Number of failed records added, warm-up excluded. */
  get errors(): number {
    return this.#errors;
  }

  /** The summary of everything added so far. */
  summary(): Summary {
    const store = this.#sortedStore();
    const scale = store instanceof Uint32Array ? 1000 : 1;
    const n = store.length;
    const at = (i: number) => store[i]! / scale;
    const q = (p: number) => n === 0 ? null : at(nearestRank(n, p) - 1);
    const duration = this.#count > 0 ? Math.max(0, this.#last - this.#first) / 1000 : 0;
    this.#foldLastStatus();
    const statusCodes: Record<string, number> = {};
    for (const [code, c] of [...this.#status].sort((a, b) => a[0] - b[0])) {
      statusCodes[String(code)] = c;
    }
    const kinds: Partial<Record<ErrorKind, number>> = {};
    for (const k of ERROR_KINDS) {
      const c = this.#kinds.get(k);
      if (c) kinds[k] = c;
    }
    return {
      count: this.#count,
      errors: this.#errors,
      error_rate: this.#count === 0 ? 0 : this.#errors / this.#count,
      min_ms: n ? at(0) : null,
      mean_ms: n ? sortedMean(store) / scale : null,
      p50_ms: q(50),
      p90_ms: q(90),
      p95_ms: q(95),
      p99_ms: q(99),
      p999_ms: q(99.9),
      max_ms: n ? at(n - 1) : null,
      throughput_rps: duration > 0 ? this.#count / duration : 0,
      successes: n,
      duration_s: duration,
      status_codes: statusCodes,
      error_kinds: kinds,
      ...phasesField(this.phases.summary()),
    };
  }
}

/** The `phases` key, only when the run has a phase. */
function phasesField(phases: PhaseSummary): { phases?: PhaseSummary } {
  return Object.keys(phases).length > 0 ? { phases } : {};
}

/** The next size of a full store: 1.5×. */
function next(length: number): number {
  return Math.ceil(length * 1.5);
}

/** Copies `from` into the larger `to`. */
function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Mean summed in sorted order, so it does not depend on the order records arrived in. */
function sortedMean(sorted: Uint32Array | Float64Array): number {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
  return sum / sorted.length;
}

/**
 * Summarizes a run's records (warm-up records excluded).
 *
 * @example
 * ```ts
 * import { summarize } from "./summary.ts";
 * summarize([]).count; // 0
 * ```
 */
export function summarize(records: Iterable<RequestRecord>): Summary {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.summary();
}
