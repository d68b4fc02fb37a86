/**
 * Reader for CSV files written by k6 (`k6 run --out csv=file.csv`).
 *
 * Format source: grafana/k6 `internal/output/csv/output.go` (`MakeHeader`,
 * `SampleToRow`) and the k6 docs page "CSV" (results output). Long format:
 * one row per metric sample, header
 * `metric_name,timestamp,metric_value,<enabled system tags, sorted>,extra_tags,metadata`
 * (by default the tags `check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url`).
 * `timestamp` is Unix **seconds** by default (`timeFormat` may make it
 * unix_milli/micro/nano or RFC 3339); `metric_value` of `http_req_duration`
 * is in **milliseconds** (sending + waiting + receiving, without connection
 * setup). Error codes: `lib/netext/httpext/error_codes.go`.
 *
 * Phases: k6 writes the samples of one request together, in this order
 * (`lib/netext/httpext/trail.go`, `SaveSamples`): `http_reqs`,
 * `http_req_duration`, `http_req_blocked`, `http_req_connecting`,
 * `http_req_tls_handshaking`, `http_req_sending`, `http_req_waiting`,
 * `http_req_receiving` (then `http_req_failed`), all with the same time and
 * tags. A request is read from its `http_req_duration` row and completed by
 * the phase rows after it with the same time and tags, up to
 * `http_req_receiving`: `connectMs` = `http_req_connecting` and `tlsMs` =
 * `http_req_tls_handshaking` when not 0 (0 on a reused connection);
 * `ttfbMs` = `http_req_sending` + `http_req_waiting` (waiting is k6's time to
 * first byte; both are inside `http_req_duration`, which, unlike tailgate's
 * latency, leaves the connection setup out). A file with only the
 * `http_req_duration` rows still reads, without phases. The fixture
 * `tests/fixtures/k6.csv` follows that documented layout (k6 is not
 * installable here).
 *
 * @module
 */
import type { ErrorKind, RequestRecord } from "../../record.ts";
import { columnsOf, errorOfStatus, field, makeRecord } from "./_shared.ts";
import { type FormatSpec, readText, shown } from "./rows.ts";

/** The first header fields of a k6 CSV. */
export const K6_HEADER_PREFIX = "metric_name,timestamp,metric_value";

function timestampMs(raw: string, line: number): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    // Digits tell the unit: s (10), ms (13), µs (16), ns (19).
    if (raw.length <= 11) return n * 1000;
    if (raw.length <= 14) return n;
    if (raw.length <= 17) return n / 1000;
    return n / 1e6;
  }
  const t = Date.parse(raw);
  if (Number.isNaN(t)) {
    throw new SyntaxError(
      `Cannot read k6 CSV line ${line}: timestamp is not a time: ${shown(raw)}`,
    );
  }
  return t;
}

/** k6 error codes (lib/netext/httpext/error_codes.go) to tailgate error kinds. */
function errorOfCode(code: number): ErrorKind {
  if (code === 1050 || code === 1211) return "timeout";
  if (code === 1212) return "connect_refused";
  if (code >= 1100 && code < 1200) return "dns";
  if (code === 1201 || code === 1220) return "reset";
  if (code >= 1300 && code < 1400) return "tls";
  if (code >= 1600 && code < 1700) return "protocol";
  return "other";
}

/** How a k6 CSV is read (see the module doc), row by row: `http_req_duration` samples only. */
export const K6_FORMAT: FormatSpec = {
  label: "k6",
  header: true,
  quoted: true,
  uniqueIds: false,
  open(header) {
    // Without the status tag every sample would look like a failure: refuse instead.
    const col = columnsOf("k6", header ?? [], [
      "metric_name",
      "timestamp",
      "metric_value",
      "status",
    ]);
    const statusAt = col.get("status") as number;
    const codeAt = col.get("error_code");
    const nameAt = col.get("metric_name") as number;
    const valueAt = col.get("metric_value") as number;
    const timeAt = col.get("timestamp") as number;
    let id = 0;
    const requests = new K6Requests();
    /** The time and tags of a sample: the same for every sample of one request. */
    const keyOf = (row: string[]): string =>
      row.filter((_, i) => i !== nameAt && i !== valueAt).join(",");
    const decode = (row: string[], line: number): RequestRecord | null => {
      const name = row[nameAt] ?? "";
      if (name !== "http_req_duration") {
        if (!requests.wants(name, keyOf(row))) return null;
        return requests.phase(name, field("k6", row, valueAt, "metric_value", line));
      }
      const latencyMs = field("k6", row, valueAt, "metric_value", line);
      const end = timestampMs(row[timeAt] ?? "", line);
      const status = (row[statusAt] ?? "") === "" ? 0 : field("k6", row, statusAt, "status", line);
      const codeRaw = codeAt === undefined ? "" : row[codeAt] ?? "";
      const code = codeRaw === "" ? 0 : field("k6", row, codeAt as number, "error_code", line);
      return requests.duration(
        makeRecord({
          id: id++,
          startedMs: end - latencyMs,
          latencyMs,
          status,
          error: k6Error(code, status),
        }),
        keyOf(row),
      );
    };
    return Object.assign(decode, { flush: () => requests.flush() });
  },
};

/** The phase samples of one request that follow its `http_req_duration` row. */
const PHASE_ROWS = new Set([
  "http_req_blocked",
  "http_req_connecting",
  "http_req_tls_handshaking",
  "http_req_sending",
  "http_req_waiting",
  "http_req_receiving",
]);

/** The error kind of a k6 sample: its `error_code` when it names a transport error, else its status. */
export function k6Error(code: number, status: number): ErrorKind {
  return code >= 1000 && code < 1400 || code >= 1600 && code < 1700
    ? errorOfCode(code)
    : errorOfStatus(status);
}

/**
 * Puts one k6 request together from its samples (see the module doc): a
 * record from the `http_req_duration` sample, held until the phase samples
 * with the same key (time and tags) have filled it, up to
 * `http_req_receiving`. Shared by the CSV and JSON readers.
 *
 * @example
 * ```ts
 * import { K6Requests } from "./k6.ts";
 * const requests = new K6Requests();
 * requests.flush(); // null: nothing held
 * ```
 */
export class K6Requests {
  #held: RequestRecord | null = null;
  #key = "";
  #sending: number | null = null;
  #waiting: number | null = null;

  /** Holds `r` (a request's duration sample, `key` its time and tags); returns the one held before. */
  duration(r: RequestRecord, key: string): RequestRecord | null {
    const before = this.flush();
    this.#held = r;
    this.#key = key;
    return before;
  }

  /** Whether a sample named `name` with `key` is a phase of the request held. */
  wants(name: string, key: string): boolean {
    return this.#held !== null && PHASE_ROWS.has(name) && key === this.#key;
  }

  /** Adds a phase sample (after {@linkcode K6Requests.wants}); the last one hands the request over. */
  phase(name: string, value: number): RequestRecord | null {
    const r = this.#held as RequestRecord;
    if (name === "http_req_connecting") r.connectMs = value !== 0 ? value : null;
    else if (name === "http_req_tls_handshaking") r.tlsMs = value !== 0 ? value : null;
    else if (name === "http_req_sending") this.#sending = value;
    else if (name === "http_req_waiting") this.#waiting = value;
    else if (name === "http_req_receiving") return this.flush();
    return null;
  }

  /** Hands over the request held, if any, with its time to first byte. */
  flush(): RequestRecord | null {
    const r = this.#held;
    this.#held = null;
    if (r !== null && this.#waiting !== null && r.status > 0) {
      r.ttfbMs = (this.#sending ?? 0) + this.#waiting;
    }
    this.#sending = null;
    this.#waiting = null;
    return r;
  }
}

/**
 * Reads the `http_req_duration` samples of a k6 CSV into records, in file
 * order (k6 writes samples as requests complete; `startedMs` is the sample
 * time minus the duration, at the timestamp's resolution), with the
 * connect, TLS and time-to-first-byte phases of the rows that follow each
 * (see the module doc). The `status` column (a default k6 system tag) is
 * required.
 *
 * @throws {SyntaxError} when the header or a row is malformed.
 *
 * @example
 * ```ts
 * import { readK6Csv } from "./k6.ts";
 * const csv = "metric_name,timestamp,metric_value,status,extra_tags,metadata\n" +
 *   "http_req_duration,1700000000,12.500000,200,,\n";
 * readK6Csv(csv)[0]?.latencyMs; // 12.5
 * ```
 */
export function readK6Csv(text: string): RequestRecord[] {
  return readText(K6_FORMAT, text);
}
