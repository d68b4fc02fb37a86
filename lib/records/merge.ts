/**
 * Exact merge of the CSVs of one sharded run (`tailgate merge`): every row of
 * every worker, once, sorted by `timestamp_ms` then `request_id`, under the
 * normal tailgate header, so `report`, `compare` and the SLA gate read the
 * merged file as one run. Percentiles are then computed over the union of all
 * rows, never averaged across workers.
 *
 * Before writing anything it refuses inputs that are not one run: different
 * `run_id` or `config_digest` (or worker count) in the sidecars, the same
 * worker twice, a missing worker (unless `partial`), a file without a sidecar
 * (unless `force`), rows whose `worker` column does not match the sidecar,
 * and duplicate `request_id`s.
 *
 * Memory: bench writes rows in completion order, which is not start order,
 * so each unsorted input is read whole (one CSV line string plus two numbers
 * per row, about 100 bytes a row), sorted, and spilled to a temporary file
 * next to the output; then a k-way merge streams all inputs with one read
 * buffer each. Peak memory is therefore about the largest single input, not
 * the sum. Request-id uniqueness across files is proven from the shard
 * numbering (worker `w` of `N` only has ids ≡ w mod N) plus a per-file check;
 * only when a file has no sidecar (`force`) does it fall back to a set of all
 * ids (about 50 bytes a row over all files).
 *
 * @module
 */
import { resolve } from "node:path";
import { CsvWriteError, CsvWriter } from "./csv_writer.ts";
import { sameFile } from "./same_file.ts";
import { WriteError } from "./write_error.ts";
import { Column } from "./formats/rows.ts";
import { DuplicateIdError, readRecordBatches } from "./read_records.ts";
import { CSV_HEADER, recordToCsvLine, type RequestRecord } from "../record.ts";
import { coveredWorkers, metaPath, readRunMeta, type RunMeta, writeRunMeta } from "./run_meta.ts";

/**
 * The inputs are not one run, or not mergeable as given. A `TypeError`, so
 * callers can tell a refusal from a bug by class.
 */
export class MergeRefusedError extends TypeError {
  override name = "MergeRefusedError";
}

/** Options of {@linkcode mergeRuns}. */
export interface MergeOptions {
  /** Accept inputs without a sidecar (their run cannot be checked). */
  force?: boolean;
  /** Accept a run with some workers missing (the merged load is then lower than configured). */
  partial?: boolean;
}

/** What happened to one input. */
export interface MergedInput {
  path: string;
  /** Rows read (warm-up rows included; they stay flagged in the output). */
  rows: number;
  /** Worker indices: from the sidecar, or as seen in the rows without one. */
  workers: number[];
  /** Whether a sidecar was found. */
  sidecar: boolean;
  /** The earliest and latest `timestamp_ms` in the file; `null` when empty. */
  firstMs: number | null;
  lastMs: number | null;
  /** `started_at` from the sidecar, as epoch ms; `null` without one. */
  startedAtMs: number | null;
}

/** The outcome of {@linkcode mergeRuns}. */
export interface MergeResult {
  out: string;
  rows: number;
  inputs: MergedInput[];
  /** The merged sidecar written next to `out`, or `null` when no input had one. */
  meta: RunMeta | null;
  /** Things the user should know (forced or partial merges). */
  notes: string[];
}

/** Per-file result of the first pass. */
interface Scanned extends MergedInput {
  meta: RunMeta | null;
  /** A file holding the rows sorted by (timestamp, id): the input itself, or a spill file. */
  sortedPath: string;
  spilled: boolean;
}

function samePath(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

/**
 * Refuses an output that is not a regular file (or absent): merge writes a
 * temporary file beside it and renames it into place, which would replace a
 * device such as /dev/full, a FIFO or a symlink with a regular file.
 */
async function checkOutput(out: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(out);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (info.isSymlink) {
    throw new MergeRefusedError(
      `Cannot merge into ${out}: it is a symbolic link, which merge would replace; give the path it points to`,
    );
  }
  if (!info.isFile) {
    const what = info.isDirectory ? "a directory" : "not a regular file (a device, FIFO or socket)";
    throw new MergeRefusedError(
      `Cannot merge into ${out}: it is ${what}; merge writes a new file and renames it into place, so give a file path`,
    );
  }
}

function before(a: RequestRecord, b: RequestRecord): boolean {
  return a.startedMs < b.startedMs || (a.startedMs === b.startedMs && a.id < b.id);
}

async function writeLines(path: string, lines: string[], order: Uint32Array): Promise<void> {
  const encoder = new TextEncoder();
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let chunk: string[] = [CSV_HEADER];
  let size = 0;
  const flush = async () => {
    const data = encoder.encode(chunk.join("\n") + "\n");
    chunk = [];
    size = 0;
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
  };
  for (const i of order) {
    const line = lines[i]!;
    chunk.push(line);
    size += line.length;
    if (size >= 1 << 20) await flush();
  }
  if (chunk.length) await flush();
}

/**
 * First pass over one input: validates rows against the sidecar, checks
 * request-id uniqueness inside the file, and leaves a time-sorted copy.
 */
async function scan(
  path: string,
  meta: RunMeta | null,
  spillPath: string,
  allIds: Map<number, string> | null,
): Promise<Scanned> {
  const covered = meta ? new Set(coveredWorkers(meta)) : null;
  const lines: string[] = [];
  const ts = new Column();
  const ids = new Column();
  const seenWorkers = new Set<number>();
  let sorted = true;
  let prev: RequestRecord | null = null;
  let first = Infinity;
  let last = -Infinity;
  let row = 0;
  const rows = readRecordBatches(path);
  const refuseDuplicates = async function* () {
    try {
      yield* rows;
    } catch (err) {
      if (!(err instanceof DuplicateIdError)) throw err;
      throw new MergeRefusedError(
        `Cannot merge ${path}: request_id ${err.id} appears more than once; request ids must be unique across a run`,
      );
    }
  };
  for await (const batch of refuseDuplicates()) {
    for (const r of batch) {
      row++;
      if (covered && meta) {
        if (!covered.has(r.worker)) {
          throw new MergeRefusedError(
            `Cannot merge ${path}: row ${row} has worker ${r.worker}, but its sidecar says it holds worker ${
              [...covered].join(", ")
            } of ${meta.workers}`,
          );
        }
        if (r.id % meta.workers !== r.worker) {
          throw new MergeRefusedError(
            `Cannot merge ${path}: row ${row} has request_id ${r.id}, which is not an id of worker ${r.worker} of ${meta.workers} (ids are worker + k × ${meta.workers}); was it written by tailgate bench --shard?`,
          );
        }
      }
      if (allIds) {
        const other = allIds.get(r.id);
        if (other !== undefined) {
          throw new MergeRefusedError(
            `Cannot merge ${path}: request_id ${r.id} (row ${row}) also appears in ${other}; request ids must be unique across a run`,
          );
        }
        allIds.set(r.id, path);
      }
      seenWorkers.add(r.worker);
      if (prev && before(r, prev)) sorted = false;
      prev = r;
      first = Math.min(first, r.startedMs);
      last = Math.max(last, r.startedMs);
      lines.push(recordToCsvLine(r));
      ts.push(r.startedMs);
      ids.push(r.id);
    }
  }
  if (!allIds) {
    const byId = ids.view().slice().sort();
    for (let i = 1; i < byId.length; i++) {
      if (byId[i] === byId[i - 1]) {
        throw new MergeRefusedError(
          `Cannot merge ${path}: request_id ${
            byId[i]
          } appears more than once; request ids must be unique across a run`,
        );
      }
    }
  }
  let sortedPath = path;
  if (!sorted) {
    const t = ts.view();
    const id = ids.view();
    const order = new Uint32Array(lines.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => (t[a]! - t[b]!) || (id[a]! - id[b]!));
    await writeLines(spillPath, lines, order);
    sortedPath = spillPath;
  }
  const startedAtMs = meta ? Date.parse(meta.started_at) : null;
  return {
    path,
    rows: lines.length,
    workers: covered ? [...covered].sort((a, b) => a - b) : [...seenWorkers].sort((a, b) => a - b),
    sidecar: meta !== null,
    firstMs: lines.length ? first : null,
    lastMs: lines.length ? last : null,
    startedAtMs,
    meta,
    sortedPath,
    spilled: !sorted,
  };
}

/** A read cursor over one sorted file, for the k-way merge. */
class Cursor {
  #it: AsyncGenerator<RequestRecord[]>;
  #batch: RequestRecord[] = [];
  #pos = 0;
  head: RequestRecord | null = null;
  constructor(path: string) {
    this.#it = readRecordBatches(path);
  }
  async next(): Promise<void> {
    while (this.#pos >= this.#batch.length) {
      const step = await this.#it.next();
      if (step.done) {
        this.head = null;
        return;
      }
      this.#batch = step.value;
      this.#pos = 0;
    }
    this.head = this.#batch[this.#pos++]!;
  }
  async close(): Promise<void> {
    await this.#it.return(undefined);
  }
}

/** k-way merge of time-sorted files into `writer`; returns rows written. */
async function kWayMerge(paths: string[], writer: CsvWriter): Promise<number> {
  const cursors = paths.map((p) => new Cursor(p));
  try {
    await Promise.all(cursors.map((c) => c.next()));
    // Binary min-heap of cursors with a head, keyed by (startedMs, id).
    const heap = cursors.filter((c) => c.head !== null);
    const less = (i: number, j: number) => before(heap[i]!.head!, heap[j]!.head!);
    const swap = (i: number, j: number) => {
      const t = heap[i]!;
      heap[i] = heap[j]!;
      heap[j] = t;
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    let rows = 0;
    while (heap.length) {
      const top = heap[0]!;
      writer.write(top.head!);
      rows++;
      await top.next();
      if (top.head === null) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length) down(0);
    }
    return rows;
  } finally {
    await Promise.all(cursors.map((c) => c.close()));
  }
}

function checkSameRun(inputs: { path: string; meta: RunMeta | null }[]): RunMeta | null {
  const ref = inputs.find((i) => i.meta !== null);
  if (!ref?.meta) return null;
  for (const { path, meta } of inputs) {
    if (!meta) continue;
    if (meta.run_id !== ref.meta.run_id) {
      throw new MergeRefusedError(
        `Cannot merge ${path} with ${ref.path}: they come from different runs (run_id "${meta.run_id}" vs "${ref.meta.run_id}"); give every worker the same --run-id`,
      );
    }
    if (meta.config_digest !== ref.meta.config_digest || meta.workers !== ref.meta.workers) {
      throw new MergeRefusedError(
        `Cannot merge ${path} with ${ref.path}: same run_id "${meta.run_id}" but a different configuration (config_digest ${
          meta.config_digest.slice(0, 12)
        }… vs ${
          ref.meta.config_digest.slice(0, 12)
        }…, ${meta.workers} vs ${ref.meta.workers} workers); every worker must get the same options apart from --shard and --out`,
      );
    }
  }
  return ref.meta;
}

/**
 * Merges the CSVs of one sharded run into `out` (plus `out.meta.json`),
 * exactly: every row once, sorted by `timestamp_ms` then `request_id`.
 * Nothing is written when an input is refused. The output is written to a
 * temporary file and renamed into place.
 *
 * @throws {MergeRefusedError} (a TypeError) when the inputs are not one run (see the module doc) or
 * `out` is one of the inputs.
 * @throws {SyntaxError} when an input or sidecar is malformed.
 * @throws {Deno.errors.NotFound} when an input does not exist.
 * @throws {WriteError} when the output cannot be written (e.g. the disk is full); nothing is left.
 *
 * @example
 * ```ts ignore
 * import { mergeRuns } from "./merge.ts";
 * const result = await mergeRuns(["w0.csv", "w1.csv", "w2.csv"], "all.csv");
 * console.log(`${result.rows} rows from workers ${result.meta?.merged?.workers}`);
 * ```
 */
export async function mergeRuns(
  paths: readonly string[],
  out: string,
  options: MergeOptions = {},
): Promise<MergeResult> {
  if (paths.length === 0) throw new MergeRefusedError("Cannot merge: no input files given");
  await checkOutput(out);
  for (let i = 0; i < paths.length; i++) {
    if (samePath(paths[i]!, out) || await sameFile(paths[i]!, out)) {
      throw new MergeRefusedError(
        `Cannot merge into ${out}: it is also an input; choose another output`,
      );
    }
    for (let j = 0; j < i; j++) {
      if (samePath(paths[i]!, paths[j]!) || await sameFile(paths[i]!, paths[j]!)) {
        throw new MergeRefusedError(`Cannot merge: ${paths[i]} is given twice`);
      }
    }
  }
  for (const path of paths) {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new MergeRefusedError(`Cannot merge ${path}: it is not a file`);
  }
  const notes: string[] = [];
  const metas = await Promise.all(
    paths.map(async (path) => ({ path, meta: await readRunMeta(path) })),
  );
  const missing = metas.filter((m) => m.meta === null).map((m) => m.path);
  if (missing.length && !options.force) {
    throw new MergeRefusedError(
      `Cannot merge ${missing[0]}: it has no sidecar ${
        missing[0]
      }.meta.json, so its run cannot be checked; pass --force to merge it anyway`,
    );
  }
  if (missing.length) {
    notes.push(
      `forced: ${missing.length} file(s) without a sidecar were merged unchecked (${
        missing.join(", ")
      })`,
    );
  }
  const ref = checkSameRun(metas);
  // Disjoint workers, and all of them unless partial.
  if (ref) {
    const owner = new Map<number, string>();
    for (const { path, meta } of metas) {
      if (!meta) continue;
      for (const w of coveredWorkers(meta)) {
        const other = owner.get(w);
        if (other !== undefined) {
          throw new MergeRefusedError(
            `Cannot merge: worker ${w} of ${ref.workers} appears in both ${other} and ${path}; give each worker's file once`,
          );
        }
        owner.set(w, path);
      }
    }
    const absent = Array.from({ length: ref.workers }, (_, w) => w).filter((w) => !owner.has(w));
    if (absent.length && missing.length === 0 && !options.partial) {
      throw new MergeRefusedError(
        `Cannot merge: worker${absent.length > 1 ? "s" : ""} ${
          absent.join(", ")
        } of ${ref.workers} ${
          absent.length > 1 ? "are" : "is"
        } missing; give every worker's file, or pass --partial to merge an incomplete run`,
      );
    }
    if (absent.length && options.partial) {
      notes.push(
        `partial: workers ${
          absent.join(", ")
        } of ${ref.workers} are missing, so the merged load is lower than configured`,
      );
    }
  }
  const allIds = missing.length ? new Map<number, string>() : null;
  const scanned: Scanned[] = [];
  try {
    for (let i = 0; i < metas.length; i++) {
      const { path, meta } = metas[i]!;
      scanned.push(await scan(path, meta, `${out}.sort-${i}.tmp`, allIds));
    }
    const tmpOut = `${out}.merge.tmp`;
    let rows: number;
    try {
      const writer = await CsvWriter.create(tmpOut);
      try {
        rows = await kWayMerge(scanned.map((s) => s.sortedPath), writer);
      } finally {
        await writer.close();
      }
    } catch (err) {
      // The temporary file is removed below: name the output, not the temporary file.
      if (err instanceof CsvWriteError) {
        throw new WriteError(out, err.cause, "", `nothing was written to ${out}`);
      }
      throw err;
    }
    const total = scanned.reduce((a, s) => a + s.rows, 0);
    if (rows !== total) {
      throw new Error(`Merge wrote ${rows} rows but read ${total}: this is a bug`);
    }
    let meta: RunMeta | null = null;
    if (ref) {
      const workers = [...new Set(scanned.flatMap((s) => s.workers))].sort((a, b) => a - b);
      const starts = scanned.map((s) => s.meta?.started_at).filter((s): s is string => !!s).sort();
      meta = {
        run_id: ref.run_id,
        config_digest: ref.config_digest,
        worker: workers[0] ?? 0,
        workers: ref.workers,
        tool: ref.tool,
        started_at: starts[0] ?? ref.started_at,
        config: ref.config,
        merged: {
          workers,
          files: scanned.map((s) => ({
            path: s.path,
            workers: s.workers,
            started_at: s.meta?.started_at ?? "",
            rows: s.rows,
          })),
        },
      };
    }
    // Both files are complete before either is renamed into place.
    if (meta) await writeRunMeta(tmpOut, meta);
    await Deno.rename(tmpOut, out);
    if (meta) await Deno.rename(metaPath(tmpOut), metaPath(out));
    else {
      try {
        await Deno.remove(`${out}.meta.json`);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      notes.push("no input had a sidecar, so the merged file has none either");
    }
    return {
      out,
      rows,
      inputs: scanned.map(({ meta: _m, sortedPath: _p, spilled: _s, ...rest }) => rest),
      meta,
      notes,
    };
  } finally {
    for (const s of scanned) {
      if (s.spilled) await Deno.remove(s.sortedPath).catch(() => {});
    }
    // A refusal or failure midway can leave a spill or a partial output behind.
    for (let i = 0; i < metas.length; i++) {
      await Deno.remove(`${out}.sort-${i}.tmp`).catch(() => {});
    }
    await Deno.remove(`${out}.merge.tmp`).catch(() => {});
    await Deno.remove(metaPath(`${out}.merge.tmp`)).catch(() => {});
  }
}
