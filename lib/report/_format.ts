/**
 * The cell formats every text report shares: latency, signed latency, a
 * value in its SLA unit, and ANSI colour. Formatting only.
 *
 * @module
 */
import type { SlaResult } from "../stats/sla.ts";

/** Formatting switches. */
export interface TextStyle {
  /** ANSI colour (only on a TTY and never with NO_COLOR; the caller decides). */
  color: boolean;
}

/**
 * Wraps `s` in an ANSI colour `code` when the style allows colour.
 *
 * @example
 * ```ts
 * import { paint } from "./_format.ts";
 * paint({ color: false }, 32, "PASS"); // "PASS"
 * ```
 */
export function paint(style: TextStyle, code: number, s: string): string {
  return style.color ? `\x1b[${code}m${s}\x1b[0m` : s;
}

/**
 * Formats a latency in ms for a table cell.
 *
 * @example
 * ```ts
 * import { fmtMs } from "./_format.ts";
 * fmtMs(12.34); // "12.3ms"
 * fmtMs(12_345); // "12.3s"
 * ```
 */
export function fmtMs(v: number | null): string {
  if (v === null) return "-";
  if (v >= 10_000) return `${(v / 1000).toFixed(1)}s`;
  if (v >= 100) return `${v.toFixed(0)}ms`;
  return `${v.toFixed(1)}ms`;
}

/**
 * A signed latency for a delta cell.
 *
 * @example
 * ```ts
 * import { fmtDelta } from "./_format.ts";
 * fmtDelta(-12.34); // "-12.3ms"
 * fmtDelta(150); // "+150ms"
 * ```
 */
export function fmtDelta(v: number): string {
  const sign = v > 0 ? "+" : v < 0 ? "-" : "";
  return sign + fmtMs(Math.abs(v));
}

/**
 * A confidence level as a percentage, to 0.1 at most.
 *
 * @example
 * ```ts
 * import { fmtLevel } from "./_format.ts";
 * fmtLevel(0.95); // "95%"
 * fmtLevel(0.995); // "99.5%"
 * ```
 */
export function fmtLevel(confidence: number): string {
  return `${Number((confidence * 100).toFixed(1))}%`;
}

/**
 * A bootstrap interval of a delta, both bounds signed.
 *
 * @example
 * ```ts
 * import { fmtDeltaCi } from "./_format.ts";
 * fmtDeltaCi(-1.5, 2); // "[-1.5ms, +2.0ms]"
 * ```
 */
export function fmtDeltaCi(lower: number, upper: number): string {
  return `[${fmtDelta(lower)}, ${fmtDelta(upper)}]`;
}

/**
 * A value in its SLA unit; `-` for `null` (or `none` as given).
 *
 * @example
 * ```ts
 * import { fmtValue } from "./_format.ts";
 * fmtValue(0.005, "ratio"); // "0.50%"
 * fmtValue(null, "ms", "none"); // "none"
 * ```
 */
export function fmtValue(v: number | null, unit: SlaResult["unit"], none = "-"): string {
  if (v === null) return none;
  if (unit === "ms") return fmtMs(v);
  if (unit === "ratio") return `${(v * 100).toFixed(2)}%`;
  return `${v.toFixed(1)}/s`;
}
