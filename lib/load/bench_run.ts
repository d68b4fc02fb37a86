/**
 * One `bench` run: send the load (closed or open model, optionally one
 * shard of a larger run), stream every record into the CSV and a summary,
 * and return what the report needs. Flags, output paths and the final
 * summary stay in `lib/cli/bench.ts`; the loops themselves are in
 * `runner.ts`.
 *
 * @module
 */
import type { Client, HttpRequest } from "../client/types.ts";
import { abortableSleep, now } from "../clock.ts";
import type { RequestRecord } from "../record.ts";
import { collect } from "../records/collect.ts";
import type { CsvWriter } from "../records/csv_writer.ts";
import { metaPath, type RunMeta, writeRunMeta } from "../records/run_meta.ts";
import { type Summary, SummaryBuilder } from "../stats/summary.ts";
import { ErrorCauses } from "../stats/error_causes.ts";
import { TargetBuilders } from "../stats/by_target.ts";
import { newOpenLoopCounters, type OpenLoopCounters, runClosed, runOpen } from "./runner.ts";
import { type Shard, shardRequestId } from "./shard.ts";
import { type ArrivalOptions, createArrivals } from "./arrivals.ts";
import { warmUpFast } from "./warm_up.ts";
import type { TargetsPick } from "./targets.ts";

/** The shape of a bench run, validated (this worker's share when sharded). */
export interface BenchPlan {
  model: "closed" | "open";
  /** Measured requests (warm-up excluded); `Infinity` when only a duration ends the run. */
  requests: number;
  durationMs: number | undefined;
  /** Closed model: requests in flight at once. */
  concurrency: number;
  /** Open model: requests per second. */
  rate: number;
  /** Open model: shift of this worker's schedule, in ms. */
  offsetMs: number;
  /**
   * Open model: Poisson arrivals or a ramp, run-wide (each shard takes its
   * part inside the schedule); `null` for the constant rate of `rate` and
   * `offsetMs`.
   */
  arrivals: Omit<ArrivalOptions, "seed" | "shard"> | null;
  /** Seed of every seeded draw of the workload (`--seed`). */
  seed: number;
  maxInFlight: number;
  dropAfterMs: number;
  /**
   * Open model: `yield` sleeps, then yields until each send is due (on time to
   * microseconds, a core busy); `timers` sleeps on timers only (about 1 ms late).
   */
  pacer: "yield" | "timers";
  warmup: { count: number } | { durationMs: number } | null;
  shard: Shard | null;
  /** Epoch ms to start at (aligns sharded workers), or `null` for now. */
  startAt: number | null;
}

/** Options of {@linkcode runBench}. */
export interface BenchRunOptions {
  plan: BenchPlan;
  client: Client;
  request: HttpRequest;
  /**
   * A targets file's requests: the request and the target name of each
   * run-wide request index (shards index the one-machine sequence). Without
   * it every request is `request`, target `""`.
   */
  targets?: TargetsPick;
  /** Stop starting requests when aborted. */
  signal: AbortSignal;
  /** Give up on requests in flight when aborted. */
  hardStop: AbortSignal;
  /** Opens the CSV (after any wait for `startAt`), or `null` for no CSV. */
  openCsv: (() => Promise<CsvWriter>) | null;
  /** The CSV's sidecar, written once the CSV is closed. */
  meta: RunMeta | null;
  /**
   * Warm the `fast` engine on a private loopback listener before the load
   * (`warm_up.ts`); default true.
   */
  warmUp?: boolean;
  /**
   * Awaited after the warm-up, just before the load (or its `startAt` wait):
   * `bench --workers` lines its threads up here.
   */
  ready?: () => Promise<void>;
  /** Called when the load starts. */
  onStart?: () => void;
  /** Called for each record as it completes. */
  onRecord?: (record: RequestRecord) => void;
  /** Called when the load has ended, before the CSV and the client are closed. */
  onEnd?: () => void;
}

/** What a bench run measured. */
export interface BenchRunResult {
  builder: SummaryBuilder;
  /** Per-target summaries (none without targets). */
  byTarget: TargetBuilders;
  /** Open model: the schedule's health. */
  counters: OpenLoopCounters | null;
  /** Open model: latency timed from the actual send (what coordinated omission would show). */
  uncorrected: Summary | null;
  csv: { path: string; rows: number } | null;
  /** Epoch ms when the run began (before any `startAt` wait). */
  startedAt: number;
  /**
   * Requests the client re-sent on a new connection after a pooled one turned
   * out closed (warm-up requests included), or `null` when its engine does
   * not retry and count (see {@linkcode Client.retries}).
   */
  retries: number | null;
  /** Why measured requests failed: the first messages of each error kind. */
  causes: ErrorCauses;
}

/** Latencies a timed run reserves room for, per second of its duration. */
const TIMED_RATE = 250_000;
/** The most a timed run reserves: 2^25 latencies (128 MiB of address space). */
const TIMED_MAX = 1 << 25;

/**
 * The size of a run's latency store (`SummaryBuilder`'s capacity): the
 * request count when known, else room for the duration at 250,000 requests
 * a second (at most 2^25, at least 65,536). The store is reserved, not
 * touched: the system commits its pages as latencies are written, so RSS
 * grows 4 bytes a request as before. It never grows mid-run short of that
 * rate: a store that grows adds external memory, which starts V8's first
 * mark-compact, and after one Deno 2.9 allocates about 160 bytes a request
 * in the old space (the bare loop too, after a forced one), a mark-compact
 * every 0.6 s for the rest of the run (docs/performance.md, "Third pass:
 * one mark-compact, then one every 0.6 s").
 *
 * @example
 * ```ts ignore
 * import { storeCapacity } from "./bench_run.ts";
 * storeCapacity(null, 10_000); // 2,500,000: a 10 s run's room
 * storeCapacity(400, 10_000); // 400: the count
 * ```
 */
export function storeCapacity(total: number | null, durationMs: number | undefined): number {
  if (total !== null) return total;
  const reserve = Math.ceil(((durationMs ?? 0) / 1000) * TIMED_RATE);
  return Math.min(TIMED_MAX, Math.max(1 << 16, reserve));
}

/**
 * After a failure, the CSV (renamed into place on close) holds this run's whole rows: a sidecar
 * left from an earlier run must not describe it.
 *
 * @example
 * ```ts ignore
 * import { dropStaleSidecar } from "./bench_run.ts";
 * await dropStaleSidecar(csv); // removes <csv.path>.meta.json, if any
 * ```
 */
export async function dropStaleSidecar(csv: CsvWriter | null): Promise<void> {
  if (csv !== null) await Deno.remove(metaPath(csv.path)).catch(() => {});
}

/**
 * Runs the load of one bench invocation. The client is closed at the end.
 *
 * @example
 * ```ts ignore
 * import { runBench } from "./bench_run.ts";
 * const result = await runBench({ plan, client, request, signal, hardStop, openCsv: null, meta: null });
 * result.builder.summary().p95_ms;
 * ```
 */
export async function runBench(options: BenchRunOptions): Promise<BenchRunResult> {
  const { plan, client, request } = options;
  const shard = plan.shard;
  const idFor = shard
    ? (local: number) => shardRequestId(local, shard.index, shard.count)
    : (local: number) => local;
  const warmupCount = plan.warmup && "count" in plan.warmup ? plan.warmup.count : 0;
  const warmupMs = plan.warmup && "durationMs" in plan.warmup ? plan.warmup.durationMs : 0;
  const total = plan.requests === Infinity ? null : plan.requests + warmupCount;
  const counters = newOpenLoopCounters();
  // Open model only; reserved as the main store is, so neither grows mid-run.
  const uncorrected = new SummaryBuilder(
    plan.model === "open" ? storeCapacity(total, plan.durationMs) : 16,
  );
  const causes = new ErrorCauses();
  const byTarget = new TargetBuilders(options.targets?.names ?? []);
  let csv: CsvWriter | null = null;
  let closeFailure: { err: unknown } | null = null;
  let builder: SummaryBuilder;
  // The fast engine's first requests in a fresh process run cold code (milliseconds each):
  // warm it on a private loopback listener first, so that cost is not the server's latency.
  if (client.name === "fast" && options.warmUp !== false) await warmUpFast();
  if (options.ready) await options.ready();
  const startedAt = Date.now();
  try {
    // The open model waits inside its schedule (exact alignment across workers).
    if (plan.startAt !== null && plan.model === "closed") {
      await abortableSleep(plan.startAt - Date.now(), options.signal);
    }
    if (options.openCsv !== null) csv = await options.openCsv();
    const targets = options.targets;
    const common = {
      client,
      requestFor: targets ? (local: number) => targets.requestFor(idFor(local)) : () => request,
      ...(targets ? { targetFor: (local: number) => targets.targetFor(idFor(local)) } : {}),
      idFor,
      worker: shard?.index ?? 0,
      signal: options.signal,
      hardStop: options.hardStop,
      causes,
      requests: total ?? Infinity,
      ...(plan.durationMs === undefined ? {} : { durationMs: plan.durationMs }),
      ...(warmupMs > 0 ? { warmupMs } : { warmup: warmupCount }),
    };
    const records = plan.model === "open"
      ? runOpen({
        ...common,
        ...(plan.arrivals === null
          ? { rate: plan.rate, offsetMs: plan.offsetMs }
          : { arrivals: createArrivals({ ...plan.arrivals, seed: plan.seed, shard }) }),
        maxInFlight: plan.maxInFlight,
        dropAfterMs: plan.dropAfterMs,
        ...(plan.pacer === "timers" ? { spinLeadMs: 0 } : {}),
        counters,
        ...(plan.startAt === null ? {} : { startMs: Math.max(plan.startAt, now()) }),
      })
      : runClosed({ ...common, concurrency: plan.concurrency });
    options.onStart?.();
    builder = await collect(records, {
      csv,
      builder: new SummaryBuilder(storeCapacity(total, plan.durationMs)),
      onRecord: (r) => {
        options.onRecord?.(r);
        if (r.target !== "") byTarget.add(r);
        // What a tool timing from the actual send would report (coordinated omission).
        if (plan.model === "open") {
          const lag = r.startedMs - r.scheduledMs;
          uncorrected.add({ ...r, scheduledMs: r.startedMs, latencyMs: r.latencyMs - lag });
        }
      },
    });
  } catch (err) {
    await dropStaleSidecar(csv);
    throw err;
  } finally {
    options.onEnd?.();
    try {
      await csv?.close();
    } catch (err) {
      closeFailure = { err };
    } finally {
      await client.close();
    }
  }
  // A failed close (a full disk) fails the run; thrown here, not from the finally block.
  if (closeFailure !== null) {
    await dropStaleSidecar(csv);
    throw closeFailure.err;
  }
  if (csv !== null && options.meta !== null) {
    try {
      await writeRunMeta(csv.path, options.meta);
    } catch (err) {
      await dropStaleSidecar(csv);
      throw err;
    }
  }
  const open = plan.model === "open";
  return {
    builder,
    byTarget,
    counters: open ? counters : null,
    uncorrected: open ? uncorrected.summary() : null,
    csv: csv === null ? null : { path: csv.path, rows: csv.rows },
    startedAt,
    retries: client.retries ?? null,
    causes,
  };
}
