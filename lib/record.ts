/**
 * The one flat record that every measurement produces, and its CSV codec.
 *
 * Measuring and reporting meet here: clients and runners yield
 * {@linkcode RequestRecord}s, reporters only read them. Errors are records
 * too (status 0 plus an {@linkcode ErrorKind}), so nothing is silently lost.
 *
 * @module
 */

/** Why a request did not succeed; the empty string means it did. */
export type ErrorKind =
  | ""
  | "timeout"
  | "connect_refused"
  | "reset"
  | "dns"
  | "tls"
  | "protocol"
  | "http_4xx"
  | "http_5xx"
  | "dropped"
  | "aborted"
  | "other";

/** Every error kind, in the order reports list them. */
export const ERROR_KINDS: readonly ErrorKind[] = [
  "timeout",
  "connect_refused",
  "reset",
  "dns",
  "tls",
  "protocol",
  "http_4xx",
  "http_5xx",
  "dropped",
  "aborted",
  "other",
];

/**
 * One request, as measured. Times are Unix epoch milliseconds with
 * sub-millisecond precision; durations are milliseconds.
 */
export interface RequestRecord {
  /** Unique within a run (and across workers of a sharded run). */
  id: number;
  /** When the request was due to start (open model); equals `startedMs` in a closed loop. */
  scheduledMs: number;
  /** When the request actually started (the first byte was handed to the client). */
  startedMs: number;
  /**
   * From `scheduledMs` to the last body byte (or to the failure). In a closed
   * loop that is start to last byte; in an open loop it includes any delay
   * before the start, which is the coordinated-omission correction.
   */
  latencyMs: number;
  /** From `startedMs` to the response headers; `null` when none arrived. */
  ttfbMs: number | null;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  /** Response body bytes received. */
  bytes: number;
  /** Error kind, `""` on success. */
  error: ErrorKind;
  /** Sent to warm up; excluded from statistics. */
  warmup: boolean;
  /** Worker index in a sharded run; 0 otherwise. */
  worker: number;
  /**
   * The TCP connect of the connection this request opened, in ms; `null` when
   * the request reused a connection, or the client cannot tell (`fetch`).
   * Phase boundaries: docs/phases.md.
   */
  connectMs: number | null;
  /** The TLS handshake of the connection this request opened, in ms; `null` as `connectMs`, or on plain HTTP. */
  tlsMs: number | null;
  /**
   * From `startedMs` to the first byte of the response body (the first token of
   * a streamed response); `null` when no body byte arrived.
   */
  firstBodyMs: number | null;
  /** Which connection carried the request, numbered from 1 within the run (worker); `null` when unknown. */
  conn: number | null;
  /**
   * The name of the target (`--targets`) this request was sent to; `""` when
   * the run had no targets file. Names never need CSV quoting (targets.ts).
   */
  target: string;
}

/** CSV header. The seed's four columns come first, in this order. */
export const CSV_COLUMNS = [
  "request_id",
  "timestamp_ms",
  "latency_ms",
  "status_code",
  "ttfb_ms",
  "bytes",
  "error",
  "scheduled_ms",
  "warmup",
  "worker",
  "connect_ms",
  "tls_ms",
  "first_body_ms",
  "conn",
  "target",
] as const;

/** The columns of a tailgate CSV written before the phase columns (still read). */
export const CSV_COLUMNS_V1: readonly string[] = CSV_COLUMNS.slice(0, 10);

/** The columns of a tailgate CSV written before the `target` column (still read). */
export const CSV_COLUMNS_V2: readonly string[] = CSV_COLUMNS.slice(0, 14);

/** The header line of a tailgate CSV, without a newline. */
export const CSV_HEADER: string = CSV_COLUMNS.join(",");

/**
 * Whether a record counts as a success: a response with status 200–399 and
 * no error, as k6 and vegeta define it.
 *
 * @example
 * ```ts
 * import { isSuccess } from "./record.ts";
 * isSuccess({ status: 200, error: "" }); // true
 * ```
 */
export function isSuccess(record: Pick<RequestRecord, "status" | "error">): boolean {
  return record.error === "" && record.status >= 200 && record.status < 400;
}

/**
 * The error kind for the status of a final response: `http_4xx`, `http_5xx`,
 * `""` for 200–399, and `protocol` for a status no final response may have
 * (1xx, which is never final, and anything from 600: RFC 9110 §15 defines
 * 100–599). 0 (no response) gives `""`: the caller knows why none came.
 *
 * @example
 * ```ts
 * import { errorForStatus } from "./record.ts";
 * errorForStatus(503); // "http_5xx"
 * errorForStatus(101); // "protocol"
 * errorForStatus(999); // "protocol"
 * ```
 */
export function errorForStatus(status: number): ErrorKind {
  if (status >= 600 || (status > 0 && status < 200)) return "protocol";
  if (status >= 500) return "http_5xx";
  if (status >= 400) return "http_4xx";
  return "";
}

/** Below this, `n * 1000` is an exact integer count of microseconds in a double. */
const FIXED3_EXACT = 2 ** 53 / 1000;

function fixed3(n: number): string {
  // Three decimals is microsecond resolution, trailing zeros trimmed. This runs three times
  // per row: integer arithmetic instead of toFixed() and a regex, except where a product
  // lands within a hair of a half and toFixed()'s exact decimal rounding must decide.
  const scaled = n * 1000;
  const frac = scaled - Math.floor(scaled);
  if (!(Math.abs(n) < FIXED3_EXACT) || Math.abs(frac - 0.5) < 1e-6) return trimFixed3(n);
  const us = Math.round(scaled);
  const neg = us < 0;
  const abs = neg ? -us : us;
  const whole = Math.floor(abs / 1000);
  const rest = abs - whole * 1000;
  const sign = neg && abs !== 0 ? "-" : "";
  if (rest === 0) return sign + whole;
  if (rest % 100 === 0) return sign + whole + "." + rest / 100;
  if (rest % 10 === 0) return sign + whole + "." + (rest < 100 ? "0" : "") + rest / 10;
  return sign + whole + "." + (rest < 10 ? "00" : rest < 100 ? "0" : "") + rest;
}

function trimFixed3(n: number): string {
  const s = n.toFixed(3);
  let end = s.length;
  if (s.charCodeAt(end - 4) !== 46) return s; // no "." three from the end: exponent form
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * Encodes one record as a CSV line (no newline). No field ever needs quoting.
 *
 * @example
 * ```ts
 * import { recordToCsvLine } from "./record.ts";
 * recordToCsvLine({
 *   id: 1, scheduledMs: 1000, startedMs: 1000, latencyMs: 12.5, ttfbMs: 10,
 *   status: 200, bytes: 42, error: "", warmup: false, worker: 0,
 *   connectMs: null, tlsMs: null, firstBodyMs: 11, conn: 3, target: "infer",
 * }); // "1,1000,12.5,200,10,42,,1000,0,0,,,11,3,infer"
 * ```
 */
export function recordToCsvLine(r: RequestRecord): string {
  // Concatenation, not an array join: this runs once per row on the hot path.
  return r.id + "," + fixed3(r.startedMs) + "," + fixed3(r.latencyMs) + "," + r.status + "," +
    (r.ttfbMs === null ? "" : fixed3(r.ttfbMs)) + "," + r.bytes + "," + r.error + "," +
    fixed3(r.scheduledMs) + "," + (r.warmup ? "1" : "0") + "," + r.worker + "," +
    (r.connectMs === null ? "" : fixed3(r.connectMs)) + "," +
    (r.tlsMs === null ? "" : fixed3(r.tlsMs)) + "," +
    (r.firstBodyMs === null ? "" : fixed3(r.firstBodyMs)) + "," +
    (r.conn === null ? "" : r.conn) + "," + r.target;
}

/** Writes ASCII text at `pos`; returns the position after it. */
function putAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/** Copies the bytes already written at `buf[from, to)` to `pos`; returns the position after them. */
function copyBytes(buf: Uint8Array, pos: number, from: number, to: number): number {
  for (let i = from; i < to; i++) buf[pos++] = buf[i]!;
  return pos;
}

/** Writes a non-negative integer below 2^31 in decimal. */
function putSmallUint(buf: Uint8Array, pos: number, v: number): number {
  let len = 1;
  for (let t = v; t >= 10; t = (t / 10) | 0) len++;
  const end = pos + len;
  for (let i = end - 1; i > pos; i--) {
    const q = (v / 10) | 0;
    buf[i] = 48 + v - q * 10;
    v = q;
  }
  buf[pos] = 48 + v;
  return end;
}

/** Writes a number as `String(v)` would: integers directly, anything else through a string. */
function putNumber(buf: Uint8Array, pos: number, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) return putAscii(buf, pos, String(v));
  if (v < 2147483648) return putSmallUint(buf, pos, v);
  // Below 2^53: nine low digits at a time stay within 32-bit integer arithmetic.
  const hi = Math.floor(v / 1e9);
  return putNineDigits(buf, putNumber(buf, pos, hi), (v - hi * 1e9) | 0);
}

/** Writes the 9 decimal digits of `v` (an int32 below 10^9), leading zeros included. */
function putNineDigits(buf: Uint8Array, pos: number, v: number): number {
  for (let i = pos + 8; i >= pos; i--) {
    const q = (v / 10) | 0;
    buf[i] = 48 + v - q * 10;
    v = q;
  }
  return pos + 9;
}

/** The digits of the last epoch millisecond {@linkcode putFixed3} wrote (at most 16 of them). */
let lastWhole = -1;
let lastWholeLen = 0;
const lastWholeBytes = new Uint8Array(16);

/** Writes {@linkcode fixed3}'s text without making the string. */
function putFixed3(buf: Uint8Array, pos: number, n: number): number {
  let whole: number;
  let rest: number;
  if (n >= 1024 && n < FIXED3_EXACT) {
    // An epoch timestamp (or any value from 1024): its fraction, n − ⌊n⌋, is exact, and has at
    // most 42 significant bits, so times 1000 it is still exact. Rounding that half up is
    // toFixed(3)'s rounding of the exact value, with no product rounded first. (Near 1.8e12,
    // n × 1000 lands on a half for about one timestamp in four, and then only toFixed()
    // could tell which way the exact value goes.)
    whole = Math.floor(n);
    rest = Math.floor((n - whole) * 1000 + 0.5);
    if (rest === 1000) {
      whole++;
      rest = 0;
    }
  } else {
    const scaled = n * 1000;
    const us = Math.round(scaled);
    // Outside [0, 2^53/1000), or within a hair of a half: the exact slow way, as fixed3().
    if (!(n >= 0 && n < FIXED3_EXACT) || Math.abs(scaled - us) > 0.5 - 1e-6) {
      return putAscii(buf, pos, fixed3(n));
    }
    whole = Math.floor(us / 1000);
    // Int32s from here on: a double's `%` or division is far slower.
    rest = (us - whole * 1000) | 0;
  }
  if (whole < 2147483648) {
    pos = putSmallUint(buf, pos, whole);
  } else if (whole === lastWhole) {
    // An epoch timestamp in the same millisecond as the last one (dozens of rows a
    // millisecond under load): its digits again.
    for (let i = 0; i < lastWholeLen; i++) buf[pos++] = lastWholeBytes[i]!;
  } else {
    // An epoch timestamp: nine low digits at a time stay within 32-bit integers.
    const hi = Math.floor(whole / 1e9);
    const start = pos;
    pos = putNineDigits(buf, putNumber(buf, pos, hi), (whole - hi * 1e9) | 0);
    lastWhole = whole;
    lastWholeLen = pos - start;
    for (let i = 0; i < lastWholeLen; i++) lastWholeBytes[i] = buf[start + i]!;
  }
  if (rest === 0) return pos;
  const d1 = (rest / 100) | 0;
  const r2 = rest - d1 * 100;
  const d2 = (r2 / 10) | 0;
  const d3 = r2 - d2 * 10;
  buf[pos++] = 46;
  buf[pos++] = 48 + d1;
  if (d2 !== 0 || d3 !== 0) buf[pos++] = 48 + d2;
  if (d3 !== 0) buf[pos++] = 48 + d3;
  return pos;
}

/** Most bytes {@linkcode encodeCsvRow} can write for one record, newline included. */
export const CSV_ROW_MAX_BYTES = 1024;

/**
 * Writes one record as a CSV row and its newline into `buf` at `pos`, byte
 * for byte what {@linkcode recordToCsvLine} returns, without building the
 * string (the CSV writer's hot path). `buf` needs
 * {@linkcode CSV_ROW_MAX_BYTES} free bytes from `pos`. Returns the position
 * after the newline.
 *
 * @example
 * ```ts
 * import { encodeCsvRow } from "./record.ts";
 * const buf = new Uint8Array(1024);
 * const end = encodeCsvRow({
 *   id: 1, scheduledMs: 1000, startedMs: 1000, latencyMs: 12.5, ttfbMs: 10,
 *   status: 200, bytes: 42, error: "", warmup: false, worker: 0,
 *   connectMs: null, tlsMs: null, firstBodyMs: 11, conn: 3, target: "",
 * }, buf, 0);
 * new TextDecoder().decode(buf.subarray(0, end)); // "1,1000,12.5,200,10,42,,1000,0,0,,,11,3,\n"
 * ```
 */
export function encodeCsvRow(r: RequestRecord, buf: Uint8Array, pos: number): number {
  pos = putNumber(buf, pos, r.id);
  buf[pos++] = 44;
  const started = pos;
  pos = putFixed3(buf, pos, r.startedMs);
  const startedEnd = pos;
  buf[pos++] = 44;
  const latency = pos;
  pos = putFixed3(buf, pos, r.latencyMs);
  const latencyEnd = pos;
  buf[pos++] = 44;
  pos = putNumber(buf, pos, r.status);
  buf[pos++] = 44;
  // A response that came in one read has ttfb = first body (= latency, in a closed loop): the
  // same number, so the same text, copied rather than formatted again.
  const ttfb = pos;
  if (r.ttfbMs === r.latencyMs) pos = copyBytes(buf, pos, latency, latencyEnd);
  else if (r.ttfbMs !== null) pos = putFixed3(buf, pos, r.ttfbMs);
  const ttfbEnd = pos;
  buf[pos++] = 44;
  pos = putNumber(buf, pos, r.bytes);
  buf[pos++] = 44;
  if (r.error !== "") pos = putAscii(buf, pos, r.error);
  buf[pos++] = 44;
  if (r.scheduledMs === r.startedMs) {
    // The closed model's rows: the same timestamp twice, copied rather than formatted again.
    pos = copyBytes(buf, pos, started, startedEnd);
  } else {
    pos = putFixed3(buf, pos, r.scheduledMs);
  }
  buf[pos++] = 44;
  buf[pos++] = r.warmup ? 49 : 48;
  buf[pos++] = 44;
  pos = putNumber(buf, pos, r.worker);
  buf[pos++] = 44;
  if (r.connectMs !== null) pos = putFixed3(buf, pos, r.connectMs);
  buf[pos++] = 44;
  if (r.tlsMs !== null) pos = putFixed3(buf, pos, r.tlsMs);
  buf[pos++] = 44;
  if (r.firstBodyMs !== null) {
    pos = r.firstBodyMs === r.ttfbMs
      ? copyBytes(buf, pos, ttfb, ttfbEnd)
      : putFixed3(buf, pos, r.firstBodyMs);
  }
  buf[pos++] = 44;
  if (r.conn !== null) pos = putNumber(buf, pos, r.conn);
  buf[pos++] = 44;
  if (r.target !== "") pos = putAscii(buf, pos, r.target);
  buf[pos++] = 10;
  return pos;
}

const KNOWN_ERRORS = new Set<string>(["", ...ERROR_KINDS]);

function num(field: string | undefined, name: string, line: number): number {
  if (field === undefined || field.trim() === "") {
    throw new SyntaxError(`Cannot read CSV line ${line}: column ${name} is empty`);
  }
  const n = Number(field);
  if (!Number.isFinite(n)) {
    throw new SyntaxError(
      `Cannot read CSV line ${line}: column ${name} is not a number: "${field}"`,
    );
  }
  return n;
}

/**
 * Decodes the fields of one CSV row, laid out as {@linkcode CSV_COLUMNS}.
 * Rows with only the four seed columns, the ten before the phase columns
 * ({@linkcode CSV_COLUMNS_V1}), or the fourteen before `target`
 * ({@linkcode CSV_COLUMNS_V2}), are accepted too (target `""`). `line` is the
 * 1-based line number used in error messages.
 *
 * @throws {SyntaxError} when a field is missing or malformed.
 *
 * @example
 * ```ts
 * import { recordFromCsvFields } from "./record.ts";
 * recordFromCsvFields(["1", "1000", "12.5", "200"], 2).latencyMs; // 12.5
 * ```
 */
export function recordFromCsvFields(fields: readonly string[], line: number): RequestRecord {
  if (fields.length < 4) {
    throw new SyntaxError(
      `Cannot read CSV line ${line}: expected at least 4 columns, found ${fields.length}`,
    );
  }
  const startedMs = num(fields[1], "timestamp_ms", line);
  const status = num(fields[3], "status_code", line);
  const ttfb = fields[4];
  const error = fields[6] ?? "";
  if (!KNOWN_ERRORS.has(error)) {
    throw new SyntaxError(`Cannot read CSV line ${line}: unknown error kind "${error}"`);
  }
  const scheduled = fields[7];
  const latencyMs = num(fields[2], "latency_ms", line);
  if (latencyMs < 0) {
    throw new SyntaxError(`Cannot read CSV line ${line}: latency_ms is negative: ${latencyMs}`);
  }
  return {
    id: num(fields[0], "request_id", line),
    startedMs,
    latencyMs,
    status,
    ttfbMs: ttfb === undefined || ttfb === "" ? null : num(ttfb, "ttfb_ms", line),
    bytes: fields[5] === undefined || fields[5] === "" ? 0 : num(fields[5], "bytes", line),
    error: fields.length > 6 ? error as ErrorKind : errorForStatus(status) ||
      (status === 0 ? "other" : ""),
    scheduledMs: scheduled === undefined || scheduled === ""
      ? startedMs
      : num(scheduled, "scheduled_ms", line),
    warmup: fields[8] === "1" || fields[8] === "true",
    worker: fields[9] === undefined || fields[9] === "" ? 0 : num(fields[9], "worker", line),
    connectMs: phase(fields[10], "connect_ms", line),
    tlsMs: phase(fields[11], "tls_ms", line),
    firstBodyMs: phase(fields[12], "first_body_ms", line),
    conn: fields[13] === undefined || fields[13] === "" ? null : connNumber(fields[13], line),
    target: fields[14] ?? "",
  };
}

/** A phase column: empty is no data (`null`), never zero; otherwise a duration of at least 0. */
function phase(field: string | undefined, name: string, line: number): number | null {
  if (field === undefined || field === "") return null;
  const n = num(field, name, line);
  if (n < 0) throw new SyntaxError(`Cannot read CSV line ${line}: ${name} is negative: ${n}`);
  return n;
}

function connNumber(field: string, line: number): number {
  const n = num(field, "conn", line);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SyntaxError(
      `Cannot read CSV line ${line}: conn is not a connection number: "${field}"`,
    );
  }
  return n;
}
