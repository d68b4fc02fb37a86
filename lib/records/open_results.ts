/**
 * Opens a latency CSV of any supported format (tailgate, hey, vegeta, oha,
 * k6) as a stream of record batches: the file is opened once and read once,
 * so a FIFO, a pipe or `<(cat run.csv)` works like a regular file, and a
 * 600 MB foreign file needs no more memory than a tailgate one. The format
 * is detected from the first non-blank line.
 *
 * @module
 */
import type { RequestRecord } from "../record.ts";
import { detectFormat, type ResultFormat } from "./formats/detect_format.ts";
import { FORMAT_NOTES } from "./formats/read_results.ts";
import { type FormatSpec, RowAssembler } from "./formats/rows.ts";
import { HEY_FORMAT } from "./formats/hey.ts";
import { K6_FORMAT } from "./formats/k6.ts";
import { K6_JSON_FORMAT } from "./formats/k6_json.ts";
import { OHA_FORMAT } from "./formats/oha.ts";
import { TAILGATE_FORMAT } from "./formats/tailgate.ts";
import { VEGETA_FORMAT } from "./formats/vegeta.ts";
import { type ByteSource, type LineBatch, printable, readLineBatches } from "./read_lines.ts";

const SPECS: Record<ResultFormat, FormatSpec> = {
  tailgate: TAILGATE_FORMAT,
  hey: HEY_FORMAT,
  vegeta: VEGETA_FORMAT,
  oha: OHA_FORMAT,
  k6: K6_FORMAT,
  "k6-json": K6_JSON_FORMAT,
};

/** A run being read: its format, the format's caveats, and its records. */
export interface ResultStream {
  format: ResultFormat;
  /** Caveats of the format, in plain words. */
  notes: string[];
  /**
   * Record batches in file order (not sorted by start). Iterate once. Throws
   * a SyntaxError on a malformed or implausible row, and at the end when a
   * run-wide check fails (a request id twice, start times over 7 days apart).
   */
  batches: AsyncGenerator<RequestRecord[]>;
}

/** The file has no line that is not blank. */
export class EmptyFileError extends SyntaxError {
  override name = "EmptyFileError";
}

/**
 * Opens `path` (`-` or `/dev/stdin`: the standard input) and reads up to its first non-blank line to detect the
 * format. Close the file by iterating `batches` to the end (or calling its
 * `return()`).
 *
 * @throws {Deno.errors.NotFound | Deno.errors.IsADirectory} when it cannot be opened.
 * @throws {EmptyFileError} (a SyntaxError) when the file has no non-blank line.
 * @throws {SyntaxError} when the first line is no known header, is too long, or is not UTF-8.
 *
 * @example
 * ```ts ignore
 * import { openResults } from "./open_results.ts";
 * const run = await openResults("hey.csv");
 * for await (const batch of run.batches) console.log(run.format, batch.length);
 * ```
 */
export async function openResults(path: string): Promise<ResultStream> {
  // `-` and /dev/stdin read the standard input (Deno grants /dev paths only with --allow-all).
  const file: ByteSource & { close(): void } = path === "-" || path === "/dev/stdin"
    ? { read: (buf) => Deno.stdin.read(buf), close: () => {} }
    : await Deno.open(path, { read: true });
  const lines = readLineBatches(file, `CSV file ${path}`);
  let first: LineBatch | null = null;
  let text = "";
  try {
    for (;;) {
      const step = await lines.next();
      if (step.done) break;
      const found = step.value.lines.find((l) => l.trim() !== "");
      if (found !== undefined) {
        first = step.value;
        text = found.trim();
        break;
      }
    }
  } catch (err) {
    file.close();
    throw err;
  }
  if (first === null) {
    file.close();
    throw new EmptyFileError(
      `Cannot read ${path}: the file is empty; pass a CSV with a header row`,
    );
  }
  const format = detectFormat(text);
  if (format === null) {
    file.close();
    throw new SyntaxError(
      `Cannot read ${path}: unrecognized header "${
        printable(text)
      }"; expected a CSV from tailgate, hey (-o csv), vegeta (encode -to csv), oha (--output-format csv) or k6 (--out csv or --out json)`,
    );
  }
  const head = first;
  async function* batches(): AsyncGenerator<RequestRecord[]> {
    try {
      const rows = new RowAssembler(SPECS[format!]);
      const batch = rows.push(head);
      if (batch.length > 0) yield batch;
      for await (const more of lines) {
        const next = rows.push(more);
        if (next.length > 0) yield next;
      }
      const last = rows.end();
      if (last.length > 0) yield last;
    } finally {
      file.close();
    }
  }
  return { format, notes: FORMAT_NOTES[format], batches: batches() };
}
