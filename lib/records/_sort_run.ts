/**
 * One run of the merge's external sort, held compactly: each record encoded
 * once as its CSV row (the bytes the CSV writer would write) in one growing
 * byte buffer, with its sort keys in typed arrays. About 100 bytes a row and
 * no object per row, so a run costs the same whether the garbage collector
 * has caught up or not; the buffer is reused from run to run.
 *
 * @module
 */
import { CSV_HEADER, CSV_ROW_MAX_BYTES, encodeCsvRow, type RequestRecord } from "../record.ts";

const WRITE_BYTES = 64 * 1024;

/**
 * Records of one run, sorted by (start time, request id) and written as a
 * CSV file on {@linkcode SortRun.spill}.
 *
 * @example
 * ```ts ignore
 * import { SortRun } from "./_sort_run.ts";
 * const run = new SortRun(100_000);
 * for (const r of records) run.push(r);
 * await run.spill("all.csv.sort-0-0.tmp"); // sorted; the run is empty again
 * ```
 */
export class SortRun {
  #bytes = new Uint8Array(1 << 20);
  #end = 0;
  #starts: Uint32Array;
  #ts: Float64Array;
  #ids: Float64Array;
  /** Rows held. */
  length = 0;

  /** @param capacity The most rows a run holds (the caller spills when it is full). */
  constructor(readonly capacity: number) {
    this.#starts = new Uint32Array(capacity + 1);
    this.#ts = new Float64Array(capacity);
    this.#ids = new Float64Array(capacity);
  }

  /** Whether the run holds `capacity` rows. */
  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** Adds a record (encoded now; the object may be dropped). */
  push(r: RequestRecord): void {
    if (this.full) throw new RangeError(`SortRun is full: ${this.capacity} rows`);
    if (this.#end + CSV_ROW_MAX_BYTES > this.#bytes.length) {
      const next = new Uint8Array(this.#bytes.length * 2);
      next.set(this.#bytes.subarray(0, this.#end));
      this.#bytes = next;
    }
    const k = this.length++;
    this.#starts[k] = this.#end;
    this.#ts[k] = r.startedMs;
    this.#ids[k] = r.id;
    this.#end = encodeCsvRow(r, this.#bytes, this.#end);
    this.#starts[k + 1] = this.#end;
  }

  /** Writes the rows sorted by (start time, id) to a new CSV file at `path`, then empties the run. */
  async spill(path: string): Promise<void> {
    const n = this.length;
    const ts = this.#ts;
    const ids = this.#ids;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (ts[a]! - ts[b]!) || (ids[a]! - ids[b]!));
    using file = await Deno.open(path, { write: true, createNew: true });
    const out = new Uint8Array(WRITE_BYTES + CSV_ROW_MAX_BYTES);
    let pos = new TextEncoder().encodeInto(CSV_HEADER + "\n", out).written;
    const flush = async () => {
      let off = 0;
      while (off < pos) off += await file.write(out.subarray(off, pos));
      pos = 0;
    };
    for (const i of order) {
      const row = this.#bytes.subarray(this.#starts[i]!, this.#starts[i + 1]!);
      out.set(row, pos);
      pos += row.length;
      if (pos >= WRITE_BYTES) await flush();
    }
    await flush();
    this.length = 0;
    this.#end = 0;
  }
}
