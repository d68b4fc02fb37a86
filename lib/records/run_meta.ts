/**
 * The sidecar `<file.csv>.meta.json` that identifies which run a CSV belongs
 * to, so `tailgate merge` can refuse to mix runs.
 *
 * Every worker of a sharded run gets the same `run_id` (passed with
 * `--run-id`) and computes the same `config_digest` from the run-wide
 * configuration; only `worker` and `started_at` differ.
 *
 * @module
 */
import { writeFileAtomic } from "./atomic_file.ts";
import type { Shard } from "../load/shard.ts";
import { TOOL } from "../version.ts";
import { WriteError } from "./write_error.ts";

/**
 * Keys that legitimately differ between the workers of one run (output paths,
 * verbosity, the shard itself). {@linkcode buildRunMeta} drops them from the
 * config before digesting it, so that they cannot make a run look like two.
 */
export const PER_WORKER_KEYS: readonly string[] = [
  "shard",
  "worker",
  "workers",
  "run_id",
  "out",
  "json",
  "quiet",
  "progress",
  "no-progress",
  "no_progress",
];

/** What a merged file's sidecar adds: which workers and files it came from. */
export interface MergedFrom {
  /** Worker indices covered, ascending. */
  workers: number[];
  /** One entry per input file, in the order given. */
  files: { path: string; workers: number[]; started_at: string; rows: number }[];
}

/** The sidecar of one worker's CSV (or of a merged CSV, with `merged`). */
export interface RunMeta {
  /** Shared by every worker of a run (a UUID unless given with `--run-id`). */
  run_id: string;
  /** Hex SHA-256 of the canonical JSON of `config` plus the worker count. */
  config_digest: string;
  /** This worker's index (0 when not sharded; the lowest index in a merged file). */
  worker: number;
  /** Number of workers in the run. */
  workers: number;
  /** Tool and version, e.g. `tailgate 0.1.0`. */
  tool: string;
  /** ISO 8601 time this worker started (the earliest worker in a merged file). */
  started_at: string;
  /** The run-wide configuration that was digested (per-worker keys removed). */
  config: Record<string, unknown>;
  /** Present in a merged file's sidecar only. */
  merged?: MergedFrom;
}

/**
 * JSON with object keys sorted at every level, so equal configs give equal
 * text whatever the key order. `undefined` members are dropped, as in JSON.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./run_meta.ts";
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  }) ?? "null";
}

/** The config with {@linkcode PER_WORKER_KEYS} removed (top level only). */
function runWideConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!PER_WORKER_KEYS.includes(k)) out[k] = v;
  return out;
}

/**
 * The digest of a run-wide config for `workers` workers: hex SHA-256 of
 * `canonicalJson({ config, workers })`.
 *
 * @example
 * ```ts
 * import { configDigest } from "./run_meta.ts";
 * (await configDigest({ requests: 30 }, 3)).length; // 64
 * ```
 */
export async function configDigest(
  config: Record<string, unknown>,
  workers: number,
): Promise<string> {
  const data = new TextEncoder().encode(canonicalJson({ config, workers }));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Builds the sidecar for one worker. Pass the **run-wide** configuration
 * (total `-n`, total `-c`, total rate, URL, client…), not this worker's
 * share: every worker must compute the same digest. Keys in
 * {@linkcode PER_WORKER_KEYS} (such as `out` or `shard`) are dropped first.
 *
 * @param shard This worker's shard, or `null` for an unsharded run (worker 0 of 1).
 * @param runId Shared run id; a random UUID when omitted.
 * @throws {TypeError} when `runId` is empty or has characters outside `[A-Za-z0-9._:-]`.
 *
 * @example
 * ```ts
 * import { buildRunMeta } from "./run_meta.ts";
 * const meta = await buildRunMeta({ url: "http://127.0.0.1:8080/api", requests: 30 },
 *   { index: 1, count: 3 }, "nightly-42");
 * meta.worker; // 1
 * ```
 */
export async function buildRunMeta(
  config: Record<string, unknown>,
  shard: Shard | null,
  runId?: string,
): Promise<RunMeta> {
  const id = runId ?? crypto.randomUUID();
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) {
    throw new TypeError(
      `Invalid run id "${id}": use 1 to 128 letters, digits, '.', '_', ':' or '-'`,
    );
  }
  const workers = shard?.count ?? 1;
  const runWide = runWideConfig(config);
  return {
    run_id: id,
    config_digest: await configDigest(runWide, workers),
    worker: shard?.index ?? 0,
    workers,
    tool: TOOL,
    started_at: new Date().toISOString(),
    config: runWide,
  };
}

/** The sidecar path of a CSV: `<csvPath>.meta.json`. */
export function metaPath(csvPath: string): string {
  return `${csvPath}.meta.json`;
}

/**
 * Writes `<csvPath>.meta.json`.
 *
 * @throws {WriteError} when the write fails (e.g. the disk is full).
 *
 * @example
 * ```ts ignore
 * import { buildRunMeta, writeRunMeta } from "./run_meta.ts";
 * await writeRunMeta("results/w0.csv", await buildRunMeta({ requests: 30 }, null));
 * ```
 */
export async function writeRunMeta(csvPath: string, meta: RunMeta): Promise<void> {
  const path = metaPath(csvPath);
  try {
    // Beside the CSV and renamed into place: a second run never leaves a torn sidecar.
    await writeFileAtomic(path, JSON.stringify(meta, null, 2) + "\n");
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw err;
    }
    throw new WriteError(path, err);
  }
}

function isIndexList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/**
 * Reads `<csvPath>.meta.json`; `null` when there is none.
 *
 * @throws {SyntaxError} when the sidecar is not JSON or lacks a field.
 *
 * @example
 * ```ts ignore
 * import { readRunMeta } from "./run_meta.ts";
 * const meta = await readRunMeta("results/w0.csv");
 * if (meta === null) console.log("no sidecar");
 * ```
 */
export async function readRunMeta(csvPath: string): Promise<RunMeta | null> {
  const path = metaPath(csvPath);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`Cannot read ${path}: not valid JSON: ${(err as Error).message}`);
  }
  const m = raw as Partial<Record<keyof RunMeta, unknown>>;
  const bad = (field: string, want: string) =>
    new SyntaxError(`Cannot read ${path}: field "${field}" must be ${want}`);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new SyntaxError(`Cannot read ${path}: expected a JSON object`);
  }
  if (typeof m.run_id !== "string" || m.run_id === "") throw bad("run_id", "a non-empty string");
  if (typeof m.config_digest !== "string" || !/^[0-9a-f]{64}$/.test(m.config_digest)) {
    throw bad("config_digest", "a hex SHA-256");
  }
  if (!Number.isSafeInteger(m.workers) || (m.workers as number) < 1) {
    throw bad("workers", "a whole number >= 1");
  }
  const workers = m.workers as number;
  if (
    !Number.isSafeInteger(m.worker) || (m.worker as number) < 0 || (m.worker as number) >= workers
  ) {
    throw bad("worker", `a whole number in [0, ${workers})`);
  }
  if (typeof m.tool !== "string") throw bad("tool", "a string");
  if (typeof m.started_at !== "string" || Number.isNaN(Date.parse(m.started_at))) {
    throw bad("started_at", "an ISO 8601 time");
  }
  if (m.config === null || typeof m.config !== "object" || Array.isArray(m.config)) {
    throw bad("config", "an object");
  }
  const meta: RunMeta = {
    run_id: m.run_id,
    config_digest: m.config_digest,
    worker: m.worker as number,
    workers,
    tool: m.tool,
    started_at: m.started_at,
    config: m.config as Record<string, unknown>,
  };
  if (m.merged !== undefined) {
    const g = m.merged as Partial<MergedFrom> | null;
    if (
      g === null || typeof g !== "object" || !isIndexList(g.workers) ||
      g.workers.some((w) => w >= workers) || !Array.isArray(g.files)
    ) {
      throw bad("merged", `an object with workers (indices below ${workers}) and files`);
    }
    meta.merged = g as MergedFrom;
  }
  return meta;
}

/**
 * The worker indices a CSV covers according to its sidecar: `merged.workers`
 * for a merged file, else `[worker]`.
 *
 * @example
 * ```ts
 * import { coveredWorkers } from "./run_meta.ts";
 * coveredWorkers({ worker: 2 }); // [2]
 * ```
 */
export function coveredWorkers(meta: Pick<RunMeta, "worker" | "merged">): number[] {
  return meta.merged ? [...meta.merged.workers] : [meta.worker];
}
