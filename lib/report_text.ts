/**
 * Plain-text tables for the terminal. Formatting only: every number shown
 * is computed elsewhere and passed in.
 *
 * @module
 */
import type { Improvement } from "./compare.ts";
import type { SlaResult } from "./sla.ts";
import type { Summary } from "./stats.ts";

/** Formatting switches. */
export interface TextStyle {
  /** ANSI colour (only on a TTY and never with NO_COLOR; the caller decides). */
  color: boolean;
}

const paint = (style: TextStyle, code: number, s: string) =>
  style.color ? `\x1b[${code}m${s}\x1b[0m` : s;

/** Formats a latency in ms for a table cell. */
export function fmtMs(v: number | null): string {
  if (v === null) return "-";
  if (v >= 10_000) return `${(v / 1000).toFixed(1)}s`;
  if (v >= 100) return `${v.toFixed(0)}ms`;
  return `${v.toFixed(1)}ms`;
}

function fmtPct(v: number | null, signed = true): string {
  if (v === null) return "-";
  return `${signed && v > 0 ? "+" : ""}${v.toFixed(1)}%`;
}

function table(rows: string[][], align: ("l" | "r")[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? "").length)));
  return rows.map((r) =>
    r.map((c, i) => {
      const pad = widths[i]! - visible(c).length;
      return align[i] === "l" ? c + " ".repeat(pad) : " ".repeat(pad) + c;
    }).join("  ").trimEnd()
  ).join("\n");
}

// deno-lint-ignore no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

const ROWS: [string, keyof Summary][] = [
  ["min", "min_ms"],
  ["mean", "mean_ms"],
  ["p50", "p50_ms"],
  ["p90", "p90_ms"],
  ["p95", "p95_ms"],
  ["p99", "p99_ms"],
  ["p99.9", "p999_ms"],
  ["max", "max_ms"],
];

function breakdown(s: Summary): string[] {
  const lines: string[] = [];
  const codes = Object.entries(s.status_codes).map(([c, n]) =>
    `${c === "0" ? "no response" : c}: ${n}`
  );
  if (codes.length) lines.push(`status codes  ${codes.join(", ")}`);
  const kinds = Object.entries(s.error_kinds).map(([k, n]) => `${k}: ${n}`);
  if (kinds.length) lines.push(`errors        ${kinds.join(", ")}`);
  return lines;
}

/**
 * Formats one run's summary as a table.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./report_text.ts";
 * import { summarize } from "./stats.ts";
 * formatSummary("run", summarize([]), { color: false }).includes("requests"); // true
 * ```
 */
export function formatSummary(title: string, s: Summary, style: TextStyle): string {
  const rows = [["", title]];
  rows.push(["requests", String(s.count)]);
  rows.push(["errors", `${s.errors} (${(s.error_rate * 100).toFixed(2)}%)`]);
  rows.push(["throughput", `${s.throughput_rps.toFixed(1)} req/s`]);
  for (const [label, key] of ROWS) rows.push([label, fmtMs(s[key] as number | null)]);
  return [paint(style, 1, title), table(rows.slice(1), ["l", "r"]), ...breakdown(s)].join("\n");
}

/**
 * Formats two summaries side by side with the change from A to B.
 *
 * @example
 * ```ts
 * import { formatComparison } from "./report_text.ts";
 * import { summarize } from "./stats.ts";
 * import { compareSummaries } from "./compare.ts";
 * const s = summarize([]);
 * formatComparison(["a", "b"], s, s, compareSummaries(s, s), { color: false });
 * ```
 */
export function formatComparison(
  names: [string, string],
  a: Summary,
  b: Summary,
  imp: Improvement,
  style: TextStyle,
): string {
  const rows: string[][] = [["", names[0], names[1], "change"]];
  rows.push(["requests", String(a.count), String(b.count), ""]);
  rows.push([
    "errors",
    `${a.errors} (${(a.error_rate * 100).toFixed(1)}%)`,
    `${b.errors} (${(b.error_rate * 100).toFixed(1)}%)`,
    "",
  ]);
  rows.push([
    "throughput",
    `${a.throughput_rps.toFixed(1)}/s`,
    `${b.throughput_rps.toFixed(1)}/s`,
    fmtPct(imp.throughput_rps.change_pct),
  ]);
  for (const [label, key] of ROWS) {
    if (key === "min_ms") continue;
    const d = imp[key as keyof Improvement] as { improvement_pct: number | null };
    const pct = d.improvement_pct;
    // improvement_pct > 0 means B is faster; show the latency change (negative = faster).
    const change = pct === null ? "-" : fmtPct(-pct);
    const colored = pct === null || Math.abs(pct) < 1
      ? change
      : paint(style, pct > 0 ? 32 : 31, change);
    rows.push([label, fmtMs(a[key] as number | null), fmtMs(b[key] as number | null), colored]);
  }
  return table(rows, ["l", "r", "r", "r"]);
}

/**
 * Formats SLA results, one line per rule with value, limit and PASS/FAIL.
 *
 * @example
 * ```ts
 * import { formatSlaResults } from "./report_text.ts";
 * formatSlaResults([], { color: false }); // ""
 * ```
 */
export function formatSlaResults(results: readonly SlaResult[], style: TextStyle): string {
  if (results.length === 0) return "";
  const fmt = (v: number | null, unit: SlaResult["unit"]) =>
    v === null
      ? "-"
      : unit === "ms"
      ? fmtMs(v)
      : unit === "ratio"
      ? `${(v * 100).toFixed(2)}%`
      : `${v.toFixed(1)}/s`;
  const rows = [["rule", "measured", "limit", "verdict"]];
  for (const r of results) {
    rows.push([
      r.rule,
      fmt(r.value, r.unit),
      `${r.op} ${fmt(r.limit, r.unit)}`,
      r.passed ? paint(style, 32, "PASS") : paint(style, 31, "FAIL"),
    ]);
  }
  return table(rows, ["l", "r", "r", "l"]);
}
