/**
 * A/B comparison per request phase: for each phase both runs have, the
 * change of its P50/P95/P99 and mean from run A to run B, with the same
 * seeded block bootstrap as the latency comparison (`bootstrap.ts`). Pure.
 *
 * @module
 */
import { deriveSeed } from "../rng.ts";
import {
  blockBootstrapCompare,
  type BootstrapComparison,
  type BootstrapOptions,
} from "./bootstrap.ts";
import { type Phase, PHASES } from "./phase_summary.ts";

/** Each phase's values of a run in start-time order (requests without the phase left out). */
export type PhaseSeries = Partial<Record<Phase, ArrayLike<number>>>;

/** One phase's comparison. */
export interface PhaseComparison {
  phase: Phase;
  /** The bootstrap comparison of the phase's values (deltas B − A in ms). */
  comparison: BootstrapComparison;
}

/**
 * Compares each phase both runs have at least 2 values of. Phase k's
 * resampling seed is derived from the option seed, so phases resample
 * independently of each other and of the latency comparison.
 *
 * @example
 * ```ts
 * import { comparePhases } from "./phase_compare.ts";
 * const a = Array.from({ length: 200 }, (_, i) => 100 + (i * 37) % 50);
 * const b = a.map((x) => x - 40);
 * comparePhases({ first_body: a }, { first_body: b, ttfb: b }, { resamples: 200 })
 *   .map((p) => [p.phase, p.comparison.verdict]); // [["first_body", "improved"]]
 * ```
 */
export function comparePhases(
  a: PhaseSeries,
  b: PhaseSeries,
  options: BootstrapOptions = {},
): PhaseComparison[] {
  const out: PhaseComparison[] = [];
  PHASES.forEach((phase, k) => {
    const xa = a[phase];
    const xb = b[phase];
    if (xa === undefined || xb === undefined || xa.length < 2 || xb.length < 2) return;
    const seed = deriveSeed(options.seed ?? 1, 0x9000 + k);
    out.push({ phase, comparison: blockBootstrapCompare(xa, xb, { ...options, seed }) });
  });
  return out;
}
