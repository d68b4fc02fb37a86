/**
 * Reader for tailgate's own CSV (header {@linkcode CSV_HEADER} from
 * `lib/record.ts`, or only its first four seed columns), from text.
 * For files of millions of rows prefer the streaming `lib/read_records.ts`.
 *
 * @module
 */
import { CSV_COLUMNS, CSV_HEADER, recordFromCsvFields, type RequestRecord } from "../../record.ts";

/** The header of a CSV holding only the seed's four columns. */
export const SEED_HEADER: string = CSV_COLUMNS.slice(0, 4).join(",");

/**
 * Reads a tailgate CSV into records, in file order. Fields never need
 * quoting in this format, so rows are split on commas.
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
  const lines = text.split("\n");
  let header = -1;
  const out: RequestRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    let row = lines[i] as string;
    if (row.endsWith("\r")) row = row.slice(0, -1);
    if (row === "") continue;
    if (header < 0) {
      if (row !== CSV_HEADER && row !== SEED_HEADER) {
        throw new SyntaxError(
          `Cannot read tailgate CSV: line ${i + 1} is not the header "${CSV_HEADER}", found "${
            row.slice(0, 120)
          }"`,
        );
      }
      header = i;
      continue;
    }
    out.push(recordFromCsvFields(row.split(","), i + 1));
  }
  if (header < 0) throw new SyntaxError("Cannot read tailgate CSV: the file is empty");
  return out;
}
