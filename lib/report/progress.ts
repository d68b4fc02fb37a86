/**
 * The live progress line of `bench`: requests done (of the total) or time
 * left, current rate, errors and a running P95 over the most recent
 * requests. Drawn on a terminal only; off when the stream is not a TTY or
 * with `--quiet`, so logs and pipes get nothing but the final summary.
 *
 * @module
 */
import { formatDuration } from "../duration.ts";
import { isSuccess, type RequestRecord } from "../record.ts";
import { percentile } from "../stats/summary.ts";

/** What the line shows. */
export interface ProgressState {
  /** Requests finished (warm-up included). */
  done: number;
  /** Requests planned, or `null` when the run is bounded by time. */
  total: number | null;
  elapsedMs: number;
  /** Planned run time, or `null` when bounded by count. */
  durationMs: number | null;
  /** Failed requests so far. */
  errors: number;
  /** Completions per second over the last few seconds. */
  rate: number;
  /** P95 of the most recent successful requests, `null` before the first. */
  p95Ms: number | null;
  /** Marks the line while a Ctrl-C stop is waiting for requests in flight. */
  stopping?: boolean;
  /** The schedule's target rate now (a ramp), requests per second; absent or null: not shown. */
  targetRate?: number | null;
}

/**
 * Formats one progress line (no newline, no escape codes). Pure.
 *
 * @example
 * ```ts
 * import { formatProgress } from "./progress.ts";
 * formatProgress({ done: 120, total: 400, elapsedMs: 3000, durationMs: null, errors: 2, rate: 40.2, p95Ms: 212.4 });
 * // "120/400 (30%)  40.2 req/s  errors 2  p95 212ms"
 * formatProgress({ done: 300, total: null, elapsedMs: 3000, durationMs: 10000, errors: 0, rate: 58.1, p95Ms: 2, targetRate: 60 });
 * // "300 done  7s left  58.1 req/s  target 60.0/s  errors 0  p95 2ms"
 * ```
 */
export function formatProgress(s: ProgressState): string {
  const parts: string[] = [];
  if (s.total !== null) {
    const pct = s.total > 0 ? Math.min(100, Math.floor((100 * s.done) / s.total)) : 0;
    parts.push(`${s.done}/${s.total} (${pct}%)`);
  } else {
    parts.push(`${s.done} done`);
  }
  if (s.durationMs !== null) {
    parts.push(`${formatDuration(Math.max(0, s.durationMs - s.elapsedMs))} left`);
  }
  parts.push(`${s.rate.toFixed(1)} req/s`);
  if (s.targetRate !== undefined && s.targetRate !== null) {
    parts.push(`target ${s.targetRate.toFixed(1)}/s`);
  }
  parts.push(`errors ${s.errors}`);
  parts.push(`p95 ${s.p95Ms === null ? "-" : formatDuration(s.p95Ms)}`);
  if (s.stopping) parts.push("stopping: waiting for requests in flight (Ctrl-C again to abort)");
  return parts.join("  ");
}

/** A stream the line can be drawn on. */
export interface ProgressStream {
  isTerminal(): boolean;
  writeSync(p: Uint8Array): number;
  /** The terminal's width in columns (120 when absent or failing). */
  columns?(): number;
}

/** Options of {@linkcode ProgressLine}. */
export interface ProgressOptions {
  /** Where to draw, e.g. standard error (the caller owns the I/O). */
  stream: ProgressStream;
  /** `false` turns the line off (`--quiet`). */
  enabled?: boolean;
  total: number | null;
  durationMs: number | null;
  /** Redraw period; 250 ms by default. */
  intervalMs?: number;
  /** The schedule's target rate now (during a ramp), read at each redraw; `null`: not yet. */
  targetRate?: () => number | null;
}

const WINDOW = 1024;
const encoder = new TextEncoder();

/**
 * Keeps the counters and redraws the line on a timer (so a stalled server
 * shows as a frozen count and a falling rate, not a frozen screen).
 *
 * @example
 * ```ts ignore
 * import { ProgressLine } from "./progress.ts";
 * const progress = new ProgressLine({ stream: Deno.stderr, total: 400, durationMs: null });
 * progress.start();
 * // for each record: progress.record(rec);
 * progress.stop();
 * ```
 */
export class ProgressLine {
  readonly enabled: boolean;
  #stream: ProgressStream;
  #opts: ProgressOptions;
  #timer: ReturnType<typeof setInterval> | null = null;
  #t0 = 0;
  #done = 0;
  #errors = 0;
  #recent = new Float64Array(WINDOW);
  #recentN = 0;
  #ticks: [number, number][] = [];
  #stopping = false;

  constructor(options: ProgressOptions) {
    this.#opts = options;
    this.#stream = options.stream;
    this.enabled = options.enabled !== false && this.#stream.isTerminal();
  }

  /** Starts redrawing (no-op when disabled). */
  start(): void {
    if (!this.enabled || this.#timer !== null) return;
    this.#t0 = performance.now();
    this.#timer = setInterval(() => this.#draw(), this.#opts.intervalMs ?? 250);
  }

  /** Counts one finished request. */
  record(r: RequestRecord): void {
    this.#done++;
    if (!isSuccess(r)) {
      this.#errors++;
      return;
    }
    if (r.warmup) return;
    this.#recent[this.#recentN % WINDOW] = r.latencyMs;
    this.#recentN++;
  }

  /** Shows that a stop was requested. */
  stopping(): void {
    this.#stopping = true;
    if (this.#timer !== null) this.#draw();
  }

  /** Stops redrawing and clears the line. */
  stop(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.#write("\r\x1b[2K");
  }

  /** The current state (also used by tests). */
  state(): ProgressState {
    const elapsedMs = performance.now() - this.#t0;
    this.#ticks.push([elapsedMs, this.#done]);
    while (this.#ticks.length > 1 && elapsedMs - this.#ticks[0]![0] > 3000) this.#ticks.shift();
    const [t1, d1] = this.#ticks[0]!;
    const rate = elapsedMs - t1 > 0 ? ((this.#done - d1) * 1000) / (elapsedMs - t1) : 0;
    const n = Math.min(this.#recentN, WINDOW);
    const recent = this.#recent.slice(0, n).sort();
    return {
      done: this.#done,
      total: this.#opts.total,
      elapsedMs,
      durationMs: this.#opts.durationMs,
      errors: this.#errors,
      rate,
      p95Ms: percentile(recent, 95),
      stopping: this.#stopping,
      ...(this.#opts.targetRate ? { targetRate: this.#opts.targetRate() } : {}),
    };
  }

  #draw(): void {
    const cols = (() => {
      try {
        const c = this.#stream.columns?.() ?? 120;
        return c >= 40 ? c : 120;
      } catch {
        return 120;
      }
    })();
    this.#write(`\r\x1b[2K${formatProgress(this.state()).slice(0, Math.max(20, cols - 1))}`);
  }

  #write(s: string): void {
    try {
      this.#stream.writeSync(encoder.encode(s));
    } catch {
      // the terminal went away: progress is best effort
    }
  }
}
