/**
 * Incremental CSV output: rows are buffered briefly and flushed to disk in
 * chunks, so a run never holds its rows in memory and an interrupted run
 * keeps every row written so far (call {@linkcode CsvWriter.flush}).
 *
 * @module
 */
import { CSV_HEADER, recordToCsvLine, type RequestRecord } from "../record.ts";

const encoder = new TextEncoder();
const FLUSH_BYTES = 64 * 1024;

/**
 * Writes records to a CSV file as they arrive.
 *
 * @example
 * ```ts ignore
 * import { CsvWriter } from "./csv_writer.ts";
 * const w = await CsvWriter.create("results/run.csv");
 * w.write(record);
 * await w.close();
 * ```
 */
export class CsvWriter {
  #file: Deno.FsFile;
  #buf: string[] = [];
  #size = 0;
  #closed = false;
  /** Rows written (excluding the header). */
  rows = 0;
  /** The file path. */
  readonly path: string;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Creates (truncates) the file, creating its directory, and writes the header.
   *
   * @throws {Deno.errors.PermissionDenied | Deno.errors.NotFound} when it cannot be written.
   */
  static async create(path: string): Promise<CsvWriter> {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    if (dir) await Deno.mkdir(dir, { recursive: true });
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const w = new CsvWriter(path, file);
    w.#push(CSV_HEADER + "\n");
    w.flushSync();
    return w;
  }

  #push(s: string) {
    this.#buf.push(s);
    this.#size += s.length;
  }

  /** Appends one record; flushes when the buffer passes 64 KiB. */
  write(r: RequestRecord): void {
    if (this.#closed) throw new TypeError(`Cannot write to ${this.path}: the writer is closed`);
    this.#push(recordToCsvLine(r) + "\n");
    this.rows++;
    if (this.#size >= FLUSH_BYTES) this.flushSync();
  }

  /** Writes buffered rows to disk now (synchronous, safe in a signal handler). */
  flushSync(): void {
    if (this.#size === 0) return;
    const data = encoder.encode(this.#buf.join(""));
    this.#buf = [];
    this.#size = 0;
    let off = 0;
    while (off < data.length) off += this.#file.writeSync(data.subarray(off));
  }

  /** Flushes and closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.flushSync();
    this.#closed = true;
    this.#file.close();
    return Promise.resolve();
  }
}
