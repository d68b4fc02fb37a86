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
 * so the merge is an external sort. Each input is read once in 64 KiB
 * reads; its rows up to the first one out of order are already sorted and
 * are read from the input itself later; from there on, rows are cut into
 * runs of 100,000 rows, each held as encoded CSV bytes (`_sort_run.ts`),
 * sorted and spilled to a temporary file next to the output. A k-way heap merge then streams every sorted stretch with
 * one 64 KiB read buffer each. Peak memory is one run of records plus 8
 * bytes a row of the input being read (the request-id check), whatever the
 * input sizes (docs/distributed.md has the measured figures). Request-id
 * uniqueness across files is proven from the shard numbering (worker `w` of
 * `N` only has ids ≡ w mod N) plus a per-file check; only when a file has no
 * sidecar (`force`) does it fall back to a map of all ids (about 50 bytes a
 * row over all files).
 *
 * @module
 */
import { resolve } from "node:path";
import { CsvWriteError, CsvWriter } from "./csv_writer.ts";
import { sameFile } from "./same_file.ts";
import { WriteError } from "./write_error.ts";
import { SortRun } from "./_sort_run.ts";
import { DuplicateIdError, readRecordBatches } from "./read_records.ts";
import type { RequestRecord } from "../record.ts";
import { coveredWorkers, metaPath, readRunMeta, type RunMeta, writeRunMeta } from "./run_meta.ts";

/**
 * The inputs are not one run, or not mergeable as given. A `TypeError`, so
 * callers can tell a refusal from a bug by class.
 */
export class MergeRefusedError extends TypeError {
  override name = "MergeRefusedError";
}

/**
 * The merge was stopped through its `signal` (Ctrl-C, SIGTERM); every
 * temporary file is gone and the output is untouched.
 *
 * @example
 * ```ts ignore
 * import { MergeInterruptedError, mergeRuns } from "./merge.ts";
 * try {
 *   await mergeRuns(["w0.csv", "w1.csv"], "all.csv", { signal });
 * } catch (err) {
 *   if (err instanceof MergeInterruptedError) Deno.exit(130);
 *   throw err;
 * }
 * ```
 */
export class MergeInterruptedError extends Error {
  override name = "MergeInterruptedError";
  constructor() {
    super("Merge interrupted: nothing was written");
  }
}

/** Rows per sorted run spilled to disk: bounds the memory of the sort. */
export const MERGE_RUN_ROWS = 100_000;

/** Bytes read at a time from each input and spill file. */
export const MERGE_READ_BYTES = 64 * 1024;

/** Options of {@linkcode mergeRuns}. */
export interface MergeOptions {
  /** Accept inputs without a sidecar (their run cannot be checked). */
  force?: boolean;
  /** Accept a run with some workers missing (the merged load is then lower than configured). */
  partial?: boolean;
  /** Stops the merge (a {@linkcode MergeInterruptedError}) when aborted; nothing is left behind. */
  signal?: AbortSignal;
  /** Rows per spilled run (default {@linkcode MERGE_RUN_ROWS}). */
  runRows?: number;
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

/** A sorted stretch of rows: the first `limit` rows of a file (all when `null`). */
interface Source {
  path: string;
  limit: number | null;
}

/** Per-file result of the first pass. */
interface Scanned extends MergedInput {
  meta: RunMeta | null;
  /** Where the file's rows are, each stretch sorted by (timestamp, id). */
  sources: Source[];
}

/** Spill files of one merge (removed at the end whatever happens) and the run being filled. */
class Spills {
  readonly paths: string[] = [];
  readonly run: SortRun;
  constructor(readonly out: string, runRows: number) {
    this.run = new SortRun(runRows);
  }
  /** Sorts the run's rows by (timestamp, id) and writes them to a new spill file. */
  async spill(file: number): Promise<Source> {
    const path = `${this.out}.sort-${file}-${this.paths.length}.tmp`;
    this.paths.push(path);
    try {
      await this.run.spill(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw err;
      }
      throw new WriteError(`${this.out} (a sort spill next to it)`, err, "", "nothing was written");
    }
    return { path, limit: null };
  }
  async removeAll(): Promise<void> {
    for (const p of this.paths) await Deno.remove(p).catch(() => {});
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MergeInterruptedError();
}

/**
 * First pass over one input: validates rows against the sidecar and checks
 * request-id uniqueness inside the file (the reader's check), and finds
 * where the rows are in (timestamp, id) order. The sorted prefix is read
 * from the input itself later; from the first row out of order on, rows are
 * cut into runs of `runRows`, each sorted and spilled. Memory: one run of
 * records plus the reader's 8 bytes a row for the id check.
 */
async function scan(
  path: string,
  index: number,
  meta: RunMeta | null,
  spills: Spills,
  allIds: Map<number, string> | null,
  signal: AbortSignal | undefined,
): Promise<Scanned> {
  const covered = meta ? new Set(coveredWorkers(meta)) : null;
  const seenWorkers = new Set<number>();
  const sources: Source[] = [];
  let inOrder = true; // until a row comes before the previous one
  let prev: RequestRecord | null = null;
  let first = Infinity;
  let last = -Infinity;
  let row = 0;
  const rows = readRecordBatches(path, { readSize: MERGE_READ_BYTES });
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
    checkAborted(signal);
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
      if (inOrder && prev && before(r, prev)) {
        // The rows before this one are in order: read them from the input itself.
        sources.push({ path, limit: row - 1 });
        inOrder = false;
      }
      prev = r;
      first = Math.min(first, r.startedMs);
      last = Math.max(last, r.startedMs);
      if (!inOrder) {
        spills.run.push(r);
        if (spills.run.full) sources.push(await spills.spill(index));
      }
    }
  }
  if (inOrder) sources.push({ path, limit: null });
  else if (spills.run.length) sources.push(await spills.spill(index));
  const startedAtMs = meta ? Date.parse(meta.started_at) : null;
  return {
    path,
    rows: row,
    workers: covered ? [...covered].sort((a, b) => a - b) : [...seenWorkers].sort((a, b) => a - b),
    sidecar: meta !== null,
    firstMs: row ? first : null,
    lastMs: row ? last : null,
    startedAtMs,
    meta,
    sources,
  };
}

/** A read cursor over one sorted stretch, for the k-way merge. */
class Cursor {
  #it: AsyncGenerator<RequestRecord[]>;
  #batch: RequestRecord[] = [];
  #pos = 0;
  #left: number;
  head: RequestRecord | null = null;
  constructor(source: Source) {
    // Every row was checked in the first pass: no second request-id check (8 bytes a row).
    this.#it = readRecordBatches(source.path, { readSize: MERGE_READ_BYTES, uniqueIds: false });
    this.#left = source.limit ?? Infinity;
  }
  async next(): Promise<void> {
    if (this.#left <= 0) {
      this.head = null;
      return;
    }
    while (this.#pos >= this.#batch.length) {
      const step = await this.#it.next();
      if (step.done) {
        this.head = null;
        return;
      }
      this.#batch = step.value;
      this.#pos = 0;
    }
    this.#left--;
    this.head = this.#batch[this.#pos++]!;
  }
  async close(): Promise<void> {
    await this.#it.return(undefined);
  }
}

/** k-way merge of sorted stretches into `writer`; returns rows written. */
async function kWayMerge(
  sources: Source[],
  writer: CsvWriter,
  signal: AbortSignal | undefined,
): Promise<number> {
  const cursors = sources.map((s) => new Cursor(s));
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
      if ((++rows & 0x3fff) === 0) checkAborted(signal);
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
  const spills = new Spills(out, options.runRows ?? MERGE_RUN_ROWS);
  try {
    for (let i = 0; i < metas.length; i++) {
      const { path, meta } = metas[i]!;
      scanned.push(await scan(path, i, meta, spills, allIds, options.signal));
    }
    const tmpOut = `${out}.merge.tmp`;
    let rows: number;
    try {
      const writer = await CsvWriter.create(tmpOut);
      try {
        rows = await kWayMerge(scanned.flatMap((s) => s.sources), writer, options.signal);
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
    checkAborted(options.signal);
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
      inputs: scanned.map(({ meta: _m, sources: _s, ...rest }) => rest),
      meta,
      notes,
    };
  } finally {
    // A refusal, failure or interruption midway can leave spills or a partial output behind.
    await spills.removeAll();
    await Deno.remove(`${out}.merge.tmp`).catch(() => {});
    await Deno.remove(metaPath(`${out}.merge.tmp`)).catch(() => {});
  }
}
