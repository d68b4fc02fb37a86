/**
 * Helpers shared by the foreign-format readers. Private to `lib/formats/`.
 *
 * @module
 */
import { errorForStatus, type ErrorKind, type RequestRecord } from "../../record.ts";
import { shown } from "./rows.ts";

/** A finite number from a field, or a SyntaxError naming the format, line and column. */
export function field(
  format: string,
  row: readonly string[],
  index: number,
  column: string,
  line: number,
): number {
  const raw = row[index];
  const n = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(n)) {
    throw new SyntaxError(
      `Cannot read ${format} CSV line ${line}: column ${column} is not a number: ${shown(raw)}`,
    );
  }
  return n;
}

/** Index of each header name; throws when a required one is missing. */
export function columnsOf(
  format: string,
  header: readonly string[],
  required: readonly string[],
): Map<string, number> {
  const map = new Map(header.map((h, i) => [h.trim(), i] as const));
  for (const name of required) {
    if (!map.has(name)) {
      throw new SyntaxError(
        `Cannot read ${format} CSV: the header has no "${name}" column, found ${
          shown(header.join(","))
        }`,
      );
    }
  }
  return map;
}

/** The error kind of an HTTP status (0 = no response, counted as `other`). */
export function errorOfStatus(status: number): ErrorKind {
  return status === 0 ? "other" : errorForStatus(status);
}

/** Maps a Go net/http error string (vegeta, hey) to an error kind. */
export function errorOfMessage(message: string): ErrorKind {
  const m = message.toLowerCase();
  if (/timeout|deadline exceeded|timed out/.test(m)) return "timeout";
  if (/connection refused/.test(m)) return "connect_refused";
  if (/no such host|lookup .*: /.test(m)) return "dns";
  if (/tls|x509|certificate/.test(m)) return "tls";
  if (/connection reset|broken pipe|eof/.test(m)) return "reset";
  if (/malformed|protocol|http2/.test(m)) return "protocol";
  return "other";
}

/** A record with the defaults foreign formats cannot supply. */
export function makeRecord(
  over: Pick<RequestRecord, "id" | "startedMs" | "latencyMs" | "status"> & Partial<RequestRecord>,
): RequestRecord {
  const error = over.error ?? errorOfStatus(over.status);
  return {
    scheduledMs: over.startedMs,
    ttfbMs: null,
    bytes: 0,
    warmup: false,
    worker: 0,
    connectMs: null,
    tlsMs: null,
    firstBodyMs: null,
    conn: null,
    target: "",
    ...over,
    error,
  };
}

/** Sorts records by start time (stable), so that a run reads in time order. */
export function byStart(records: RequestRecord[]): RequestRecord[] {
  return records.sort((a, b) => a.startedMs - b.startedMs);
}
