/**
 * Load loops. A runner schedules requests through a {@linkcode Client} and
 * yields one {@linkcode RequestRecord} per request started, failures
 * included, in completion order. It has no network code of its own.
 *
 * @module
 */
import type { Client, HttpRequest } from "./client.ts";
import { now } from "./clock.ts";
import type { RequestRecord } from "./record.ts";

/** Options for {@linkcode runClosed}. */
export interface ClosedLoopOptions {
  client: Client;
  /** The request to send for a given request id (0-based, warm-up included). */
  requestFor: (id: number) => HttpRequest;
  /** Requests in flight at once. */
  concurrency: number;
  /** Stop after this many requests (warm-up included); `Infinity` with a duration. */
  requests: number;
  /** Stop starting new requests after this many milliseconds, if set. */
  durationMs?: number;
  /** The first `warmup` requests are marked `warmup` and excluded from statistics. */
  warmup?: number;
  /** Added to every request id (sharded runs keep ids unique across workers). */
  idOffset?: number;
  /** Worker index written into each record. */
  worker?: number;
  /** Stop starting new requests when aborted; requests in flight still finish. */
  signal?: AbortSignal;
}

/**
 * Runs a closed loop: `concurrency` workers each send a request, wait for it,
 * and send the next, until `requests` have started or `durationMs` elapsed.
 * Latency runs from the start of the request to the last body byte.
 *
 * @example
 * ```ts ignore
 * import { runClosed } from "./runner.ts";
 * for await (const rec of runClosed({ client, requestFor: () => req, concurrency: 20, requests: 400 })) {
 *   console.log(rec.latencyMs);
 * }
 * ```
 */
export async function* runClosed(options: ClosedLoopOptions): AsyncGenerator<RequestRecord> {
  const { client, requestFor, signal } = options;
  if (!(options.concurrency >= 1)) {
    throw new RangeError(
      `Cannot run a closed loop: concurrency must be at least 1, got ${options.concurrency}`,
    );
  }
  if (options.requests === Infinity && options.durationMs === undefined) {
    throw new RangeError("Cannot run a closed loop: give a request count or a duration");
  }
  const warmup = options.warmup ?? 0;
  const idOffset = options.idOffset ?? 0;
  const worker = options.worker ?? 0;
  const t0 = now();
  const deadline = options.durationMs === undefined ? Infinity : t0 + options.durationMs;
  let next = 0;
  const done: RequestRecord[] = [];
  let wake: (() => void) | null = null;
  let active = 0;

  const claim = (): number | null => {
    if (signal?.aborted) return null;
    if (next >= options.requests) return null;
    if (now() >= deadline) return null;
    return next++;
  };

  const workerLoop = async () => {
    for (let id = claim(); id !== null; id = claim()) {
      const o = await client.send(requestFor(id));
      done.push({
        id: id + idOffset,
        scheduledMs: o.startedMs,
        startedMs: o.startedMs,
        latencyMs: o.endMs - o.startedMs,
        ttfbMs: o.ttfbMs,
        status: o.status,
        bytes: o.bytes,
        error: o.error,
        warmup: id < warmup,
        worker,
      });
      wake?.();
    }
  };

  const n = Math.min(options.concurrency, options.requests);
  const workers: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    active++;
    workers.push(
      workerLoop().finally(() => {
        active--;
        wake?.();
      }),
    );
  }
  while (true) {
    while (done.length > 0) yield done.shift() as RequestRecord;
    if (active === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
  await Promise.all(workers);
}
