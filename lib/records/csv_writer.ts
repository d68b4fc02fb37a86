/**
 * Incremental CSV output: rows are buffered and flushed to disk in chunks of
 * whole rows, so a run never holds its rows in memory and an interrupted run
 * keeps every row written so far (call {@linkcode CsvWriter.flushSync}).
 *
 * A write that fails (a full disk, an I/O error) never leaves a torn row:
 * the file is cut back to the last whole row and {@linkcode CsvWriteError}
 * names the file, the cause and how many rows were kept.
 *
 * With `{ atomic: true }` the rows go to a temporary file beside the path,
 * renamed onto it by {@linkcode CsvWriter.close} (after a failed write too,
 * so the file keeps its whole rows): two runs writing the same path leave
 * one run's file, never a mix, and the previous file stays whole until then.
 *
 * @module
 */
import { dirname } from "../path.ts";
import { tempBeside } from "./atomic_file.ts";
import { CSV_HEADER, CSV_ROW_MAX_BYTES, encodeCsvRow, type RequestRecord } from "../record.ts";

const FLUSH_BYTES = 64 * 1024;
/** Room for the longest possible row, so a row is never split across buffers. */
const ROW_ROOM = CSV_ROW_MAX_BYTES;
const NEWLINE = 10;

/** Where a {@linkcode CsvWriter} puts its bytes; a `Deno.FsFile` is one. */
export interface CsvSink {
  /** Writes some bytes, returning how many were written; throws on an I/O error. */
  writeSync(p: Uint8Array): number;
  /** Cuts the file to `len` bytes. */
  truncateSync(len?: number): void;
  /** Closes the file. */
  close(): void;
}

/**
 * A CSV write failed. The file ends on a whole row: `rowsKept` rows (header
 * excluded) are in it. `cause` is the underlying error.
 *
 * @example
 * ```ts
 * import { CsvWriteError } from "./csv_writer.ts";
 * const e = new CsvWriteError("results/run.csv", new Error("No space left on device (os error 28)"), 12);
 * e.message; // "Cannot write results/run.csv: No space left on device (os error 28); the file keeps 12 whole rows"
 * ```
 */
export class CsvWriteError extends Error {
  /** The file being written. */
  readonly path: string;
  /** Whole rows (header excluded) the file keeps. */
  readonly rowsKept: number;

  constructor(path: string, cause: unknown, rowsKept: number) {
    const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(`Cannot write ${path}: ${why}; the file keeps ${rowsKept} whole rows`, { cause });
    this.name = "CsvWriteError";
    this.path = path;
    this.rowsKept = rowsKept;
  }
}

function countNewlines(data: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (data[i] === NEWLINE) n++;
  return n;
}

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
  #sink: CsvSink;
  /** Rows as bytes (a CSV row is ASCII), written out in 64 KiB batches. */
  #buf = new Uint8Array(FLUSH_BYTES + ROW_ROOM);
  #len = 0;
  #bufLines = 0;
  /** Bytes on disk; always ends on a whole row. */
  #written = 0;
  /** Lines on disk, header included. */
  #linesOnDisk = 0;
  #failed: CsvWriteError | null = null;
  #closed = false;
  /** Atomic mode: the temporary file renamed onto `path` on close. */
  #temp: string | null = null;
  /** Rows written (excluding the header). */
  rows = 0;
  /** The file path. */
  readonly path: string;

  private constructor(path: string, sink: CsvSink) {
    this.path = path;
    this.#sink = sink;
  }

  /**
   * Creates (truncates) the file, creating its directory, and writes the
   * header. With `atomic`, writes a temporary file beside it instead, and
   * `close()` renames that onto `path`.
   *
   * @throws {Deno.errors.PermissionDenied | Deno.errors.NotFound} when it cannot be opened.
   * @throws {CsvWriteError} when the header cannot be written.
   */
  static async create(path: string, options: { atomic?: boolean } = {}): Promise<CsvWriter> {
    const dir = dirname(path);
    if (dir) await Deno.mkdir(dir, { recursive: true });
    if (!options.atomic) {
      const file = await Deno.open(path, { write: true, create: true, truncate: true });
      return CsvWriter.fromSink(path, file);
    }
    const temp = tempBeside(path);
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      const w = CsvWriter.fromSink(path, file);
      w.#temp = temp;
      return w;
    } catch (err) {
      await Deno.remove(temp).catch(() => {});
      throw err;
    }
  }

  /**
   * A writer on an open sink (a file, or a fake one in tests); writes the header.
   *
   * @throws {CsvWriteError} when the header cannot be written.
   *
   * @example
   * ```ts
   * import { CsvWriter } from "./csv_writer.ts";
   * const chunks: Uint8Array[] = [];
   * const w = CsvWriter.fromSink("memory.csv", {
   *   writeSync: (p) => (chunks.push(p.slice()), p.length),
   *   truncateSync: () => {},
   *   close: () => {},
   * });
   * await w.close();
   * ```
   */
  static fromSink(path: string, sink: CsvSink): CsvWriter {
    const w = new CsvWriter(path, sink);
    w.#put(CSV_HEADER);
    try {
      w.flushSync();
    } catch (err) {
      try {
        sink.close();
      } catch { /* already failed */ }
      throw err;
    }
    return w;
  }

  /** Appends one line (ASCII: digits, commas and error kinds) and its newline. */
  #put(line: string): void {
    const n = line.length;
    if (this.#len + n + 1 > this.#buf.length) this.#grow(n + 1);
    const buf = this.#buf;
    let pos = this.#len;
    for (let i = 0; i < n; i++) buf[pos++] = line.charCodeAt(i);
    buf[pos++] = NEWLINE;
    this.#len = pos;
    this.#bufLines++;
  }

  #grow(need: number): void {
    const next = new Uint8Array(this.#len + need + FLUSH_BYTES);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /**
   * Appends one record; flushes when the buffer passes 64 KiB.
   *
   * @throws {CsvWriteError} when a flush fails (and on every write after it).
   */
  write(r: RequestRecord): void {
    if (this.#failed) throw this.#failed;
    if (this.#closed) throw new TypeError(`Cannot write to ${this.path}: the writer is closed`);
    // Digits go straight into the buffer: no string per row.
    if (this.#len + ROW_ROOM > this.#buf.length) this.#grow(ROW_ROOM);
    this.#len = encodeCsvRow(r, this.#buf, this.#len);
    this.#bufLines++;
    this.rows++;
    if (this.#len >= FLUSH_BYTES) this.flushSync();
  }

  /**
   * Writes buffered rows to disk now (synchronous, safe in a signal handler).
   *
   * @throws {CsvWriteError} when the write fails; the file is cut back to its last whole row.
   */
  flushSync(): void {
    if (this.#failed) throw this.#failed;
    if (this.#len === 0) return;
    const data = this.#buf.subarray(0, this.#len);
    const lines = this.#bufLines;
    this.#len = 0;
    this.#bufLines = 0;
    let off = 0;
    try {
      while (off < data.length) off += this.#sink.writeSync(data.subarray(off));
    } catch (err) {
      this.#fail(err, data, off);
    }
    this.#written += data.length;
    this.#linesOnDisk += lines;
  }

  #fail(err: unknown, data: Uint8Array, off: number): never {
    // Keep the whole rows of this batch that reached the file, drop a torn tail.
    let keep = off;
    while (keep > 0 && data[keep - 1] !== NEWLINE) keep--;
    const lines = this.#linesOnDisk + countNewlines(data, keep);
    if (keep !== off) {
      try {
        this.#sink.truncateSync(this.#written + keep);
      } catch {
        // Not a regular file (a pipe, /dev/full): nothing to cut.
      }
    }
    this.#failed = new CsvWriteError(this.path, err, Math.max(0, lines - 1));
    throw this.#failed;
  }

  /**
   * Flushes and closes the file (in atomic mode, then renames it onto the
   * path). Idempotent. After a failed write it only closes (and renames) the
   * file, which ends on a whole row.
   *
   * @throws {CsvWriteError} when the last flush or the rename fails (the file is still closed).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let failure: unknown = null;
    try {
      if (!this.#failed) this.flushSync();
    } catch (err) {
      failure = err;
    }
    try {
      this.#sink.close();
    } catch { /* already closed */ }
    if (this.#temp !== null) {
      try {
        await Deno.rename(this.#temp, this.path);
      } catch (err) {
        await Deno.remove(this.#temp).catch(() => {});
        failure ??= new CsvWriteError(this.path, err, 0);
      }
    }
    if (failure !== null) throw failure;
  }

  /** The failure that stopped this writer, if any. */
  get error(): CsvWriteError | null {
    return this.#failed;
  }
}
