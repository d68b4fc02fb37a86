/**
 * Reads a latency CSV written by tailgate, hey, vegeta, oha or k6 into
 * {@linkcode RequestRecord}s, detecting the format. Pure (text in).
 *
 * @module
 */
import type { RequestRecord } from "../../record.ts";
import { detectFormat, RESULT_FORMATS, type ResultFormat } from "./detect_format.ts";
import { readHeyCsv } from "./hey.ts";
import { readK6Csv } from "./k6.ts";
import { readK6Json } from "./k6_json.ts";
import { readOhaCsv } from "./oha.ts";
import { printable } from "../read_lines.ts";
import { readTailgateCsv } from "./tailgate.ts";
import { readVegetaCsv } from "./vegeta.ts";

/** Records read from a CSV, with the format and caveats to show the user. */
export interface ReadResults {
  format: ResultFormat;
  /** Whether the format was detected (true) or given (false). */
  detected: boolean;
  records: RequestRecord[];
  /** Caveats of the format, in plain words (e.g. "errors are not recorded"). */
  notes: string[];
}

/** Caveats of each format, in plain words. */
export const FORMAT_NOTES: Record<ResultFormat, string[]> = {
  tailgate: [],
  hey: [
    "hey writes only requests that got a response: transport errors are missing",
    "times have 0.1 ms resolution; start times are offsets from the run's start",
    "connect_ms is hey's DNS+dialup: DNS, TCP connect and TLS together",
  ],
  vegeta: [],
  oha: [
    "oha writes only requests that got a response: transport errors are missing",
    "start times are offsets from the run's start",
    "oha times the first body frame, not the headers: ttfb_ms = first_body_ms; connect_ms includes TLS",
  ],
  k6: [
    "k6 http_req_duration excludes connection setup (DNS, connect, TLS); so does its ttfb_ms (sending + waiting)",
    "start times have the timestamp's resolution (1 s by default)",
  ],
  "k6-json": [
    "k6 http_req_duration excludes connection setup (DNS, connect, TLS); so does its ttfb_ms (sending + waiting)",
  ],
};

const READERS: Record<ResultFormat, (text: string) => RequestRecord[]> = {
  tailgate: readTailgateCsv,
  hey: readHeyCsv,
  vegeta: readVegetaCsv,
  oha: readOhaCsv,
  k6: readK6Csv,
  "k6-json": readK6Json,
};

/**
 * Reads a latency CSV in any supported format. With `format` omitted or
 * `"auto"`, the format is detected from the first line.
 *
 * @throws {SyntaxError} when the format is not recognized or the file is malformed.
 *
 * @example
 * ```ts
 * import { readResults } from "./read_results.ts";
 * const r = readResults("request_id,timestamp_ms,latency_ms,status_code\n1,1000,12.5,200\n");
 * r.format; // "tailgate"
 * ```
 */
export function readResults(text: string, format: ResultFormat | "auto" = "auto"): ReadResults {
  const chosen = format === "auto" ? detectFormat(text) : format;
  if (chosen === null) {
    const first = text.trimStart().split("\n", 1)[0] ?? "";
    throw new SyntaxError(
      `Cannot detect the CSV format: expected a tailgate, hey, vegeta, oha or k6 CSV, or k6 JSON, first line is "${
        printable(first)
      }"`,
    );
  }
  if (!RESULT_FORMATS.includes(chosen)) {
    throw new SyntaxError(
      `Cannot read CSV: unknown format "${chosen}"; use one of ${RESULT_FORMATS.join(", ")}`,
    );
  }
  return {
    format: chosen,
    detected: format === "auto",
    records: READERS[chosen](text),
    notes: FORMAT_NOTES[chosen],
  };
}
