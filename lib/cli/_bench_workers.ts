/**
 * `bench --workers N`: N Deno Workers (threads of this process, so no new
 * permission), each running the share `bench --shard i/N` would run, with
 * its own client and event loop. Their records come back as packed record
 * batches (`lib/records/record_batch.ts`) and go through one CSV, one
 * summary and one progress line on the main thread, so the output is one
 * run: the same rows, ids and worker column as N `--shard` processes merged.
 *
 * Ctrl-C is passed to every worker (finish, or on the second, abort the
 * requests in flight); each posts what it has before it ends, so every
 * worker's records reach the CSV.
 *
 * @module
 */
import type { ClientOptions, HttpRequest } from "../client/types.ts";
import { type BenchRunResult, dropStaleSidecar, storeCapacity } from "../load/bench_run.ts";
import { newOpenLoopCounters } from "../load/runner.ts";
import type { RequestRecord } from "../record.ts";
import type { CsvWriter } from "../records/csv_writer.ts";
import { unpackRecords } from "../records/record_batch.ts";
import { type RunMeta, writeRunMeta } from "../records/run_meta.ts";
import { SummaryBuilder } from "../stats/summary.ts";
import { TargetBuilders } from "../stats/by_target.ts";
import { type ErrorCauseList, ErrorCauses } from "../stats/error_causes.ts";
import type { TargetsPick } from "../load/targets.ts";
import type { Plan } from "./_bench_plan.ts";
import type { WorkerStart } from "./_bench_worker.ts";
import { UsageError } from "./_usage_error.ts";

/** Options of {@linkcode runBenchWorkers}. */
export interface BenchWorkersOptions {
  /** The run-wide plan (totals, not shares). */
  plan: Plan;
  request: HttpRequest;
  /** A targets file's requests (each thread reads the file again from the arguments). */
  targets?: TargetsPick;
  /** The command's arguments (habits translated); each worker plans its share from them. */
  args: string[];
  workers: number;
  protocol: NonNullable<ClientOptions["protocol"]>;
  /** `optimized` across several origins: each one's protocol. */
  origins?: Record<string, NonNullable<ClientOptions["protocol"]>>;
  signal: AbortSignal;
  hardStop: AbortSignal;
  openCsv: (() => Promise<CsvWriter>) | null;
  meta: RunMeta | null;
  onStart?: () => void;
  onRecord?: (record: RequestRecord) => void;
  onEnd?: () => void;
}

interface Done {
  retries: number | null;
  causes: ErrorCauseList;
  fdLimit: number;
  late: number;
  dropped: number;
  maxStartLagMs: number;
}

/**
 * Runs the load on `workers` threads; returns what {@linkcode runBench}
 * returns for one thread, over all of them.
 *
 * @example
 * ```ts ignore
 * import { runBenchWorkers } from "./_bench_workers.ts";
 * const run = await runBenchWorkers({ plan, request, args, workers: 2, protocol: "http/1.1",
 *   signal, hardStop, openCsv: null, meta: null });
 * run.builder.summary().count;
 * ```
 */
export async function runBenchWorkers(o: BenchWorkersOptions): Promise<BenchRunResult> {
  const { plan } = o;
  const open = plan.model === "open";
  const warmupCount = plan.warmup && "count" in plan.warmup ? plan.warmup.count : 0;
  const total = plan.requests === Infinity ? null : plan.requests + warmupCount;
  // Reserved as one thread's store is (bench_run.ts): neither grows mid-run.
  const builder = new SummaryBuilder(storeCapacity(total, plan.durationMs));
  const uncorrected = new SummaryBuilder(open ? storeCapacity(total, plan.durationMs) : 16);
  const counters = newOpenLoopCounters();
  const startedAt = Date.now();
  let csv: CsvWriter | null = null;
  const threads: Worker[] = [];
  let failure: unknown = null;
  const broadcast = (type: "go" | "stop" | "hard") => {
    for (const w of threads) w.postMessage({ type });
  };
  const onStop = () => broadcast("stop");
  const onHard = () => broadcast("hard");
  const names = o.targets?.names ?? [];
  const byTarget = new TargetBuilders(names);
  const take = (r: RequestRecord): void => {
    csv?.write(r);
    builder.add(r);
    if (r.target !== "") byTarget.add(r);
    o.onRecord?.(r);
    if (open) {
      const lag = r.startedMs - r.scheduledMs;
      uncorrected.add({ ...r, scheduledMs: r.startedMs, latencyMs: r.latencyMs - lag });
      if (!r.warmup && r.error !== "dropped") counters.startLag.add(lag);
    }
  };
  let done: Done[] = [];
  // As runBench: on any failure the CSV (closed, so renamed into place) holds this run's rows,
  // and no sidecar of an earlier run may stay to describe it.
  try {
    try {
      if (o.openCsv !== null) csv = await o.openCsv();
      let ready = 0;
      const finished = Array.from(
        { length: o.workers },
        (_, index) =>
          new Promise<Done>((resolve, reject) => {
            const w = new Worker(new URL("./_bench_worker.ts", import.meta.url).href, {
              type: "module",
            });
            threads.push(w);
            w.onmessage = (e: MessageEvent) => {
              const m = e.data;
              if (m.type === "batch") {
                if (failure !== null) return;
                try {
                  unpackRecords(m.data as Float64Array, take, names);
                } catch (err) {
                  // The CSV failed (a full disk): stop every worker, report it.
                  failure = err;
                  onHard();
                }
              } else if (m.type === "ready") {
                if (++ready === o.workers) {
                  broadcast("go");
                  o.onStart?.();
                }
              } else if (m.type === "done") resolve(m as Done);
              else if (m.type === "error") {
                onHard();
                reject(m.usage ? new UsageError(m.message) : new Error(m.message));
              }
            };
            w.onerror = (e: ErrorEvent) => {
              e.preventDefault();
              onHard();
              reject(new Error(`bench worker ${index} failed: ${e.message}`));
            };
            const start: WorkerStart = {
              type: "start",
              args: o.args,
              index,
              count: o.workers,
              profile: plan.profile,
              protocol: o.protocol,
              ...(o.origins ? { origins: o.origins } : {}),
              caCerts: plan.caCerts,
              request: o.request,
            };
            w.postMessage(start);
          }),
      );
      o.signal.addEventListener("abort", onStop, { once: true });
      o.hardStop.addEventListener("abort", onHard, { once: true });
      if (o.signal.aborted) onStop();
      const settled = await Promise.allSettled(finished);
      const rejected = settled.find((s) => s.status === "rejected");
      if (failure !== null) throw failure;
      if (rejected) throw (rejected as PromiseRejectedResult).reason;
      done = settled.map((s) => (s as PromiseFulfilledResult<Done>).value);
    } finally {
      o.signal.removeEventListener("abort", onStop);
      o.hardStop.removeEventListener("abort", onHard);
      for (const w of threads) w.terminate();
      o.onEnd?.();
      await csv?.close();
    }
    if (csv !== null && o.meta !== null) {
      const all = Array.from({ length: o.workers }, (_, i) => i);
      await writeRunMeta(csv.path, {
        ...o.meta,
        merged: {
          workers: all,
          files: [{ path: csv.path, workers: all, started_at: o.meta.started_at, rows: csv.rows }],
        },
      });
    }
  } catch (err) {
    await dropStaleSidecar(csv);
    throw err;
  }
  for (const d of done) {
    counters.late += d.late;
    counters.dropped += d.dropped;
    counters.maxStartLagMs = Math.max(counters.maxStartLagMs, d.maxStartLagMs);
  }
  const causes = new ErrorCauses();
  for (const d of done) causes.absorb(d.causes, d.fdLimit);
  const retries = done.map((d) => d.retries).filter((r): r is number => r !== null);
  return {
    builder,
    counters: open ? counters : null,
    uncorrected: open ? uncorrected.summary() : null,
    csv: csv === null ? null : { path: csv.path, rows: csv.rows },
    startedAt,
    retries: retries.length ? retries.reduce((a, b) => a + b, 0) : null,
    byTarget,
    causes,
  };
}
