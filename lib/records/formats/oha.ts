/**
 * Reader for CSV files written by oha (`oha --output-format csv`).
 *
 * Format source: hatoo/oha `src/printer.rs` (`print_csv`) and its test
 * `test_csv_output` in `tests/tests.rs` (oha v1.x). Header:
 * `request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status`,
 * times in **seconds** as full-precision floats; `request-start` is relative
 * to the start of the run; `Response-delay` is the time to the first byte.
 * oha writes successful requests only (no transport errors), sorted by
 * start. Older releases lack `Response-delay`. The fixture
 * `tests/fixtures/oha.csv` follows that documented layout (oha is not
 * installable here).
 *
 * @module
 */
import type { RequestRecord } from "../../record.ts";
import { byStart, columnsOf, field, makeRecord } from "./_shared.ts";
import { type FormatSpec, readText } from "./rows.ts";

/** The first header fields of an oha CSV. */
export const OHA_HEADER_PREFIX = "request-start,DNS,DNS+dialup,";

/** How an oha CSV is read (see the module doc), row by row. */
export const OHA_FORMAT: FormatSpec = {
  label: "oha",
  header: true,
  quoted: true,
  uniqueIds: false,
  open(header) {
    const col = columnsOf("oha", header ?? [], [
      "request-start",
      "request-duration",
      "bytes",
      "status",
    ]);
    const at = (name: string) => col.get(name) as number;
    const ttfbAt = col.get("Response-delay");
    let id = 0;
    return (row, line) => {
      const num = (name: string) => field("oha", row, at(name), name, line);
      return makeRecord({
        id: id++,
        startedMs: num("request-start") * 1000,
        latencyMs: num("request-duration") * 1000,
        ttfbMs: ttfbAt === undefined
          ? null
          : field("oha", row, ttfbAt, "Response-delay", line) * 1000,
        status: num("status"),
        bytes: num("bytes"),
      });
    };
  },
};

/**
 * Reads an oha CSV into records, sorted by start time, times in ms.
 *
 * @throws {SyntaxError} when the header or a row is malformed.
 *
 * @example
 * ```ts
 * import { readOhaCsv } from "./oha.ts";
 * const csv = "request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status\n" +
 *   "0.002211678,0.000374078,0.001148565,0.002619327,0.002626127,11,200\n";
 * readOhaCsv(csv)[0]?.bytes; // 11
 * ```
 */
export function readOhaCsv(text: string): RequestRecord[] {
  return byStart(readText(OHA_FORMAT, text));
}
