/**
 * Summaries per target (`--targets`): the records split by their `target`
 * name, each summarized as the pooled run is. Pure.
 *
 * @module
 */
import type { RequestRecord } from "../record.ts";
import { type Summary, SummaryBuilder } from "./summary.ts";

/** One target's figures, as the reports show them next to the pooled ones. */
export interface TargetSummary {
  name: string;
  summary: Summary;
}

/**
 * Collects records into one {@linkcode SummaryBuilder} per target name.
 * Records with no target (`""`) are left out: a run without a targets file
 * has no per-target figures.
 *
 * @example
 * ```ts
 * import { TargetBuilders } from "./by_target.ts";
 * const t = new TargetBuilders(["a", "b"]);
 * t.names; // ["a", "b"]
 * ```
 */
export class TargetBuilders {
  #builders = new Map<string, SummaryBuilder>();

  /** `names`: the targets in the order reports list them (others are appended as seen). */
  constructor(names: readonly string[] = []) {
    for (const n of names) this.#builders.set(n, new SummaryBuilder());
  }

  /** Adds one record to its target's summary (warm-up rows are skipped by the builder). */
  add(r: RequestRecord): void {
    if (r.target === "") return;
    let b = this.#builders.get(r.target);
    if (b === undefined) this.#builders.set(r.target, b = new SummaryBuilder());
    b.add(r);
  }

  /** The target names, in order. */
  get names(): string[] {
    return [...this.#builders.keys()];
  }

  /** Whether any target is known. */
  get size(): number {
    return this.#builders.size;
  }

  /** The builder of one target, or `undefined` when the name is unknown. */
  builder(name: string): SummaryBuilder | undefined {
    return this.#builders.get(name);
  }

  /** Every target's summary, in order. */
  summaries(): TargetSummary[] {
    return [...this.#builders].map(([name, b]) => ({ name, summary: b.summary() }));
  }
}

/**
 * Summaries per target of a list of records (a saved run), in order of
 * first appearance; empty when no record has a target.
 *
 * @example
 * ```ts
 * import { summarizeByTarget } from "./by_target.ts";
 * summarizeByTarget([]).length; // 0
 * ```
 */
export function summarizeByTarget(records: Iterable<RequestRecord>): TargetSummary[] {
  const t = new TargetBuilders();
  for (const r of records) t.add(r);
  return t.summaries();
}
