/**
 * Reader for CSV files written by oha (`oha --output-format csv`).
 *
 * Format source: hatoo/oha `src/printer.rs` (`print_csv`) and its test
 * `test_csv_output` in `tests/tests.rs` (oha v1.x). Header:
 * `request-start,DNS,DNS+dialup,Response-delay,request-duration,bytes,status`,
 * times in **seconds** as full-precision floats; `request-start` is relative
 * to the start of the run; `Response-delay` is the time to the first byte.
 * oha writes successful requests only (no transport errors), sorted by
 * start. Older releases lack `Response-delay`.
 *
 * Phases (oha's `client.rs`, v1.x): `DNS` and `DNS+dialup` are times from the
 * request's start to the end of the name lookup and to the connection being
 * ready (TCP connect, TLS handshake and HTTP handshake included), both 0 on a
 * reused connection; `Response-delay` is from the request's start to the
 * first frame of the response body (oha times no header arrival), 0 when the
 * body was empty. So `connectMs` = `DNS+dialup` when not 0 (TLS included:
 * `tlsMs` stays empty), `firstBodyMs` = `Response-delay` when not 0, and
 * `ttfbMs` = that same value (the headers came at or before it) — empty,
 * not 0, for an empty body. The fixture
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
    const dialupAt = col.get("DNS+dialup");
    let id = 0;
    return (row, line) => {
      const num = (name: string) => field("oha", row, at(name), name, line);
      const delay = ttfbAt === undefined ? 0 : field("oha", row, ttfbAt, "Response-delay", line);
      const dialup = dialupAt === undefined ? 0 : field("oha", row, dialupAt, "DNS+dialup", line);
      return makeRecord({
        id: id++,
        startedMs: num("request-start") * 1000,
        latencyMs: num("request-duration") * 1000,
        ttfbMs: delay !== 0 ? delay * 1000 : null,
        status: num("status"),
        bytes: num("bytes"),
        connectMs: dialup !== 0 ? dialup * 1000 : null,
        firstBodyMs: delay !== 0 ? delay * 1000 : null,
      });
    };
  },
};

/**
 * Reads an oha CSV into records, sorted by start time, times in ms;
 * `connectMs` from `DNS+dialup` and `firstBodyMs` (and `ttfbMs`) from
 * `Response-delay`, each empty when oha wrote 0.
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
