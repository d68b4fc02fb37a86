/**
 * The one wall clock: Unix epoch milliseconds with sub-millisecond
 * resolution and monotonic within a process. Pure modules never call it;
 * runners and clients pass its readings in.
 *
 * @module
 */

const origin = performance.timeOrigin;

/**
 * Current time in epoch milliseconds (monotonic, fractional).
 *
 * @example
 * ```ts
 * import { now } from "./clock.ts";
 * const t = now();
 * ```
 */
export function now(): number {
  return origin + performance.now();
}

/**
 * Waits `ms` milliseconds, resolving early (never rejecting) when `signal`
 * aborts, and always clearing its timer so nothing outlives the wait. A
 * wait of 0 or less resolves at once.
 *
 * @example
 * ```ts
 * import { abortableSleep } from "./clock.ts";
 * await abortableSleep(1, AbortSignal.abort());
 * ```
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(ms > 0) || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
