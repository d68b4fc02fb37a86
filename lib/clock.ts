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
