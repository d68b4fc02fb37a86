/**
 * Parsing of human durations such as `800ms`, `1.5s` or `2m`.
 *
 * @module
 */

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration with a unit (`us`, `ms`, `s`, `m`, `h`) into milliseconds.
 *
 * @throws {SyntaxError} when the unit is missing or unknown, or the number is malformed.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1.5s"); // 1500
 * ```
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) {
    throw new SyntaxError(
      `Invalid duration "${text}": use a number and a unit, e.g. 800ms, 30s, 2m`,
    );
  }
  const unit = (m[2] ?? "").toLowerCase();
  if (unit === "") {
    throw new SyntaxError(
      `Invalid duration "${text}": missing unit; write e.g. ${m[1]}ms or ${m[1]}s`,
    );
  }
  const factor = UNITS[unit];
  if (factor === undefined) {
    throw new SyntaxError(
      `Invalid duration "${text}": unknown unit "${m[2]}"; use us, ms, s, m or h`,
    );
  }
  return Number(m[1]) * factor;
}

/**
 * Formats milliseconds for people: `850ms`, `1.25s`, `2m05s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * formatDuration(1250); // "1.25s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2).replace(/\.?0+$/, "")}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, "0")}s`;
}
