/**
 * Streaming reader for tailgate CSV files: validates the header, decodes
 * each row with {@linkcode recordFromCsvFields}, checks it (see
 * `formats/rows.ts`), and names the line number of a malformed row. Memory
 * stays bounded by one read buffer plus one batch of records (and 8 bytes a
 * row for the request-id check), whatever the file size. Pipes and FIFOs are
 * read once, as streams.
 *
 * @module
 */
import type { RequestRecord } from "../record.ts";
import { RowAssembler } from "./formats/rows.ts";

export { DuplicateIdError } from "./formats/rows.ts";
import { TAILGATE_FORMAT } from "./formats/tailgate.ts";
import { readLineBatches } from "./read_lines.ts";

/**
 * Reads the records of a tailgate CSV file in batches (one array per read
 * buffer of `options.readSize` bytes, default 1 MiB), in file order.
 * `options.uniqueIds: false` skips the request-id check (and its 8 bytes a
 * row), for a file already checked. Prefer this over {@linkcode readRecordsFile} for
 * millions of rows: it avoids one promise per record.
 *
 * Accepted headers: those of `TAILGATE_HEADERS` (`formats/tailgate.ts`):
 * the full `CSV_HEADER`, the older ones without `target` or without the
 * phase columns, or only the four seed columns
 * (`request_id,timestamp_ms,latency_ms,status_code`). Blank lines and
 * `\r\n` line endings are accepted.
 *
 * @throws {Deno.errors.NotFound} when the file does not exist.
 * @throws {SyntaxError} when the file is empty, the header is wrong, a row
 * is malformed or implausible (the message names the 1-based line number),
 * or a request id appears twice.
 *
 * @example
 * ```ts ignore
 * import { readRecordBatches } from "./read_records.ts";
 * let n = 0;
 * for await (const batch of readRecordBatches("results/latency_baseline.csv")) n += batch.length;
 * ```
 */
export async function* readRecordBatches(
  path: string,
  options: { readSize?: number; uniqueIds?: boolean } = {},
): AsyncGenerator<RequestRecord[]> {
  using file = await Deno.open(path, { read: true });
  const rows = new RowAssembler(
    options.uniqueIds === false ? { ...TAILGATE_FORMAT, uniqueIds: false } : TAILGATE_FORMAT,
  );
  const lineOptions = options.readSize === undefined ? {} : { readSize: options.readSize };
  for await (const lines of readLineBatches(file, `CSV file ${path}`, lineOptions)) {
    const batch = rows.push(lines);
    if (batch.length > 0) yield batch;
  }
  const last = rows.end();
  if (last.length > 0) yield last;
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
