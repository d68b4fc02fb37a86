/**
 * A small seeded pseudo-random generator (mulberry32) with the draws the
 * mock needs. Pure: no clock, no `Deno.*`. Same seed, same sequence, on
 * every platform.
 *
 * @module
 */

/** A seeded stream of pseudo-random numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Standard normal (Box–Muller, two uniforms per draw). */
  normal(): number;
  /** `true` with probability `p` (always consumes one uniform). */
  chance(p: number): boolean;
}

/**
 * Mixes integers into one 32-bit seed (a murmur3-style finalizer per part),
 * so that a stream can be derived from (seed, request number, purpose).
 *
 * @example
 * ```ts
 * import { deriveSeed } from "./rng.ts";
 * deriveSeed(1, 42, 0) === deriveSeed(1, 42, 0); // true
 * ```
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.imul(part | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Creates a mulberry32 generator from a 32-bit seed (non-integers are
 * truncated, so pass integers).
 *
 * @example
 * ```ts
 * import { createRng } from "./rng.ts";
 * const a = createRng(1), b = createRng(1);
 * a.next() === b.next(); // true
 * ```
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    normal: () => {
      // 1 - u keeps the logarithm's argument in (0, 1].
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => next() < p,
  };
}
