/**
 * Names the tool that wrote a latency CSV, from its first line. Pure.
 *
 * @module
 */
import { HEY_HEADER_PREFIX } from "./hey.ts";
import { K6_HEADER_PREFIX } from "./k6.ts";
import { isK6JsonLine } from "./k6_json.ts";
import { OHA_HEADER_PREFIX } from "./oha.ts";
import { TAILGATE_HEADERS } from "./tailgate.ts";
import { looksLikeVegeta } from "./vegeta.ts";

/** A CSV format tailgate reads. */
export type ResultFormat = "tailgate" | "hey" | "vegeta" | "oha" | "k6" | "k6-json";

/** Every format, in detection order. */
export const RESULT_FORMATS: readonly ResultFormat[] = [
  "tailgate",
  "hey",
  "vegeta",
  "oha",
  "k6",
  "k6-json",
];

/**
 * The format of a CSV text, judged by its first non-empty line: the header
 * of tailgate, hey, oha or k6, a vegeta row (vegeta writes no header), or
 * a k6 JSON line (`--out json`).
 * `null` when none matches.
 *
 * @example
 * ```ts
 * import { detectFormat } from "./detect_format.ts";
 * detectFormat("metric_name,timestamp,metric_value,check\n"); // "k6"
 * detectFormat("1700000000000000000,200,5123456,0,15,,,,0\n"); // "vegeta"
 * ```
 */
export function detectFormat(text: string): ResultFormat | null {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let first = "";
  for (const line of text.slice(start, start + 4096).split("\n")) {
    const l = line.replace(/\r$/, "").trim();
    if (l !== "") {
      first = l;
      break;
    }
  }
  if (TAILGATE_HEADERS.has(first)) return "tailgate";
  if (first.startsWith(HEY_HEADER_PREFIX)) return "hey";
  if (first.startsWith(OHA_HEADER_PREFIX)) return "oha";
  if (first.startsWith(K6_HEADER_PREFIX)) return "k6";
  if (isK6JsonLine(first)) return "k6-json";
  if (looksLikeVegeta(first)) return "vegeta";
  return null;
}
