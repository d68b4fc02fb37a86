/**
 * Reader for tailgate's own CSV (header {@linkcode CSV_HEADER} from
 * `lib/record.ts`, or an older header: the first 14, 10 or four seed columns). Fields never need
 * quoting in this format, so rows are split on commas. For files, use the
 * streaming `lib/records/read_records.ts`.
 *
 * @module
 */
import {
  CSV_COLUMNS,
  CSV_COLUMNS_V1,
  CSV_COLUMNS_V2,
  CSV_HEADER,
  recordFromCsvFields,
  type RequestRecord,
} from "../../record.ts";
import { type FormatSpec, readText, shown } from "./rows.ts";

/** The header of a CSV holding only the seed's four columns. */
export const SEED_HEADER: string = CSV_COLUMNS.slice(0, 4).join(",");

/** The header of a tailgate CSV written before the phase columns were added (still read). */
export const V1_HEADER: string = CSV_COLUMNS_V1.join(",");

/** The header of a tailgate CSV written before the `target` column was added (still read). */
export const V2_HEADER: string = CSV_COLUMNS_V2.join(",");

/** How a tailgate CSV is read, row by row; request ids must be unique. */
export const TAILGATE_FORMAT: FormatSpec = {
  label: "tailgate",
  header: true,
  quoted: false,
  uniqueIds: true,
  open(header, line) {
    const row = (header ?? []).join(",");
    const columns = row === CSV_HEADER
      ? CSV_COLUMNS.length
      : row === V2_HEADER
      ? CSV_COLUMNS_V2.length
      : row === V1_HEADER
      ? CSV_COLUMNS_V1.length
      : row === SEED_HEADER
      ? 4
      : 0;
    if (columns === 0) {
      throw new SyntaxError(
        `Cannot read tailgate CSV: line ${line} is not the expected header "${CSV_HEADER}" (or "${SEED_HEADER}"), found ${
          shown(row)
        }`,
      );
    }
    return (fields, n) => {
      if (fields.length !== columns) {
        throw new SyntaxError(
          `Cannot read CSV line ${n}: expected ${columns} columns, found ${fields.length}`,
        );
      }
      return recordFromCsvFields(fields, n);
    };
  },
};

/**
 * Reads a tailgate CSV into records, in file order.
 *
 * @throws {SyntaxError} when the header or a row is malformed.
 *
 * @example
 * ```ts
 * import { readTailgateCsv } from "./tailgate.ts";
 * readTailgateCsv("request_id,timestamp_ms,latency_ms,status_code\n1,1000,12.5,200\n")[0]?.latencyMs; // 12.5
 * ```
 */
export function readTailgateCsv(text: string): RequestRecord[] {
  return readText(TAILGATE_FORMAT, text);
}
