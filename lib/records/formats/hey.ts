/**
 * Reader for CSV files written by hey (`hey -o csv`).
 *
 * Format source: rakyll/hey `requester/print.go` (csvTmpl) and the README's
 * "csv output" example. Header:
 * `response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset`,
 * all times in **seconds** with 4 decimals; `offset` is the request's start
 * relative to the start of the run. Older hey releases omit `status-code`
 * and `offset`. hey lists only requests that got a response (transport
 * errors are not written), in completion order. The fixture
 * `tests/fixtures/hey.csv` was produced by the real hey 0.1.4 (Debian).
 *
 * Phases (hey's `requester.go`, Go's `httptrace`): `DNS+dialup` is GetConn
 * to GotConn for a new connection (DNS, TCP connect and, on https, the TLS
 * handshake) and 0 for a reused one; `Request-write` is GotConn to
 * WroteRequest; `Response-delay` is WroteRequest to the first response byte.
 * So `connectMs` = `DNS+dialup` when it is not 0 (TLS included: `tlsMs`
 * stays empty), and `ttfbMs` = DNS+dialup + Request-write + Response-delay,
 * from the request's start to the first byte of the headers, as tailgate's.
 * hey does not time the first body byte.
 *
 * @module
 */
import type { RequestRecord } from "../../record.ts";
import { byStart, columnsOf, field, makeRecord } from "./_shared.ts";
import { type FormatSpec, readText } from "./rows.ts";

/** The first header fields of a hey CSV. */
export const HEY_HEADER_PREFIX = "response-time,DNS+dialup,DNS,Request-write,Response-delay";

/** How a hey CSV is read (see the module doc), row by row. */
export const HEY_FORMAT: FormatSpec = {
  label: "hey",
  header: true,
  quoted: true,
  uniqueIds: false,
  open(header) {
    const col = columnsOf("hey", header ?? [], [
      "response-time",
      "DNS+dialup",
      "Request-write",
      "Response-delay",
    ]);
    const at = (name: string) => col.get(name) as number;
    const statusAt = col.get("status-code");
    const offsetAt = col.get("offset");
    const s = 1000;
    let id = 0;
    return (row, line) => {
      const num = (name: string) => field("hey", row, at(name), name, line);
      const status = statusAt === undefined
        ? 200
        : field("hey", row, statusAt, "status-code", line);
      const dialup = num("DNS+dialup");
      return makeRecord({
        id: id++,
        startedMs: offsetAt === undefined ? 0 : field("hey", row, offsetAt, "offset", line) * s,
        latencyMs: num("response-time") * s,
        ttfbMs: (dialup + num("Request-write") + num("Response-delay")) * s,
        status,
        connectMs: dialup !== 0 ? dialup * s : null,
      });
    };
  },
};

/**
 * Reads a hey CSV into records, sorted by start time. Times become ms;
 * `startedMs` is the offset from the run's start (hey has no wall clock).
 * `ttfbMs` = DNS+dialup + Request-write + Response-delay; `connectMs` =
 * DNS+dialup when not 0 (a new connection).
 *
 * @throws {SyntaxError} when the header or a row is malformed.
 *
 * @example
 * ```ts
 * import { readHeyCsv } from "./hey.ts";
 * const csv = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n" +
 *   "0.0050,0.0003,0.0000,0.0000,0.0045,0.0001,200,0.0001\n";
 * readHeyCsv(csv)[0]?.latencyMs; // 5
 * ```
 */
export function readHeyCsv(text: string): RequestRecord[] {
  return byStart(readText(HEY_FORMAT, text));
}
