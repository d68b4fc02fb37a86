/**
 * Where a run's time went, as the mean request split into consecutive
 * parts: waiting to start (open model), TCP connect, TLS, the rest of the
 * way to the first response byte, on to the first body byte, and the rest
 * of the body. Means add up, so the parts stack to the mean latency (a
 * percentile would not). Pure. Phase boundaries:
 * [docs/phases.md](../../docs/phases.md).
 *
 * @module
 */
import { isSuccess, type RequestRecord } from "../record.ts";

/** One consecutive part of a request's latency. */
export type BreakdownPart =
  | "start_lag"
  | "connect"
  | "tls"
  | "to_first_byte"
  | "to_first_body"
  | "rest";

/** The parts in the order a request goes through them. */
export const BREAKDOWN_PARTS: readonly BreakdownPart[] = [
  "start_lag",
  "connect",
  "tls",
  "to_first_byte",
  "to_first_body",
  "rest",
];

/** The mean request of a run, split. */
export interface TimeBreakdown {
  /** Successful, measured requests averaged. */
  requests: number;
  /** Mean latency: the parts' sum. */
  mean_ms: number;
  /** The parts the run has data for, in order, each with its mean in ms. */
  parts: { part: BreakdownPart; mean_ms: number }[];
}

/**
 * The mean request of a run split into its parts, only the parts the run's
 * records tell (a part no request has a boundary for is folded into the
 * next); `null` when no request has any phase, or none succeeded. A request
 * that reused a connection spends 0 in connect and TLS.
 *
 * @example
 * ```ts
 * import { timeBreakdown } from "./time_breakdown.ts";
 * const r = { id: 0, scheduledMs: 0, startedMs: 0, latencyMs: 150, ttfbMs: 10, status: 200,
 *   bytes: 1, error: "" as const, warmup: false, worker: 0, connectMs: 1, tlsMs: 4,
 *   firstBodyMs: 120, conn: 1 };
 * timeBreakdown([r])?.parts.map((p) => p.mean_ms); // [1, 4, 5, 110, 30]
 * ```
 */
export function timeBreakdown(records: readonly RequestRecord[]): TimeBreakdown | null {
  const has = { lag: false, connect: false, tls: false, ttfb: false, body: false };
  const sums = new Float64Array(BREAKDOWN_PARTS.length);
  let n = 0;
  let total = 0;
  for (const r of records) {
    if (r.warmup || !isSuccess(r)) continue;
    n++;
    const lag = Math.max(0, r.startedMs - r.scheduledMs);
    const served = r.latencyMs - lag;
    const b1 = r.connectMs ?? 0;
    const b2 = b1 + (r.tlsMs ?? 0);
    const b3 = Math.max(b2, r.ttfbMs ?? b2);
    const b4 = Math.max(b3, r.firstBodyMs ?? b3);
    const end = Math.max(b4, served);
    has.lag ||= lag > 0;
    has.connect ||= r.connectMs !== null;
    has.tls ||= r.tlsMs !== null;
    has.ttfb ||= r.ttfbMs !== null;
    has.body ||= r.firstBodyMs !== null;
    sums[0]! += lag;
    sums[1]! += b1;
    sums[2]! += b2 - b1;
    sums[3]! += b3 - b2;
    sums[4]! += b4 - b3;
    sums[5]! += end - b4;
    total += lag + end;
  }
  if (n === 0 || !(has.connect || has.tls || has.ttfb || has.body)) return null;
  const shown = [has.lag, has.connect, has.tls, has.ttfb, has.body, true];
  const parts: TimeBreakdown["parts"] = [];
  let carry = 0;
  BREAKDOWN_PARTS.forEach((part, k) => {
    // A part without data is 0 for every request except the folded remainder; carry it on.
    carry += sums[k]! / n;
    if (!shown[k]) return;
    parts.push({ part, mean_ms: carry });
    carry = 0;
  });
  return { requests: n, mean_ms: total / n, parts };
}
