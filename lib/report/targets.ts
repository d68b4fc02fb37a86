/**
 * Per-target figures in words: each target's requests, errors and
 * P50/P95/P99 next to the pooled ones (text), and the per-target A/B deltas
 * of `compare` and `suite`. Pure; every number is computed in `lib/stats/`.
 *
 * @module
 */
import { fmtLevel } from "./_format.ts";
import type { TargetSummary } from "../stats/by_target.ts";
import type { TargetDelta } from "../stats/target_compare.ts";
import type { Summary } from "../stats/summary.ts";
import { fmtDelta, fmtDeltaCi, fmtMs } from "./_format.ts";
import { formatTable } from "./text.ts";

/**
 * The per-target table: one row per target, then the pooled row; empty
 * when there are no targets.
 *
 * @example
 * ```ts
 * import { formatTargetTable } from "./targets.ts";
 * import { summarize } from "../stats/summary.ts";
 * formatTargetTable(summarize([]), []); // ""
 * ```
 */
export function formatTargetTable(pooled: Summary, targets: readonly TargetSummary[]): string {
  if (targets.length === 0) return "";
  const rows = [["target", "requests", "errors", "p50", "p95", "p99"]];
  const row = (name: string, s: Summary) => [
    name,
    String(s.count),
    String(s.errors),
    fmtMs(s.p50_ms),
    fmtMs(s.p95_ms),
    fmtMs(s.p99_ms),
  ];
  for (const t of targets) rows.push(row(t.name, t.summary));
  rows.push(row("(pooled)", pooled));
  return formatTable(rows, ["l", "r", "r", "r", "r", "r"]);
}

/**
 * Per-target A/B deltas: for each target in both runs, its requests in
 * each, then B − A at P50/P95/P99 with the bootstrap interval.
 *
 * @example
 * ```ts
 * import { formatTargetDeltas } from "./targets.ts";
 * formatTargetDeltas([], "A", "B"); // ""
 * ```
 */
export function formatTargetDeltas(deltas: readonly TargetDelta[], a: string, b: string): string {
  if (deltas.length === 0) return "";
  const rows = [["target", `n ${a}`, `n ${b}`, "Δp50", "Δp95", "Δp99", "verdict (p95)"]];
  for (const d of deltas) {
    const cell = (metric: string) => {
      const m = d.metrics.find((x) => x.metric === metric);
      return m ? `${fmtDelta(m.delta)} ${fmtDeltaCi(m.lower, m.upper)}` : "-";
    };
    rows.push([
      d.name,
      String(d.countA),
      String(d.countB),
      cell("p50"),
      cell("p95"),
      cell("p99"),
      d.verdict ?? "not compared (under 2 successes)",
    ]);
  }
  return `${b} − ${a} per target (${
    fmtLevel(deltas[0]?.confidence ?? 0.95)
  } bootstrap interval)\n` + formatTable(rows, ["l", "r", "r", "r", "r", "r", "l"]);
}
