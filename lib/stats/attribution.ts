/**
 * Attribution of an A/B latency difference measured against the tailgate
 * mock: how much of it connection setup explains (exact for HTTP/1.1, a
 * range for HTTP/2), and how much is left for everything else. Pure:
 * numbers in, numbers out. The model, its limits and a worked example:
 * [docs/statistics.md](../../docs/statistics.md#attribution-how-much-of-the-difference-is-connection-setup);
 * reading the mock's `/stats` into an {@linkcode AttributionRun}:
 * `mock_stats.ts`.
 *
 * @module
 */

/** One run as the attribution needs it. */
export interface AttributionRun {
  name: string;
  /** Successful, measured requests (the mean's sample size). */
  requests: number;
  /** Mean latency of those requests, in ms. */
  meanMs: number;
  /** Connections the mock saw opened during the run. */
  opened: number;
  /** How many of the opened connections may be HTTP/2 (0 to `opened`). */
  openedHttp2: number;
  /** Most requests that can wait on one HTTP/2 connection's setup (≥ 1), e.g. the concurrency. */
  maxWaiters: number;
  /** The mock's setup cost per new connection: `setupRtts × rttMs`, in ms. */
  setupMs: number;
}

/** A range of ms; `min === max` when exact. */
export interface MsRange {
  min: number;
  max: number;
}

/** What connection setup cost one run, in the mock's model. */
export interface RunSetupCost {
  name: string;
  requests: number;
  mean_ms: number;
  connections_opened: number;
  http2_connections: number;
  setup_ms_per_connection: number;
  /** Total setup time charged to the run's requests. */
  setup_paid_ms: MsRange;
  /** The same per request (`setup_paid_ms / requests`). */
  setup_per_request_ms: MsRange;
}

/** The split of a difference in mean latency (B − A) into setup and the rest. */
export interface Attribution {
  baseline: RunSetupCost;
  candidate: RunSetupCost;
  /** Mean latency B − A, in ms (negative: B is faster). */
  mean_delta_ms: number;
  /**
   * The difference in total latency time, `mean_delta_ms × requests` with
   * the candidate's request count (exactly Σ latencies B − Σ latencies A
   * when both runs have as many requests).
   */
  total_delta_ms: number;
  /** Requests the totals are scaled to. */
  requests: number;
  /** The part of `total_delta_ms` connection setup explains (B's setup − A's). */
  setup_delta_ms: MsRange;
  /** What is left: `total_delta_ms − setup_delta_ms`. */
  other_delta_ms: MsRange;
  /** `setup_delta_ms / total_delta_ms`, `null` when the total difference is 0. */
  setup_share: MsRange | null;
  /** Whether the setup figures are exact (no HTTP/2 connection with possible extra waiters). */
  exact: boolean;
  /** What the numbers cannot separate, in plain words. */
  notes: string[];
  /** Set when the share falls outside 0–100%, saying what that means. */
  share_note: string | null;
}

function checkRun(r: AttributionRun): void {
  const bad = (what: string) => new RangeError(`Cannot attribute run "${r.name}": ${what}`);
  if (!Number.isInteger(r.requests) || r.requests < 1) {
    throw bad(`requests must be a positive integer, got ${r.requests}`);
  }
  if (!Number.isFinite(r.meanMs) || r.meanMs < 0) {
    throw bad(`mean latency must be a non-negative number, got ${r.meanMs}`);
  }
  if (!Number.isInteger(r.opened) || r.opened < 0) {
    throw bad(`connections opened must be a non-negative integer, got ${r.opened}`);
  }
  if (!Number.isInteger(r.openedHttp2) || r.openedHttp2 < 0 || r.openedHttp2 > r.opened) {
    throw bad(`HTTP/2 connections must be within 0 and ${r.opened}, got ${r.openedHttp2}`);
  }
  if (!Number.isInteger(r.maxWaiters) || r.maxWaiters < 1) {
    throw bad(`max waiters must be a positive integer, got ${r.maxWaiters}`);
  }
  if (!Number.isFinite(r.setupMs) || r.setupMs < 0) {
    throw bad(`setup cost must be a non-negative number, got ${r.setupMs}`);
  }
}

function setupCost(r: AttributionRun): RunSetupCost {
  const h1 = r.opened - r.openedHttp2;
  const min = r.opened * r.setupMs;
  const max = (h1 + r.openedHttp2 * r.maxWaiters) * r.setupMs;
  return {
    name: r.name,
    requests: r.requests,
    mean_ms: r.meanMs,
    connections_opened: r.opened,
    http2_connections: r.openedHttp2,
    setup_ms_per_connection: r.setupMs,
    setup_paid_ms: { min, max },
    setup_per_request_ms: { min: min / r.requests, max: max / r.requests },
  };
}

/**
 * Splits the difference in mean latency from run A (baseline) to run B
 * (candidate) into the part connection setup explains, as a range, and the
 * rest. See the module documentation for the model and its limits.
 *
 * @throws {RangeError} when a run's numbers are out of range.
 *
 * @example
 * ```ts
 * import { attributeDifference } from "./attribution.ts";
 * const a = { name: "A", requests: 400, meanMs: 200, opened: 20, openedHttp2: 0, maxWaiters: 20, setupMs: 120 };
 * const b = { name: "B", requests: 400, meanMs: 194, opened: 1, openedHttp2: 0, maxWaiters: 20, setupMs: 120 };
 * attributeDifference(a, b).setup_delta_ms; // { min: -2280, max: -2280 }
 * ```
 */
export function attributeDifference(a: AttributionRun, b: AttributionRun): Attribution {
  checkRun(a);
  checkRun(b);
  const ca = setupCost(a);
  const cb = setupCost(b);
  const n = b.requests;
  const meanDelta = b.meanMs - a.meanMs;
  const total = meanDelta * n;
  // Per-request setup difference, scaled to n requests (exact totals when the counts match).
  const scaleA = n / a.requests; // 1 when both runs have as many requests
  const setup: MsRange = {
    min: cb.setup_paid_ms.min - ca.setup_paid_ms.max * scaleA,
    max: cb.setup_paid_ms.max - ca.setup_paid_ms.min * scaleA,
  };
  const other: MsRange = { min: total - setup.max, max: total - setup.min };
  const share: MsRange | null = total === 0 ? null : {
    min: Math.min(setup.min / total, setup.max / total),
    max: Math.max(setup.min / total, setup.max / total),
  };
  const exact = setup.min === setup.max;
  const notes: string[] = [];
  if (!exact) {
    notes.push(
      "An HTTP/2 connection can have several requests waiting for its setup (up to the concurrency), " +
        "and the mock's /stats does not say how many did: the setup part is a range.",
    );
  }
  notes.push(
    "Everything else is one lump: protocol framing, client overhead, pool queueing, and which request " +
      "drew which service time; this split cannot tell them apart.",
    "Totals are sums of request latencies, not run duration: with requests in flight together, " +
      "wall-clock time changes by less.",
    "Only the mock's modelled setup (setupRtts × rttMs per new connection) is counted; real connect " +
      "and TLS work on the client side is in everything else.",
  );
  if (a.setupMs !== b.setupMs) {
    notes.push(
      `The runs were against mocks with different setup costs (${a.setupMs} ms and ${b.setupMs} ms per connection).`,
    );
  }
  const shareNote = share !== null && (share.min < 0 || share.max > 1)
    ? "The setup share falls outside 0–100%: connection setup alone predicts a different change " +
      "than the one measured, so other effects work against it (or the difference is noise)."
    : null;
  return {
    baseline: ca,
    candidate: cb,
    mean_delta_ms: meanDelta,
    total_delta_ms: total,
    requests: n,
    setup_delta_ms: setup,
    other_delta_ms: other,
    setup_share: share,
    exact,
    notes,
    share_note: shareNote,
  };
}

/**
 * The most requests in flight at once, from their start times and
 * latencies (any order). An interval [start, start + latency) holds the
 * request; one ending exactly when another starts does not overlap it.
 *
 * @example
 * ```ts
 * import { maxInFlight } from "./attribution.ts";
 * maxInFlight([0, 1, 5], [3, 3, 1]); // 2
 * ```
 */
export function maxInFlight(starts: ArrayLike<number>, latencies: ArrayLike<number>): number {
  const n = Math.min(starts.length, latencies.length);
  const s = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s[i] = starts[i] as number;
    e[i] = (starts[i] as number) + (latencies[i] as number);
  }
  s.sort();
  e.sort();
  let best = 0, cur = 0, j = 0;
  for (let i = 0; i < n; i++) {
    while (j < n && (e[j] as number) <= (s[i] as number)) {
      j++;
      cur--;
    }
    cur++;
    if (cur > best) best = cur;
  }
  return best;
}
