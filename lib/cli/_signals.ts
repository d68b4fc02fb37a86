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
import { formatDuration } from "../duration.ts";
import { removeTemporaries } from "../records/atomic_file.ts";

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

/**
 * {@linkcode installStopSignals} for a run whose requests may take up to
 * `timeoutMs` (the grace is that and a second): the first signal is
 * announced with the wait it starts, on stderr unless `announce` shows it
 * otherwise (a progress line, or nothing when quiet).
 *
 * @example
 * ```ts ignore
 * import { announcedStopSignals } from "./_signals.ts";
 * const signals = announcedStopSignals("suite", 10_000);
 * ```
 */
export function announcedStopSignals(
  command: string,
  timeoutMs: number,
  announce: (line: string) => void = (line) => console.error(line),
): StopSignals {
  return installStopSignals({
    graceMs: timeoutMs + 1000,
    onStop: (sig) =>
      announce(
        `tailgate ${command}: ${sig}: stopping; waiting up to ${
          formatDuration(timeoutMs)
        } for requests in flight (again to abort them)`,
      ),
  });
}

/** What {@linkcode exitOnSignal} returns. */
export interface SignalExit {
  /**
   * Runs `fn` (e.g. the renames that put a set of outputs in place) with
   * signals held: one arriving meanwhile takes effect once `fn` has ended.
   */
  critical<T>(fn: () => Promise<T>): Promise<T>;
  /** Removes the listeners. Idempotent. */
  dispose(): void;
}

/**
 * For a command that has nothing worth keeping when stopped (`compare`
 * reads saved runs; its outputs are written whole or not at all): on
 * SIGINT or SIGTERM it removes the temporary files in flight, says so on
 * stderr, and exits 130 at once, except inside {@linkcode SignalExit.critical}.
 *
 * @example
 * ```ts ignore
 * import { exitOnSignal } from "./_signals.ts";
 * const signals = exitOnSignal("compare");
 * try {
 *   await signals.critical(() => writeOutput(path, html, "--html"));
 * } finally {
 *   signals.dispose();
 * }
 * ```
 */
export function exitOnSignal(command: string): SignalExit {
  let held = 0;
  let pending: Deno.Signal | null = null;
  const exit = (name: Deno.Signal): never => {
    removeTemporaries();
    console.error(`tailgate ${command}: ${name}: stopped; no output was written or changed`);
    Deno.exit(130);
  };
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = names.map((name) => {
    const handler = () => {
      if (held > 0) pending ??= name;
      else exit(name);
    };
    Deno.addSignalListener(name, handler);
    return [name, handler] as const;
  });
  let disposed = false;
  return {
    async critical<T>(fn: () => Promise<T>): Promise<T> {
      held++;
      try {
        return await fn();
      } finally {
        held--;
        if (held === 0 && pending !== null && !disposed) {
          console.error(
            `tailgate ${command}: ${pending}: the outputs were complete, so they were written`,
          );
          Deno.exit(130);
        }
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
    },
  };
}

/**
 * Drives a long synchronous computation given as steps (a generator) to its
 * result, handing the event loop a turn about every 50 ms so a signal
 * listener (Ctrl-C) can run in the middle instead of after it.
 *
 * @example
 * ```ts ignore
 * import { runYielding } from "./_signals.ts";
 * const comparison = await runYielding(blockBootstrapSteps(a, b, options));
 * ```
 */
export async function runYielding<T>(steps: Generator<unknown, T, void>): Promise<T> {
  let last = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - last >= 50) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = performance.now();
    }
  }
}
