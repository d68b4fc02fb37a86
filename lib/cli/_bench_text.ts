/** Text blocks of `bench`'s final summary that the shared report module lacks. Formatting only. */
import { fmtMs, formatTable as table, type TextStyle } from "../report/text.ts";
import type { OpenLoopCounters } from "../load/runner.ts";
import type { SlaResult } from "../stats/sla.ts";
import type { Summary } from "../stats/summary.ts";

const paint = (style: TextStyle, code: number, s: string) =>
  style.color ? `\x1b[${code}m${s}\x1b[0m` : s;

function fmt(v: number | null, unit: SlaResult["unit"]): string {
  if (v === null) return "-";
  if (unit === "ms") return fmtMs(v);
  if (unit === "ratio") return `${(v * 100).toFixed(2)}%`;
  return `${v.toFixed(1)}/s`;
}

/**
 * One row per SLA rule: measured (point) value, the confidence bound that
 * decided it with its sample size, the limit, and PASS / FAIL / INCONCLUSIVE.
 */
export function formatRuleTable(results: readonly SlaResult[], style: TextStyle): string {
  if (results.length === 0) return "";
  const withConfidence = results.some((r) => r.confidence);
  const head = withConfidence
    ? ["rule", "measured", "confidence bounds", "limit", "verdict"]
    : ["rule", "measured", "limit", "verdict"];
  const rows = [head];
  for (const r of results) {
    const verdict = r.verdict === "pass"
      ? paint(style, 32, "PASS")
      : r.verdict === "fail"
      ? paint(style, 31, "FAIL")
      : paint(style, 33, "INCONCLUSIVE");
    const row = [r.rule, fmt(r.value, r.unit)];
    if (withConfidence) {
      const c = r.confidence;
      if (!c) row.push("(point value)");
      else {
        const need = c.minSamples ? `, needs n>=${c.minSamples}` : "";
        row.push(
          `[${fmt(c.lower, r.unit)}, ${fmt(c.upper, r.unit)}] ${
            Math.round(c.level * 100)
          }% n=${c.n}${need}`,
        );
      }
    }
    row.push(`${r.op} ${fmt(r.limit, r.unit)}`, verdict);
    rows.push(row);
  }
  return table(rows, withConfidence ? ["l", "r", "l", "r", "l"] : ["l", "r", "r", "l"]);
}

/**
 * The open model's schedule health (late, dropped, worst start lag) and, for
 * contrast, the percentiles timed from the actual send instead of the
 * schedule: what a tool with coordinated omission would have reported.
 */
export function formatOpenLine(
  rate: number,
  counters: OpenLoopCounters,
  maxInFlight: number,
  uncorrected: Summary,
): string {
  return [
    `open model    ${
      rate.toFixed(rate < 10 ? 2 : 1)
    } req/s scheduled, max in flight ${maxInFlight}: late ${counters.late}, dropped ${counters.dropped}, worst start lag ${
      fmtMs(counters.maxStartLagMs)
    }`,
    `              latency above counts from the scheduled send time; timed from the actual send (uncorrected): p50 ${
      fmtMs(uncorrected.p50_ms)
    }, p99 ${fmtMs(uncorrected.p99_ms)}, max ${fmtMs(uncorrected.max_ms)}`,
  ].join("\n");
}
