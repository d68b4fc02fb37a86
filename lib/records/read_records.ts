/**
 * Streaming reader for tailgate CSV files: validates the header, decodes
 * each row with {@linkcode recordFromCsvFields}, and names the line number of
 * a malformed row. Memory stays bounded by one read buffer plus one batch of
 * records, whatever the file size.
 *
 * @module
 */
import { CSV_COLUMNS, CSV_HEADER, recordFromCsvFields, type RequestRecord } from "../record.ts";

/** The header of a CSV holding only the seed's four columns. */
const SEED_HEADER = CSV_COLUMNS.slice(0, 4).join(",");
const READ_SIZE = 1 << 20;

/**
 * Reads the records of a tailgate CSV file in batches (one array per read
 * buffer), in file order. Prefer this over {@linkcode readRecordsFile} for
 * millions of rows: it avoids one promise per record.
 *
 * Accepted headers: the full {@linkcode CSV_HEADER}, or only the four seed
 * columns (`request_id,timestamp_ms,latency_ms,status_code`). Blank lines and
 * `\r\n` line endings are accepted.
 *
 * @throws {Deno.errors.NotFound} when the file does not exist.
 * @throws {SyntaxError} when the file is empty, the header is wrong, or a row
 * is malformed (the message names the 1-based line number).
 *
 * @example
 * ```ts ignore
 * import { readRecordBatches } from "./read_records.ts";
 * let n = 0;
 * for await (const batch of readRecordBatches("results/latency_baseline.csv")) n += batch.length;
 * ```
 */
export async function* readRecordBatches(path: string): AsyncGenerator<RequestRecord[]> {
  using file = await Deno.open(path, { read: true });
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const buf = new Uint8Array(READ_SIZE);
  let carry = "";
  let line = 0;
  let sawHeader = false;
  let columns = 0;
  for (;;) {
    const n = await file.read(buf);
    const eof = n === null;
    let text: string;
    try {
      text = eof ? decoder.decode() : decoder.decode(buf.subarray(0, n), { stream: true });
    } catch {
      throw new SyntaxError(`Cannot read CSV file ${path}: not valid UTF-8 near line ${line + 1}`);
    }
    text = carry + text;
    const last = eof ? text.length : text.lastIndexOf("\n");
    if (last < 0) {
      carry = text;
      continue;
    }
    const body = eof ? text : text.slice(0, last);
    carry = eof ? "" : text.slice(last + 1);
    const batch: RequestRecord[] = [];
    let pos = 0;
    while (pos <= body.length) {
      let nl = body.indexOf("\n", pos);
      if (nl < 0) nl = body.length;
      let row = body.slice(pos, nl);
      pos = nl + 1;
      line++;
      if (row.endsWith("\r")) row = row.slice(0, -1);
      if (row === "") continue;
      if (!sawHeader) {
        if (row === CSV_HEADER) columns = CSV_COLUMNS.length;
        else if (row === SEED_HEADER) columns = 4;
        else {
          throw new SyntaxError(
            `Cannot read CSV file ${path}: line ${line} is not the expected header "${CSV_HEADER}" (or "${SEED_HEADER}"), found "${
              row.slice(0, 120)
            }"`,
          );
        }
        sawHeader = true;
        continue;
      }
      const fields = row.split(",");
      if (fields.length !== columns) {
        throw new SyntaxError(
          `Cannot read CSV line ${line}: expected ${columns} columns, found ${fields.length}`,
        );
      }
      batch.push(recordFromCsvFields(fields, line));
    }
    if (batch.length > 0) yield batch;
    if (eof) break;
  }
  if (!sawHeader) throw new SyntaxError(`Cannot read CSV file ${path}: the file is empty`);
}

/**
 * Reads the records of a tailgate CSV file one at a time, streaming. Same
 * rules and errors as {@linkcode readRecordBatches}.
 *
 * @throws {Deno.errors.NotFound} when the file does not exist.
 * @throws {SyntaxError} when the file is empty, the header is wrong, or a row is malformed.
 *
 * @example
 * ```ts ignore
 * import { readRecordsFile } from "./read_records.ts";
 * for await (const record of readRecordsFile("results/latency_baseline.csv")) {
 *   console.log(record.latencyMs);
 * }
 * ```
 */
export async function* readRecordsFile(path: string): AsyncGenerator<RequestRecord> {
  for await (const batch of readRecordBatches(path)) yield* batch;
}
