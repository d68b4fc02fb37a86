/**
 * Loading a saved run: a latency CSV from tailgate, hey, vegeta, oha or k6,
 * detected from its first line, into a summary plus what the caller asks to
 * keep (the bootstrap's time series, every record, the intervals).
 *
 * Problems with the file's content throw `SyntaxError` naming the path;
 * file-system errors (`Deno.errors.NotFound`, `IsADirectory`, …) pass
 * through. The CLI turns both into one-line usage errors.
 *
 * @module
 */
import type { ResultFormat } from "./formats/detect_format.ts";
import { openResults } from "./open_results.ts";
import { isSuccess, type RequestRecord } from "../record.ts";
import { timeOrdered } from "../stats/bootstrap.ts";
import { SummaryBuilder } from "../stats/summary.ts";
import { TargetBuilders } from "../stats/by_target.ts";
import { TargetSeries } from "../stats/target_compare.ts";
import { type Phase, PHASES, phaseValue } from "../stats/phase_summary.ts";
import type { PhaseSeries } from "../stats/phase_compare.ts";

/** What to keep from a run beyond its summary. */
export interface LoadWants {
  /** Successful, measured latencies in start-time order (for the bootstrap). */
  series?: boolean;
  /** Each phase's successful, measured values in start-time order (for per-phase deltas). */
  phases?: boolean;
  /** Every record (for the HTML charts). */
  records?: boolean;
  /** Start times and latencies of measured requests (for the most in flight at once). */
  intervals?: boolean;
}

/** A run read from a CSV file. */
export interface LoadedRun {
  path: string;
  format: ResultFormat;
  /** Caveats of the format, in plain words. */
  notes: string[];
  builder: SummaryBuilder;
  series: Float64Array | null;
  /** Each phase's series, kept with `phases`. */
  phaseSeries: PhaseSeries | null;
  records: RequestRecord[] | null;
  intervals: { starts: Float64Array; latencies: Float64Array } | null;
  /** Per-target summaries (empty when the run had no targets file). */
  byTarget: TargetBuilders;
  /** Per-target series of successes, with `series` (for per-target deltas). */
  targetSeries: TargetSeries | null;
}

/** A SyntaxError that names the file it came from. */
function withPath(path: string, err: unknown): unknown {
  if (!(err instanceof SyntaxError) || err.message.includes(path)) return err;
  return new SyntaxError(`${err.message} (in ${path})`);
}

/**
 * Accumulates a summary and what {@linkcode LoadWants} asks for while
 * records stream by (a saved run as it is read, or a live run as it ends).
 *
 * @example
 * ```ts
 * import { RunKeeper } from "./load_run.ts";
 * const keep = new RunKeeper({ series: true });
 * keep.series()?.length; // 0
 * ```
 */
export class RunKeeper {
  /** The summary of every record added. */
  readonly builder: SummaryBuilder;
  /** Every record, when asked for. */
  readonly records: RequestRecord[] | null;
  #seriesStart: number[] | null;
  #seriesLat: number[] | null;
  #starts: number[] | null;
  #lats: number[] | null;
  /** Per-target summaries of the records kept (those with a target). */
  readonly byTarget: TargetBuilders = new TargetBuilders();
  /** Per-target series of successes, with `series`. */
  readonly targetSeries: TargetSeries | null;
  /** Per phase: start times and values of successful, measured requests that have it. */
  #phases: Map<Phase, { starts: number[]; values: number[] }> | null;

  /** Keeps what `wants` asks for, summing into `builder` (a new one by default). */
  constructor(wants: LoadWants, builder: SummaryBuilder = new SummaryBuilder()) {
    this.builder = builder;
    this.records = wants.records ? [] : null;
    this.#seriesStart = wants.series ? [] : null;
    this.#seriesLat = wants.series ? [] : null;
    this.#starts = wants.intervals ? [] : null;
    this.#lats = wants.intervals ? [] : null;
    this.targetSeries = wants.series ? new TargetSeries() : null;
    this.#phases = wants.phases ? new Map() : null;
  }

  /** Adds a record to the summary and to what is kept. */
  add(r: RequestRecord): void {
    this.builder.add(r);
    this.keep(r);
  }

  /** Keeps a record that is already in the summary (e.g. added by `collect`). */
  keep(r: RequestRecord): void {
    this.records?.push(r);
    if (r.target !== "") {
      this.byTarget.add(r);
      this.targetSeries?.add(r);
    }
    if (r.warmup) return;
    this.#starts?.push(r.startedMs);
    this.#lats?.push(r.latencyMs);
    const phases = this.#phases;
    if ((this.#seriesStart !== null || phases !== null) && isSuccess(r)) {
      this.#seriesStart?.push(r.startedMs);
      this.#seriesLat?.push(r.latencyMs);
      if (phases !== null) {
        for (const phase of PHASES) {
          const v = phaseValue(r, phase);
          if (v === null) continue;
          let s = phases.get(phase);
          if (s === undefined) phases.set(phase, s = { starts: [], values: [] });
          s.starts.push(r.startedMs);
          s.values.push(v);
        }
      }
    }
  }

  /** Each phase's successful, measured values in start-time order (kept with `phases`). */
  phaseSeries(): PhaseSeries | null {
    if (this.#phases === null) return null;
    const out: PhaseSeries = {};
    for (const [phase, s] of this.#phases) out[phase] = timeOrdered(s.starts, s.values);
    return out;
  }

  /** Successful, measured latencies in start-time order (ties in arrival order). */
  series(): Float64Array | null {
    const st = this.#seriesStart;
    const lat = this.#seriesLat;
    return st && lat ? timeOrdered(st, lat) : null;
  }

  /** Start times and latencies of measured requests. */
  intervals(): LoadedRun["intervals"] {
    if (!this.#starts || !this.#lats) return null;
    return { starts: Float64Array.from(this.#starts), latencies: Float64Array.from(this.#lats) };
  }
}

/**
 * Reads a latency CSV written by tailgate, hey, vegeta, oha or k6, detecting
 * the format from its first line. Every format streams in batches, from one
 * open of the file, so pipes and FIFOs work and memory does not grow with
 * the file (beyond what `wants` keeps).
 *
 * @throws {EmptyFileError} (a SyntaxError) when the file has no non-blank line.
 * @throws {SyntaxError} when its header is not one of the known formats, or
 * a row is malformed or implausible (the message names the path).
 *
 * @example
 * ```ts ignore
 * import { loadRun } from "./load_run.ts";
 * const run = await loadRun("results/latency_optimized.csv", { series: true });
 * run.builder.summary().p95_ms;
 * ```
 */
export async function loadRun(path: string, wants: LoadWants = {}): Promise<LoadedRun> {
  // One open, one pass: a FIFO or `<(cat run.csv)` cannot be read twice.
  const run = await openResults(path);
  const { format, notes } = run;
  const keep = new RunKeeper(wants);
  try {
    for await (const batch of run.batches) for (const r of batch) keep.add(r);
  } catch (err) {
    throw withPath(path, err);
  }
  return {
    path,
    format,
    notes,
    builder: keep.builder,
    series: keep.series(),
    phaseSeries: keep.phaseSeries(),
    records: keep.records,
    intervals: keep.intervals(),
    byTarget: keep.byTarget,
    targetSeries: keep.targetSeries,
  };
}
