/**
 * Attribution against any URL, from the client's own phases: the split of a
 * latency difference between two runs (A → B) into connection setup and
 * the rest, with no help from the server. Pure.
 *
 * A request's setup is the connection setup it paid: its `connect_ms` plus
 * its `tls_ms` (both empty, so 0, when it reused a connection). A request
 * that waited for another request's connection (HTTP/2 streams on a new
 * connection) carries that wait in the same columns when its engine records
 * it so ([docs/phases.md](../../docs/phases.md)).
 *
 * - **Mean, exactly.** The mean is linear: mean(B) − mean(A) = (mean setup B
 *   − mean setup A) + (mean rest B − mean rest A), where rest = latency −
 *   setup per request.
 * - **P50/P95, by comparing each run with itself minus its setup.** A
 *   percentile is not linear, so each run is compared with the same run
 *   with every request's setup taken out: setup's part of run X's P95 is
 *   P95(latency X) − P95(latency X − setup X), and of the difference it is
 *   that part of B minus that part of A; the rest is
 *   P95(B − setup B) − P95(A − setup A). The two parts add up to the
 *   difference exactly.
 *
 * Intervals: a paired circular block bootstrap (`bootstrap.ts`). Within a
 * run, the latency series and the latency-minus-setup series are resampled
 * at the same block starts (the same requests), so both of a run's
 * percentiles move together; the two runs are resampled independently, as
 * the A/B comparison does.
 *
 * @module
 */
import { isSuccess, type RequestRecord } from "../record.ts";
import { createRng, deriveSeed } from "../rng.ts";
import {
  blockLengthOf,
  type BootstrapOptions,
  drawBlockStarts,
  intervalRanks,
  RunResampler,
  timeOrder,
} from "./bootstrap.ts";

/**
 * The connection setup a request paid: `connect_ms` + `tls_ms`, each 0 when
 * empty.
 *
 * @example
 * ```ts
 * import { setupOf } from "./setup_split.ts";
 * setupOf({ connectMs: 0.4, tlsMs: 3 }); // 3.4
 * setupOf({ connectMs: null, tlsMs: null }); // 0
 * ```
 */
export function setupOf(r: Pick<RequestRecord, "connectMs" | "tlsMs">): number {
  return (r.connectMs ?? 0) + (r.tlsMs ?? 0);
}

/**
 * Whether a run's records say which requests paid connection setup: some
 * record has a connection number or a connect time (the `fast` engines
 * record both; `fetch` and other tools' files neither).
 *
 * @example
 * ```ts
 * import { hasSetupPhases } from "./setup_split.ts";
 * hasSetupPhases([{ conn: 1, connectMs: null }]); // true
 * hasSetupPhases([{ conn: null, connectMs: null }]); // false
 * ```
 */
export function hasSetupPhases(
  records: readonly Pick<RequestRecord, "conn" | "connectMs">[],
): boolean {
  return records.some((r) => r.conn !== null || r.connectMs !== null);
}

/**
 * Connections a run opened by the client's own count: the distinct
 * (worker, `conn`) pairs of its records, warm-up included; `null` when no
 * record has a connection number.
 *
 * @example
 * ```ts
 * import { connectionsOpened } from "./setup_split.ts";
 * connectionsOpened([{ worker: 0, conn: 1 }, { worker: 0, conn: 1 }, { worker: 0, conn: 2 }]); // 2
 * ```
 */
export function connectionsOpened(
  records: readonly Pick<RequestRecord, "worker" | "conn">[],
): number | null {
  const seen = new Set<string>();
  for (const r of records) if (r.conn !== null) seen.add(`${r.worker}:${r.conn}`);
  return seen.size === 0 ? null : seen.size;
}

/** One part of a difference: its value (B − A, ms) and its bootstrap interval. */
export interface SplitPart {
  delta_ms: number;
  ci_ms: [number, number];
}

/** One statistic's difference, split. `delta = setup + rest` exactly. */
export interface SplitMetric {
  metric: "mean" | "p50" | "p95";
  /** The statistic of each run's latency. */
  a_ms: number;
  b_ms: number;
  /** The same statistic of each run with every request's setup taken out. */
  a_without_setup_ms: number;
  b_without_setup_ms: number;
  /** B − A, with its interval. */
  total: SplitPart;
  /** The part connection setup explains: (b − b without setup) − (a − a without setup). */
  setup: SplitPart;
  /** Everything else: b without setup − a without setup. */
  rest: SplitPart;
}

/** The split of a difference between two runs, from client-side phases. */
export interface SetupSplit {
  /** Names of the runs, A (baseline) and B. */
  from: string;
  to: string;
  /** Successful, measured requests of each run. */
  n: { a: number; b: number };
  /** Of those, the requests that paid some setup. */
  with_setup: { a: number; b: number };
  /** Mean setup per request of each run, in ms. */
  setup_mean_ms: { a: number; b: number };
  metrics: SplitMetric[];
  /** Two-sided level of the intervals. */
  confidence: number;
  resamples: number;
  block_length: { a: number; b: number };
}

const METRICS: { metric: SplitMetric["metric"]; index: number }[] = [
  { metric: "mean", index: 3 },
  { metric: "p50", index: 0 },
  { metric: "p95", index: 1 },
];

interface Series {
  latency: Float64Array;
  rest: Float64Array;
  withSetup: number;
  setupSum: number;
}

function seriesOf(records: readonly RequestRecord[]): Series {
  const ok = records.filter((r) => !r.warmup && isSuccess(r));
  let withSetup = 0;
  let setupSum = 0;
  const rest = ok.map((r) => {
    const s = setupOf(r);
    if (s > 0) withSetup++;
    setupSum += s;
    return r.latencyMs - s;
  });
  // One sort orders both series: they are the same requests.
  const order = timeOrder(ok.map((r) => r.startedMs), ok.map((r) => r.id));
  return {
    latency: Float64Array.from(order, (i) => ok[i]!.latencyMs),
    rest: Float64Array.from(order, (i) => rest[i]!),
    withSetup,
    setupSum,
  };
}

/**
 * Splits the difference from run A to run B into connection setup and the
 * rest, for the mean (exactly) and P50/P95 (each run against itself minus
 * its setup), with paired block-bootstrap intervals. `null` when a run has
 * no phases to tell setup by ({@linkcode hasSetupPhases}) or fewer than 2
 * successful requests. `blockLength` is each run's resampling block (as the
 * A/B comparison's); `"auto"` by default.
 *
 * @example
 * ```ts
 * import { splitSetup } from "./setup_split.ts";
 * const rec = (id: number, latencyMs: number, setup: number) => ({ id, scheduledMs: id,
 *   startedMs: id, latencyMs, ttfbMs: null, status: 200, bytes: 0, error: "" as const,
 *   warmup: false, worker: 0, connectMs: setup, tlsMs: null, firstBodyMs: null, conn: id });
 * const a = Array.from({ length: 100 }, (_, i) => rec(i, 150 + (i % 7), 50));
 * const b = Array.from({ length: 100 }, (_, i) => rec(i, 100 + (i % 7), 0));
 * splitSetup({ name: "a", records: a }, { name: "b", records: b }, { resamples: 200 })
 *   ?.metrics[0]?.setup.delta_ms; // -50
 * ```
 */
export function splitSetup(
  a: { name: string; records: readonly RequestRecord[] },
  b: { name: string; records: readonly RequestRecord[] },
  options: BootstrapOptions = {},
): SetupSplit | null {
  if (!hasSetupPhases(a.records) || !hasSetupPhases(b.records)) return null;
  const sa = seriesOf(a.records);
  const sb = seriesOf(b.records);
  if (sa.latency.length < 2 || sb.latency.length < 2) return null;
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 1;
  const blockA = blockLengthOf(sa.latency, options.blockLength, "Cannot split the difference");
  const blockB = blockLengthOf(sb.latency, options.blockLength, "Cannot split the difference");
  const la = new RunResampler(sa.latency);
  const ra = new RunResampler(sa.rest);
  const lb = new RunResampler(sb.latency);
  const rb = new RunResampler(sb.rest);
  const rngA = createRng(deriveSeed(seed, 0x5a));
  const rngB = createRng(deriveSeed(seed, 0x5b));
  const total = METRICS.map(() => new Float64Array(resamples));
  const setup = METRICS.map(() => new Float64Array(resamples));
  const rest = METRICS.map(() => new Float64Array(resamples));
  for (let r = 0; r < resamples; r++) {
    const startsA = drawBlockStarts(rngA, la.n, blockA);
    const startsB = drawBlockStarts(rngB, lb.n, blockB);
    const xa = la.resampleAt(startsA, blockA);
    const ya = ra.resampleAt(startsA, blockA);
    const xb = lb.resampleAt(startsB, blockB);
    const yb = rb.resampleAt(startsB, blockB);
    METRICS.forEach(({ index }, m) => {
      const [xA, yA, xB, yB] = [xa[index]!, ya[index]!, xb[index]!, yb[index]!];
      total[m]![r] = xB - xA;
      setup[m]![r] = (xB - yB) - (xA - yA);
      rest[m]![r] = yB - yA;
    });
  }
  const [lo, hi] = intervalRanks(confidence, resamples);
  const ci = (xs: Float64Array): [number, number] => {
    xs.sort();
    return [xs[lo]!, xs[hi]!];
  };
  const [oa, wa, ob, wb] = [la.original(), ra.original(), lb.original(), rb.original()];
  const metrics = METRICS.map(({ metric, index }, m): SplitMetric => {
    const [xA, yA, xB, yB] = [oa[index]!, wa[index]!, ob[index]!, wb[index]!];
    return {
      metric,
      a_ms: xA,
      b_ms: xB,
      a_without_setup_ms: yA,
      b_without_setup_ms: yB,
      total: { delta_ms: xB - xA, ci_ms: ci(total[m]!) },
      setup: { delta_ms: (xB - yB) - (xA - yA), ci_ms: ci(setup[m]!) },
      rest: { delta_ms: yB - yA, ci_ms: ci(rest[m]!) },
    };
  });
  return {
    from: a.name,
    to: b.name,
    n: { a: sa.latency.length, b: sb.latency.length },
    with_setup: { a: sa.withSetup, b: sb.withSetup },
    setup_mean_ms: { a: sa.setupSum / sa.latency.length, b: sb.setupSum / sb.latency.length },
    metrics,
    confidence,
    resamples,
    block_length: { a: blockA, b: blockB },
  };
}
