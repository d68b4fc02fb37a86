/**
 * Load loops. A runner schedules requests through a {@linkcode Client} and
 * yields one {@linkcode RequestRecord} per request started (and, in the open
 * model, per request dropped), failures included, in completion order. It
 * has no network code of its own.
 *
 * - {@linkcode runClosed}: C workers, each sends, waits, sends the next.
 * - {@linkcode runOpen}: a fixed schedule of R requests per second, whatever
 *   the server does; latency runs from the scheduled send time.
 *
 * Stopping: aborting `signal` stops starting requests and lets the ones in
 * flight finish (the client's timeout bounds them). Aborting `hardStop`
 * then ends the run at once: every request still in flight is recorded with
 * error `aborted`, so the output keeps a row for every request started.
 *
 * @module
 */
import type { Client, HttpRequest, Outcome } from "../client/mod.ts";
import { abortableSleep, now } from "../clock.ts";
import type { Arrivals } from "./arrivals.ts";
import {
  createPacer,
  decideStart,
  type Pacer,
  planWake,
  schedulePacer,
  SPIN_LEAD_MS,
} from "./pacer.ts";
import { StartLagStats } from "./start_lag.ts";
import { createYielder } from "./_wake.ts";
import type { RequestRecord } from "../record.ts";
import type { ErrorCauses } from "../stats/error_causes.ts";

/** Options both load models share. */
export interface RunOptions {
  client: Client;
  /** The request to send for a given local request id (0-based, warm-up included). */
  requestFor: (id: number) => HttpRequest;
  /** The target name recorded for a local request id (`--targets`); `""` when not given. */
  targetFor?: (id: number) => string;
  /** The first `warmup` requests are marked `warmup` and excluded from statistics. */
  warmup?: number;
  /**
   * Requests started (closed) or due (open) within this many ms of the start
   * are marked `warmup`; they do not count against `requests`, and
   * `durationMs` starts after them.
   */
  warmupMs?: number;
  /** Added to every request id (sharded runs keep ids unique across workers). */
  idOffset?: number;
  /** Maps a local id to the recorded id (overrides `idOffset`), e.g. `shardRequestId`. */
  idFor?: (localId: number) => number;
  /** Worker index written into each record. */
  worker?: number;
  /** Stop starting new requests when aborted; requests in flight still finish. */
  signal?: AbortSignal;
  /** End the run when aborted: requests still in flight are recorded as `aborted`. */
  hardStop?: AbortSignal;
  /**
   * Collects why measured requests failed: each failure's kind and its
   * outcome's message (warm-up excluded), for the summary's `causes` lines.
   */
  causes?: ErrorCauses;
}

/** Options for {@linkcode runClosed}. */
export interface ClosedLoopOptions extends RunOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Stop after this many requests (count warm-up included); `Infinity` with a duration. */
  requests: number;
  /** Stop starting new requests this many milliseconds after the warm-up, if set. */
  durationMs?: number;
}

/** Options for {@linkcode runOpen}. */
export interface OpenLoopOptions extends RunOptions {
  /** Requests per second, on a fixed schedule (ignored when `arrivals` is given). */
  rate?: number;
  /**
   * Another schedule than the constant rate: Poisson gaps, a ramp
   * (`arrivals.ts`). Its due times already include any shard's share.
   */
  arrivals?: Arrivals;
  /** Most requests in flight; when reached, due requests wait for a slot (and count as late). */
  maxInFlight: number;
  /** Stop after this many requests (count warm-up included); `Infinity` with a duration. */
  requests: number;
  /** Schedule requests due within this many milliseconds (after any time warm-up). */
  durationMs?: number;
  /** A request further behind its schedule than this is dropped (recorded, not sent). */
  dropAfterMs?: number;
  /** Shift of the schedule in ms (sharded workers interleave theirs). */
  offsetMs?: number;
  /** Counters the loop updates as it runs (read them after the run). */
  counters?: OpenLoopCounters;
  /**
   * Stop sleeping on a timer this many ms before a request is due and yield
   * until it is (default `SPIN_LEAD_MS`, 1.5). 0: timers only (about 1 ms
   * late at p50, no CPU spent waiting); the benchmarks compare the two.
   */
  spinLeadMs?: number;
  /**
   * Epoch ms (as `clock.ts` `now()`) the schedule starts at; the loop waits
   * for it. Workers given the same start interleave exactly. Default: now.
   */
  startMs?: number;
}

/** What happened to the open model's schedule. */
export interface OpenLoopCounters {
  /** Requests sent after waiting for a free slot (`maxInFlight` was reached). */
  late: number;
  /** Requests not sent because they were more than `dropAfterMs` behind schedule. */
  dropped: number;
  /** Largest delay between a request's scheduled and actual start, in ms. */
  maxStartLagMs: number;
  /**
   * Start lag of every measured request sent (the client's start − the
   * schedule, as in the CSV): p50, p99, max.
   */
  startLag: StartLagStats;
}

/** Creates zeroed {@linkcode OpenLoopCounters}. */
export function newOpenLoopCounters(): OpenLoopCounters {
  return { late: 0, dropped: 0, maxStartLagMs: 0, startLag: new StartLagStats() };
}

interface Pending {
  id: number;
  /** The loop's own (local) request number. */
  local: number;
  scheduledMs: number;
  startedMs: number;
  warmup: boolean;
  /** Its place in {@linkcode InFlight} while in flight, else -1. */
  slot: number;
}

/**
 * The requests in flight, each in a numbered slot: adding and removing one
 * is an array store, not a hash-map insertion and deletion per request.
 */
class InFlight {
  #slots: (Pending | null)[] = [];
  #free: number[] = [];
  /** Requests in flight. */
  size = 0;

  add(p: Pending): void {
    const slot = this.#free.pop();
    if (slot === undefined) {
      p.slot = this.#slots.length;
      this.#slots.push(p);
    } else {
      p.slot = slot;
      this.#slots[slot] = p;
    }
    this.size++;
  }

  /** Takes `p` out; false when it was not in flight (already written off). */
  remove(p: Pending): boolean {
    const slot = p.slot;
    if (slot < 0 || this.#slots[slot] !== p) return false;
    this.#slots[slot] = null;
    p.slot = -1;
    this.#free.push(slot);
    this.size--;
    return true;
  }

  /** Takes every request out, oldest first. */
  drain(): Pending[] {
    const all = this.#slots.filter((p): p is Pending => p !== null);
    for (const p of all) p.slot = -1;
    this.#slots = [];
    this.#free = [];
    this.size = 0;
    return all.sort((a, b) => a.local - b.local);
  }
}

/**
 * A run's records, failures included, in completion order. Iterate it with
 * `for await`, or hand {@linkcode RecordStream.forEach} a callback: it is
 * called synchronously as each record completes, with no promise or
 * generator step per record (the path `collect()` and the CLI take).
 * A stream runs once.
 */
export interface RecordStream extends AsyncIterable<RequestRecord> {
  /**
   * Runs the load, passing each record to `emit` as it completes; resolves
   * when the run has ended (at once on `hardStop`, after the requests in
   * flight are recorded as `aborted`).
   *
   * @throws {RangeError} for invalid options (as a rejection).
   * @throws {TypeError} when the stream has already run.
   */
  forEach(emit: (record: RequestRecord) => void): Promise<void>;
}

/** Completion bookkeeping shared by both loops: outcomes in, records out to `emit`. */
class Outbox {
  readonly pending = new InFlight();
  #emit: ((r: RequestRecord) => void) | null;
  /** What `emit` threw (a full disk under the CSV): it ends the run. */
  #failure: { error: unknown } | null = null;
  #onFailure: () => void = () => {};
  readonly #failed = new Promise<void>((resolve) => (this.#onFailure = resolve));
  #batch: RequestRecord[] = [];
  #scheduled = false;
  /** Where failures' messages go, if anywhere. */
  readonly causes: ErrorCauses | null;
  /** The target name of a local request id. */
  readonly targetFor: (local: number) => string;

  constructor(
    emit: (r: RequestRecord) => void,
    causes: ErrorCauses | null,
    targetFor?: (local: number) => string,
  ) {
    this.#emit = emit;
    this.causes = causes;
    this.targetFor = targetFor ?? (() => "");
  }

  /** True once the run has ended (finished, hard-stopped or failed): send nothing more. */
  get ended(): boolean {
    return this.#emit === null;
  }

  /**
   * Passes a record on, unless the run has ended. Records are handed over in
   * batches, in a microtask queued behind the completions already due: the
   * loops send their next requests first, and the CSV and summary work
   * happens after, off the path between one response and the next request.
   */
  push(r: RequestRecord): void {
    if (this.#emit === null) return;
    this.#batch.push(r);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Hands the batch to `emit` now. */
  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const emit = this.#emit;
    if (emit === null) return;
    try {
      for (let i = 0; i < batch.length; i++) emit(batch[i] as RequestRecord);
    } catch (error) {
      this.#emit = null;
      this.#failure = { error };
      this.#onFailure();
    }
  };

  /** Records an outcome unless the request was already written off as aborted. */
  settle(p: Pending, o: Outcome, worker: number): void {
    if (!this.pending.remove(p)) return;
    if (o.error !== "" && !p.warmup) this.causes?.add(o.error, o.message, o.status);
    this.push({
      id: p.id,
      scheduledMs: p.scheduledMs,
      startedMs: o.startedMs,
      latencyMs: Math.max(0, o.endMs - p.scheduledMs),
      ttfbMs: o.ttfbMs,
      status: o.status,
      bytes: o.bytes,
      error: o.error,
      warmup: p.warmup,
      worker,
      connectMs: o.connectMs ?? null,
      tlsMs: o.tlsMs ?? null,
      firstBodyMs: o.firstBodyMs ?? null,
      conn: o.conn ?? null,
      target: this.targetFor(p.local),
    });
  }

  /** Writes every request still in flight off as `aborted`. */
  abortPending(worker: number): void {
    const t = now();
    for (const p of this.pending.drain()) {
      if (!p.warmup) this.causes?.add("aborted", undefined, 0);
      this.push({
        id: p.id,
        scheduledMs: p.scheduledMs,
        startedMs: p.startedMs,
        latencyMs: Math.max(0, t - p.scheduledMs),
        ttfbMs: null,
        status: 0,
        bytes: 0,
        error: "aborted",
        warmup: p.warmup,
        worker,
        connectMs: null,
        tlsMs: null,
        firstBodyMs: null,
        conn: null,
        target: this.targetFor(p.local),
      });
    }
  }

  /**
   * Waits until `done` settles, or until `hardStop` aborts: then every request still
   * in flight is written off as `aborted` at once. Nothing is passed on afterwards.
   * Rejects with what `emit` threw, if it threw: the run ends there.
   */
  async finish(done: Promise<unknown>, worker: number, hardStop?: AbortSignal): Promise<void> {
    let onHard = (): void => {};
    const hard = new Promise<void>((resolve) => (onHard = resolve));
    hardStop?.addEventListener("abort", onHard, { once: true });
    try {
      if (!hardStop?.aborted) await Promise.race([done, hard, this.#failed]);
      if (this.#failure === null && hardStop?.aborted) this.abortPending(worker);
      this.#flush();
      if (this.#failure !== null) throw this.#failure.error;
    } finally {
      hardStop?.removeEventListener("abort", onHard);
      this.#emit = null;
    }
  }
}

/** A {@linkcode RecordStream} over a loop that sends its records to an {@linkcode Outbox}. */
function recordStream(
  run: (out: Outbox) => Promise<void>,
  causes: ErrorCauses | undefined,
  targetFor?: (local: number) => string,
): RecordStream {
  let started = false;
  const forEach = (emit: (record: RequestRecord) => void): Promise<void> => {
    if (started) return Promise.reject(new TypeError("Cannot run a record stream twice"));
    started = true;
    return run(new Outbox(emit, causes ?? null, targetFor));
  };
  return {
    forEach,
    async *[Symbol.asyncIterator](): AsyncGenerator<RequestRecord> {
      let queue: RequestRecord[] = [];
      let wake: (() => void) | null = null;
      // Set from callbacks: an object, so the loop below reads them fresh.
      const end: { ended: boolean; failure: { error: unknown } | null } = {
        ended: false,
        failure: null,
      };
      const notify = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      forEach((r) => {
        queue.push(r);
        notify();
      }).then(
        () => (end.ended = true),
        (error) => (end.ended = true, end.failure = { error }),
      ).finally(notify);
      for (;;) {
        if (queue.length > 0) {
          const batch = queue;
          queue = [];
          yield* batch;
          continue;
        }
        if (end.ended) {
          if (end.failure !== null) throw end.failure.error;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

function idMapper(options: RunOptions): (local: number) => number {
  if (options.idFor) return options.idFor;
  const offset = options.idOffset ?? 0;
  return (local) => local + offset;
}

/** Most requests sent in one wake-up before the loop yields to completions. */
const MAX_BURST = 64;
/** A wake-up this far behind schedule means the yielding pacer is not keeping up... */
const BEHIND_MS = 1;
/** ...so it sleeps on timers only for this long before yielding again. */
const SPIN_BACKOFF_MS = 100;

/**
 * Runs a closed loop: `concurrency` workers each send a request, wait for it,
 * and send the next, until `requests` have started or `durationMs` elapsed.
 * Latency runs from the start of the request to the last body byte. A slow
 * server slows the sending down, so a stall shows up in few samples
 * (coordinated omission); use {@linkcode runOpen} to see it.
 *
 * @example
 * ```ts ignore
 * import { runClosed } from "./runner.ts";
 * for await (const rec of runClosed({ client, requestFor: () => req, concurrency: 20, requests: 400 })) {
 *   console.log(rec.latencyMs);
 * }
 * ```
 */
export function runClosed(options: ClosedLoopOptions): RecordStream {
  return recordStream((out) => closedLoop(options, out), options.causes, options.targetFor);
}

async function closedLoop(options: ClosedLoopOptions, out: Outbox): Promise<void> {
  const { client, requestFor, signal, hardStop } = options;
  if (!(options.concurrency >= 1)) {
    throw new RangeError(
      `Cannot run a closed loop: concurrency must be at least 1, got ${options.concurrency}`,
    );
  }
  if (options.requests === Infinity && options.durationMs === undefined) {
    throw new RangeError("Cannot run a closed loop: give a request count or a duration");
  }
  const warmup = options.warmup ?? 0;
  const warmupMs = options.warmupMs ?? 0;
  const requests = options.requests;
  const durationMs = options.durationMs;
  const idFor = idMapper(options);
  const worker = options.worker ?? 0;
  const t0 = now();
  const warmupEnd = t0 + warmupMs;
  // The duration starts after the warm-up (by time, or when the first measured request starts).
  let deadline = durationMs === undefined || warmup > 0 ? Infinity : warmupEnd + durationMs;
  let next = 0;
  let measured = 0;

  // Read per request: plain flags, set by the signals' listeners (a signal's `aborted` is a
  // slower, checked getter).
  let stopping = signal?.aborted === true || hardStop?.aborted === true;
  const onStop = () => (stopping = true);
  signal?.addEventListener("abort", onStop, { once: true });
  hardStop?.addEventListener("abort", onStop, { once: true });
  /**
   * Claims the next request and marks it in flight (one clock read, one pending entry);
   * `null` when the loop should stop. `at`: a clock reading just taken (the end of the
   * request whose completion claims the next), which spares a read of its own.
   */
  const claim = (at?: number, spare?: Pending | null): Pending | null => {
    if (stopping || out.ended) return null;
    const t = at ?? now();
    const local = next;
    if (t >= warmupEnd) {
      if (measured >= requests || t >= deadline) return null;
      measured++;
      if (local === warmup && durationMs !== undefined && warmup > 0) deadline = t + durationMs;
    }
    next++;
    const id = idFor(local);
    const isWarmup = t < warmupEnd || local < warmup;
    let p: Pending;
    if (spare) {
      // A settled entry of the same worker, filled again: no new object per request.
      p = spare;
      p.id = id;
      p.local = local;
      p.scheduledMs = t;
      p.startedMs = t;
      p.warmup = isWarmup;
    } else {
      p = { id, local, scheduledMs: t, startedMs: t, warmup: isWarmup, slot: -1 };
    }
    out.pending.add(p);
    return p;
  };
  /** Records a request's outcome; closed loop: latency is from the actual start. */
  const settle = (p: Pending, o: Outcome): void => {
    p.scheduledMs = o.startedMs;
    out.settle(p, o, worker);
  };

  const n = warmupMs > 0 ? options.concurrency : Math.min(options.concurrency, requests);
  let loops: Promise<unknown>;
  if (client.sendThen !== undefined) {
    const sendThen = client.sendThen.bind(client);
    // A request starts at its claim: the completion of the one before it on this worker
    // (one clock reading serves both), or a reading of its own for a worker's first.
    loops = callbackLoops(
      n,
      (p, done) => sendThen(requestFor(p.local), done, p.startedMs),
      claim,
      settle,
    );
  } else {
    const workerLoop = async (): Promise<void> => {
      // claim() stops the loop once either signal has aborted.
      for (let p = claim(); p !== null; p = claim()) {
        settle(p, await client.send(requestFor(p.local)));
      }
    };
    const all: Promise<void>[] = [];
    for (let i = 0; i < n; i++) all.push(workerLoop());
    loops = Promise.all(all);
  }
  try {
    await out.finish(loops, worker, hardStop);
  } finally {
    signal?.removeEventListener("abort", onStop);
    hardStop?.removeEventListener("abort", onStop);
  }
}

/**
 * `workers` closed loops over a callback send (a client's `sendThen`): each
 * worker's next request goes out from the completion of its last, before
 * other completions are processed (no promise hop in between). Resolves when
 * every worker has stopped; rejects with what `send` or `claim` threw (a
 * `requestFor` that throws).
 */
function callbackLoops(
  workers: number,
  send: (p: Pending, done: (o: Outcome) => void) => void,
  claim: (at?: number, spare?: Pending | null) => Pending | null,
  settle: (p: Pending, o: Outcome) => void,
): Promise<void> {
  if (workers <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let running = workers;
    let failed = false;
    /** One worker's state, and one completion callback per worker (not one per request). */
    class Loop {
      p: Pending | null = null;
      /** This worker's last settled entry, out of flight: its next claim fills it again. */
      spare: Pending | null = null;
      sync = false;
      doneSync = false;
      readonly done = (o: Outcome): void => {
        const p = this.p as Pending;
        if (this.sync) {
          settle(p, o);
          this.spare = p;
          this.doneSync = true;
          return;
        }
        // The next request goes out first; the bookkeeping of this one waits for it. Its
        // claim takes the clock from this completion, read a moment ago.
        this.step(o.endMs);
        settle(p, o);
        this.spare = p;
      };

      step(at?: number): void {
        // A loop, not recursion: a client may complete a request synchronously (when closed).
        for (;;) {
          this.sync = true;
          this.doneSync = false;
          try {
            const p = failed ? null : claim(at, this.spare);
            this.spare = null;
            at = undefined;
            this.p = p;
            if (p === null) return this.stop();
            send(p, this.done);
          } catch (err) {
            failed = true;
            reject(err);
            return this.stop();
          }
          this.sync = false;
          if (!this.doneSync) return;
        }
      }

      stop(): void {
        if (--running === 0) resolve();
      }
    }
    for (let i = 0; i < workers; i++) new Loop().step();
  });
}

/**
 * Runs an open loop: request k is due at `offsetMs + k/rate` seconds from
 * the start, whatever the server does (wrk2's constant throughput).
 * Latency is measured **from the scheduled time** to the last body byte, so
 * time a request spent waiting behind a stalled server counts (the
 * coordinated-omission correction); `startedMs` keeps the actual start.
 *
 * When `maxInFlight` requests are outstanding, a due request waits for a
 * slot and counts as late; one that falls more than `dropAfterMs` behind its
 * schedule is not sent but recorded with status 0 and error `dropped`.
 *
 * @example
 * ```ts ignore
 * import { runOpen } from "./runner.ts";
 * const recs = runOpen({ client, requestFor: () => req, rate: 100, maxInFlight: 200, requests: 1000 });
 * for await (const rec of recs) console.log(rec.latencyMs, rec.startedMs - rec.scheduledMs);
 * ```
 */
export function runOpen(options: OpenLoopOptions): RecordStream {
  return recordStream((out) => openLoop(options, out), options.causes, options.targetFor);
}

async function openLoop(options: OpenLoopOptions, out: Outbox): Promise<void> {
  const { client, requestFor, signal, hardStop } = options;
  if (!(options.maxInFlight >= 1)) {
    throw new RangeError(
      `Cannot run an open loop: maxInFlight must be at least 1, got ${options.maxInFlight}`,
    );
  }
  const finite = options.arrivals !== undefined && Number.isFinite(options.arrivals.endMs);
  if (options.requests === Infinity && options.durationMs === undefined && !finite) {
    throw new RangeError(
      "Cannot run an open loop: give a request count, a duration or arrivals that end",
    );
  }
  const warmup = options.warmup ?? 0;
  const warmupMs = options.warmupMs ?? 0;
  const dropAfterMs = options.dropAfterMs ?? Infinity;
  const offsetMs = options.offsetMs ?? 0;
  const spinLeadMs = options.spinLeadMs ?? SPIN_LEAD_MS;
  const counters = options.counters ?? newOpenLoopCounters();
  const idFor = idMapper(options);
  const worker = options.worker ?? 0;
  // Time warm-up requests are extra: count how many are due before warm-up ends.
  const arrivals = options.arrivals;
  let pacer: Pacer;
  let warmupCount: number;
  let warmupSpanMs: number;
  if (arrivals === undefined) {
    const rate = options.rate ?? NaN;
    pacer = createPacer({ rate, offsetMs });
    const interval = 1000 / rate;
    warmupCount = warmupMs > 0 ? Math.max(0, Math.ceil((warmupMs - offsetMs) / interval)) : warmup;
    warmupSpanMs = warmupMs > 0 ? warmupMs : warmup * interval;
  } else {
    pacer = schedulePacer(arrivals);
    warmupCount = warmupMs > 0 ? arrivals.countBefore(warmupMs) : warmup;
    // A count warm-up lasts until the first measured request is due.
    warmupSpanMs = warmupMs > 0 ? warmupMs : warmup > 0 ? arrivals.dueMs(warmup) : 0;
  }
  const maxRequests = options.requests === Infinity
    ? Infinity
    : warmupMs > 0
    ? warmupCount + options.requests
    : options.requests;
  const endMs = options.durationMs === undefined ? Infinity : warmupSpanMs + options.durationMs;
  const stopped = () => signal?.aborted === true || hardStop?.aborted === true || out.ended;
  const anyStop = signal && hardStop ? AbortSignal.any([signal, hardStop]) : signal ?? hardStop;
  let slotFreed: (() => void) | null = null;
  const freeSlot = () => {
    const f = slotFreed;
    slotFreed = null;
    f?.();
  };
  const onStop = () => freeSlot();
  /** Set once the dispatcher exists: resolves the run when nothing is left to settle. */
  let checkSettled = (): void => {};
  signal?.addEventListener("abort", onStop);
  hardStop?.addEventListener("abort", onStop);
  // Created before the clock starts: setting up its socket pair takes a moment.
  const yielder = await createYielder();
  const t0 = options.startMs ?? now();

  const send = (local: number, dueMs: number, waited: boolean): void => {
    const scheduledMs = t0 + dueMs;
    const startMs = now();
    const lag = Math.max(0, startMs - scheduledMs);
    const isWarmup = local < warmupCount;
    const decision = decideStart(lag, { waitedForSlot: waited, dropAfterMs });
    if (decision === "drop") {
      counters.dropped++;
      if (!isWarmup) out.causes?.add("dropped", undefined, 0);
      out.push({
        id: idFor(local),
        scheduledMs,
        startedMs: startMs,
        latencyMs: lag,
        ttfbMs: null,
        status: 0,
        bytes: 0,
        error: "dropped",
        warmup: isWarmup,
        worker,
        connectMs: null,
        tlsMs: null,
        firstBodyMs: null,
        conn: null,
        target: out.targetFor(local),
      });
      return;
    }
    if (decision === "late") counters.late++;
    if (lag > counters.maxStartLagMs) counters.maxStartLagMs = lag;
    const req = requestFor(local);
    const p: Pending = {
      id: idFor(local),
      local,
      scheduledMs,
      startedMs: startMs,
      warmup: isWarmup,
      slot: -1,
    };
    out.pending.add(p);
    client.send(req).then((o) => {
      // The lag as the CSV shows it: the client's own start against the schedule.
      if (!isWarmup) counters.startLag.add(o.startedMs - scheduledMs);
      out.settle(p, o, worker);
      freeSlot();
      checkSettled();
    });
  };

  const dispatch = async () => {
    let local = 0;
    // Yielding costs CPU; when the process cannot keep up anyway (a busy machine, a rate
    // beyond the client), it only takes CPU from the requests: fall back to timers a while.
    let spinOffUntil = 0;
    let behind = 0;
    while (local < maxRequests && !stopped()) {
      const elapsed = now() - t0;
      const pace = pacer.pace(elapsed, local);
      if (pace.stop || pace.dueMs >= offsetMs + endMs) break;
      // Sleep on a timer until shortly before the due time, then yield until it is due:
      // timers wake up to a millisecond late, a yield a few microseconds.
      const wake = planWake(pace.waitMs, elapsed < spinOffUntil ? 0 : spinLeadMs);
      if (wake.kind === "sleep") {
        await abortableSleep(wake.ms, anyStop);
        continue;
      }
      if (wake.kind === "yield") {
        await yielder.yield();
        continue;
      }
      if (elapsed >= spinOffUntil) {
        // One late wake-up (a GC pause) is noise; several close together are contention.
        behind = elapsed - pace.dueMs > BEHIND_MS ? behind + 1 : Math.max(0, behind - 0.25);
        if (behind >= 3) {
          spinOffUntil = elapsed + SPIN_BACKOFF_MS;
          behind = 0;
        }
      }
      // Everything due by now goes out in this wake-up (bounded, so completions still run).
      const due = Math.min(MAX_BURST, Math.max(1, pacer.dueCount(now() - t0, local)));
      for (let i = 0; i < due && local < maxRequests && !stopped(); i++) {
        const p = i === 0 ? pace : pacer.pace(0, local);
        if (p.stop || p.dueMs >= offsetMs + endMs) return;
        let waited = false;
        while (out.pending.size >= options.maxInFlight && !stopped()) {
          waited = true;
          await new Promise<void>((resolve) => (slotFreed = resolve));
        }
        if (stopped()) return;
        send(local, p.dueMs, waited);
        local++;
      }
      // After a full burst let completions run, unless far behind: a yield can take
      // milliseconds on a busy machine, and yielding per burst would never catch up
      // (the in-flight bound still makes the loop wait for completions).
      if (due === MAX_BURST && now() - t0 - pacer.pace(0, local).dueMs < BEHIND_MS) {
        await yielder.yield();
      }
    }
  };

  // Done when the schedule has been sent and every request has settled.
  let allSettled: () => void = () => {};
  const settled = new Promise<void>((resolve) => (allSettled = resolve));
  let dispatching = true;
  checkSettled = () => {
    if (!dispatching && out.pending.size === 0) allSettled();
  };
  const dispatched = dispatch().finally(() => {
    yielder.close();
    dispatching = false;
    checkSettled();
  });
  try {
    await out.finish(Promise.all([dispatched, settled]), worker, hardStop);
  } finally {
    signal?.removeEventListener("abort", onStop);
    hardStop?.removeEventListener("abort", onStop);
  }
}
