/**
 * Reader for CSV files written by vegeta (`vegeta encode -to csv`).
 *
 * Format source: tsenart/vegeta `lib/results.go` (`NewCSVEncoder` /
 * `NewCSVDecoder`). No header; columns: timestamp (Unix **nanoseconds**),
 * HTTP status code, latency (**nanoseconds**), bytes out, bytes in, error
 * string, base64 body, attack name, sequence number — and, since vegeta
 * 12.9, method, URL and base64 headers. Go's `encoding/csv` quotes fields
 * that hold commas or quotes (error strings often do). Failed requests are
 * included (code 0 plus an error string). The fixture
 * `tests/fixtures/vegeta.csv` follows that documented layout (vegeta is
 * not installable here).
 *
 * @module
 */
import type { RequestRecord } from "../../record.ts";
import { byStart, errorOfMessage, errorOfStatus, field, makeRecord } from "./_shared.ts";
import { type FormatSpec, readText, shown } from "./rows.ts";

/** Whether a line looks like a vegeta CSV row (no header exists to check). */
export function looksLikeVegeta(line: string): boolean {
  return /^\d{15,20},\d{1,3},\d+,\d+,\d+,/.test(line);
}

/** How a vegeta CSV is read (see the module doc), row by row. */
export const VEGETA_FORMAT: FormatSpec = {
  label: "vegeta",
  header: false,
  quoted: true,
  uniqueIds: false,
  open() {
    return (row, line) => {
      if (row.length < 9) {
        throw new SyntaxError(
          `Cannot read vegeta CSV line ${line}: expected at least 9 columns, found ${row.length}`,
        );
      }
      const ts = row[0] ?? "";
      if (!/^\d{1,20}$/.test(ts)) {
        throw new SyntaxError(
          `Cannot read vegeta CSV line ${line}: timestamp is not an integer: ${shown(ts)}`,
        );
      }
      // Nanoseconds exceed 2^53: split off the milliseconds exactly with BigInt.
      const ns = BigInt(ts);
      const startedMs = Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
      const status = field("vegeta", row, 1, "code", line);
      const message = row[5] ?? "";
      return makeRecord({
        id: field("vegeta", row, 8, "seq", line),
        startedMs,
        latencyMs: field("vegeta", row, 2, "latency", line) / 1e6,
        status,
        bytes: field("vegeta", row, 4, "bytes_in", line),
        error: status === 0 || (message !== "" && status < 400)
          ? (message === "" ? "other" : errorOfMessage(message))
          : errorOfStatus(status),
      });
    };
  },
};

/**
 * Reads a vegeta CSV into records, sorted by start time. `startedMs` is the
 * Unix time in ms (µs precision kept), `id` the sequence number.
 *
 * @throws {SyntaxError} when a row is malformed.
 *
 * @example
 * ```ts
 * import { readVegetaCsv } from "./vegeta.ts";
 * readVegetaCsv("1700000000000000000,200,5123456,0,15,,,,0\n")[0]?.latencyMs; // 5.123456
 * ```
 */
export function readVegetaCsv(text: string): RequestRecord[] {
  return byStart(readText(VEGETA_FORMAT, text));
}
