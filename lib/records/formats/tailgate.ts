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

/**
 * Every header a tailgate CSV may have, with its number of columns: the
 * current one, those written before the `target` column and before the
 * phase columns (still read), and the seed's four columns.
 */
export const TAILGATE_HEADERS: ReadonlyMap<string, number> = new Map(
  [CSV_COLUMNS, CSV_COLUMNS_V2, CSV_COLUMNS_V1, CSV_COLUMNS.slice(0, 4)]
    .map((columns) => [columns.join(","), columns.length]),
);

/** How a tailgate CSV is read, row by row; request ids must be unique. */
export const TAILGATE_FORMAT: FormatSpec = {
  label: "tailgate",
  header: true,
  quoted: false,
  uniqueIds: true,
  open(header, line) {
    const row = (header ?? []).join(",");
    const columns = TAILGATE_HEADERS.get(row);
    if (columns === undefined) {
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
