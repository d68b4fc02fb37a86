/**
 * Ctrl-C (SIGINT) and SIGTERM handling for a running load test.
 *
 * First signal: stop sending (`stop` aborts) and let requests in flight
 * finish; after `graceMs` (the request timeout plus a margin) `hard` aborts
 * and the runner writes what is still in flight off as `aborted`. A second
 * signal aborts `hard` at once. Either way the run ends normally, so the
 * CSV is flushed and the summary (marked partial) is printed; the command
 * then exits 130.
 *
 * @module
 */

/** Signal state of one run. */
export interface StopSignals {
  /** Aborted on the first signal: start no more requests. */
  readonly stop: AbortSignal;
  /** Aborted on a second signal or after the grace period: give up on requests in flight. */
  readonly hard: AbortSignal;
  /** Whether a signal arrived. */
  readonly interrupted: boolean;
  /** Which signal arrived first, if any. */
  readonly received: Deno.Signal | null;
  /** Removes the listeners and the grace timer. Idempotent. */
  dispose(): void;
}

/** Options of {@linkcode installStopSignals}. */
export interface StopSignalOptions {
  /** How long requests in flight may take after the first signal. */
  graceMs: number;
  /** Called once, on the first signal (e.g. to update the progress line). */
  onStop?: (signal: Deno.Signal) => void;
}

/**
 * Listens for SIGINT and SIGTERM until `dispose()`.
 *
 * @example
 * ```ts ignore
 * import { installStopSignals } from "./_signals.ts";
 * const signals = installStopSignals({ graceMs: 11_000 });
 * try {
 *   await collect(runOpen({ ...opts, signal: signals.stop, hardStop: signals.hard }));
 * } finally {
 *   signals.dispose();
 * }
 * if (signals.interrupted) return 130;
 * ```
 */
export function installStopSignals(options: StopSignalOptions): StopSignals {
  const stop = new AbortController();
  const hard = new AbortController();
  let received: Deno.Signal | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = names.map((name) => {
    const handler = () => {
      if (received === null) {
        received = name;
        stop.abort();
        timer = setTimeout(() => hard.abort(), options.graceMs);
        options.onStop?.(name);
      } else {
        hard.abort();
      }
    };
    Deno.addSignalListener(name, handler);
    return [name, handler] as const;
  });
  let disposed = false;
  return {
    stop: stop.signal,
    hard: hard.signal,
    get interrupted() {
      return received !== null;
    },
    get received() {
      return received;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (timer !== null) clearTimeout(timer);
      for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
    },
  };
}
