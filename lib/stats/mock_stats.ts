/**
 * Reading the tailgate mock's `/stats` documents: one shape for the suite
 * (per-block differences and sums, the request-consistency check) and for
 * `compare --mock-stats` (attribution of a difference to connection setup).
 * Pure: documents in, numbers out. The mock's model is described in
 * [docs/architecture.md](../../docs/architecture.md) and `mock/app.ts`.
 *
 * @module
 */
import { attributeDifference, type Attribution, type AttributionRun } from "./attribution.ts";
import type { Summary } from "./summary.ts";

/** The server-side digest of the requests a run sent (sum modulo 2^256 of per-request hashes). */
export interface MockDigest {
  count: number;
  bytes: number;
  sha256_sum: string;
}

/** A mock `/stats` document, every part optional (it may come from a file). */
export interface MockStats {
  config?: unknown;
  blocks?: number;
  requests?: {
    total?: number;
    by_route?: Record<string, number>;
    by_status?: Record<string, number>;
  };
  connections?: {
    opened?: number;
    seen?: number;
    by_http_version?: Record<string, number>;
    requests_by_http_version?: Record<string, number>;
    requests_per_connection?: { max?: number };
  };
  digest?: MockDigest;
  faults?: Record<string, number>;
}

/** Whether the two runs sent the same requests, by the mock's digests. */
export interface RequestConsistency {
  identical: boolean;
  baseline: MockDigest | null;
  optimized: MockDigest | null;
  /** Interleaved runs: the blocks whose digests differ. */
  blocks_differing?: number[];
}

const MOD = 1n << 256n;

const hexSum = (d: MockDigest | undefined): bigint => BigInt(`0x${d?.sha256_sum ?? "0"}`);
const hex = (v: bigint): string => v.toString(16).padStart(64, "0");

function addCounts(
  into: Record<string, number>,
  from: Record<string, number> | undefined,
): Record<string, number> {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
  return into;
}

function subCounts(
  cur: Record<string, number> | undefined,
  prev: Record<string, number> | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur ?? {})) out[k] = v - (prev?.[k] ?? 0);
  return out;
}

/**
 * Connections the mock saw opened, or `null` when the document lacks it.
 *
 * @example
 * ```ts
 * import { openedConnections } from "./mock_stats.ts";
 * openedConnections({ connections: { opened: 20 } }); // 20
 * openedConnections(null); // null
 * ```
 */
export function openedConnections(stats: unknown): number | null {
  return (stats as MockStats | null)?.connections?.opened ?? null;
}

/**
 * One block's stats: the difference of two cumulative `/stats` snapshots of
 * the same mock run. Counts, connections opened and first seen, and the
 * digest (a sum modulo 2^256) subtract exactly; `requests_per_connection.max`
 * is the run's maximum so far (a bound, not the block's own).
 *
 * @example
 * ```ts
 * import { diffMockStats } from "./mock_stats.ts";
 * diffMockStats({ requests: { total: 5 } }, { requests: { total: 9 } }).requests?.total; // 4
 * ```
 */
export function diffMockStats(prev: MockStats, cur: MockStats): MockStats {
  const pc = prev.connections;
  const cc = cur.connections;
  return {
    config: cur.config,
    requests: {
      total: (cur.requests?.total ?? 0) - (prev.requests?.total ?? 0),
      by_route: subCounts(cur.requests?.by_route, prev.requests?.by_route),
      by_status: subCounts(cur.requests?.by_status, prev.requests?.by_status),
    },
    connections: {
      opened: (cc?.opened ?? 0) - (pc?.opened ?? 0),
      seen: (cc?.seen ?? 0) - (pc?.seen ?? 0),
      by_http_version: subCounts(cc?.by_http_version, pc?.by_http_version),
      requests_by_http_version: subCounts(
        cc?.requests_by_http_version,
        pc?.requests_by_http_version,
      ),
      requests_per_connection: { max: cc?.requests_per_connection?.max ?? 0 },
    },
    digest: {
      count: (cur.digest?.count ?? 0) - (prev.digest?.count ?? 0),
      bytes: (cur.digest?.bytes ?? 0) - (prev.digest?.bytes ?? 0),
      sha256_sum: hex((hexSum(cur.digest) - hexSum(prev.digest) + MOD) % MOD),
    },
    faults: subCounts(cur.faults, prev.faults),
  };
}

/**
 * One profile's stats summed over its interleaved blocks (each from
 * {@linkcode diffMockStats}). Exact for counts, connections opened and first
 * seen (with their HTTP version), and the digest.
 *
 * @example
 * ```ts
 * import { sumMockStats } from "./mock_stats.ts";
 * const b = { connections: { opened: 2 } };
 * sumMockStats([b, b]).connections?.opened; // 4
 * ```
 */
export function sumMockStats(blocks: readonly MockStats[]): MockStats {
  let opened = 0, seen = 0, maxPerConn = 0, total = 0, count = 0, bytes = 0;
  let sum = 0n;
  const byRoute: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byVersion: Record<string, number> = {};
  const reqByVersion: Record<string, number> = {};
  const faults: Record<string, number> = {};
  for (const b of blocks) {
    opened += b.connections?.opened ?? 0;
    seen += b.connections?.seen ?? 0;
    maxPerConn = Math.max(maxPerConn, b.connections?.requests_per_connection?.max ?? 0);
    addCounts(byVersion, b.connections?.by_http_version);
    addCounts(reqByVersion, b.connections?.requests_by_http_version);
    total += b.requests?.total ?? 0;
    addCounts(byRoute, b.requests?.by_route);
    addCounts(byStatus, b.requests?.by_status);
    addCounts(faults, b.faults);
    count += b.digest?.count ?? 0;
    bytes += b.digest?.bytes ?? 0;
    sum = (sum + hexSum(b.digest)) % MOD;
  }
  return {
    config: blocks[0]?.config ?? null,
    blocks: blocks.length,
    requests: { total, by_route: byRoute, by_status: byStatus },
    connections: {
      opened,
      seen,
      by_http_version: byVersion,
      requests_by_http_version: reqByVersion,
      requests_per_connection: { max: maxPerConn },
    },
    digest: { count, bytes, sha256_sum: hex(sum) },
    faults,
  };
}

function sameDigest(a: MockDigest | undefined, b: MockDigest | undefined): boolean {
  return a !== undefined && b !== undefined && a.count === b.count && a.bytes === b.bytes &&
    a.sha256_sum === b.sha256_sum;
}

/**
 * Whether two runs sent identical requests, by their server-side digests.
 * With per-block stats (interleaved runs, block j of each profile sent the
 * same request ids) the digests must also match block by block.
 *
 * @example
 * ```ts
 * import { requestConsistency } from "./mock_stats.ts";
 * const d = { digest: { count: 1, bytes: 10, sha256_sum: "ab" } };
 * requestConsistency(d, d).identical; // true
 * ```
 */
export function requestConsistency(
  a: MockStats | null,
  b: MockStats | null,
  blocks?: { baseline: readonly MockStats[]; optimized: readonly MockStats[] },
): RequestConsistency {
  const da = a?.digest;
  const db = b?.digest;
  const whole = { identical: sameDigest(da, db), baseline: da ?? null, optimized: db ?? null };
  if (blocks === undefined) return whole;
  const differing: number[] = [];
  const n = Math.max(blocks.baseline.length, blocks.optimized.length);
  for (let j = 0; j < n; j++) {
    if (!sameDigest(blocks.baseline[j]?.digest, blocks.optimized[j]?.digest)) differing.push(j);
  }
  return {
    ...whole,
    identical: whole.identical && differing.length === 0,
    blocks_differing: differing,
  };
}

/**
 * Builds an {@linkcode AttributionRun} from a mock `/stats` document plus
 * the client-side numbers. HTTP/2 connections are bounded by the mock's
 * `by_http_version` count; waiters on one connection by `maxInFlight` (the
 * concurrency) and the mock's most requests per connection.
 *
 * @throws {TypeError} when the document lacks the config or connection counts.
 *
 * @example
 * ```ts
 * import { attributionRunFromStats } from "./mock_stats.ts";
 * const stats = { config: { rttMs: 40, setupRtts: 3 }, connections: { opened: 1,
 *   by_http_version: { "HTTP/1.1": 0, "HTTP/2": 1 }, requests_per_connection: { max: 400 } } };
 * attributionRunFromStats("B", stats, { requests: 400, meanMs: 190, maxInFlight: 20 }).maxWaiters; // 20
 * ```
 */
export function attributionRunFromStats(
  name: string,
  stats: unknown,
  client: { requests: number; meanMs: number; maxInFlight: number | null },
): AttributionRun {
  const s = stats as {
    config?: { rttMs?: unknown; setupRtts?: unknown };
    connections?: {
      opened?: unknown;
      by_http_version?: Record<string, unknown>;
      requests_per_connection?: { max?: unknown };
    };
  } | null;
  const num = (v: unknown): number | null => typeof v === "number" && Number.isFinite(v) ? v : null;
  const rtt = num(s?.config?.rttMs);
  const rtts = num(s?.config?.setupRtts);
  const opened = num(s?.connections?.opened);
  if (rtt === null || rtts === null || opened === null) {
    throw new TypeError(
      `Cannot read the mock stats of "${name}": expected config.rttMs, config.setupRtts and connections.opened from the mock's /stats`,
    );
  }
  // No per-version counts: any opened connection may be HTTP/2 (the wider, safe range).
  const versions = s?.connections?.by_http_version;
  const h2Seen = versions ? num(versions["HTTP/2"]) ?? 0 : opened;
  const perConn = num(s?.connections?.requests_per_connection?.max);
  const bounds = [client.maxInFlight, perConn, client.requests].filter((v): v is number =>
    v !== null && v >= 1
  );
  return {
    name,
    requests: client.requests,
    meanMs: client.meanMs,
    opened,
    openedHttp2: Math.min(opened, Math.max(0, h2Seen)),
    maxWaiters: Math.max(1, Math.floor(Math.min(...bounds))),
    setupMs: rtt * rtts,
  };
}

/** One side of {@linkcode attributeFromMockStats}: a run's name, summary, stats and concurrency. */
export interface MockRunSide {
  name: string;
  summary: Pick<Summary, "successes" | "mean_ms">;
  /** The mock's `/stats` for this run. */
  stats: unknown;
  /** Most requests in flight at once (the concurrency), when known. */
  maxInFlight: number | null;
}

/**
 * The attribution of B − A to connection setup from the mock's stats of
 * both runs; `null` when a run has no successful request (no mean).
 *
 * @throws {TypeError} when a stats document lacks the connection counts.
 * @throws {RangeError} when a run's numbers are out of range.
 *
 * @example
 * ```ts
 * import { attributeFromMockStats } from "./mock_stats.ts";
 * const stats = (opened: number) => ({ config: { rttMs: 40, setupRtts: 3 }, connections: { opened } });
 * const side = (name: string, mean: number, opened: number) =>
 *   ({ name, summary: { successes: 400, mean_ms: mean }, stats: stats(opened), maxInFlight: 20 });
 * attributeFromMockStats(side("A", 200, 20), side("B", 194, 1))?.exact; // false
 * ```
 */
export function attributeFromMockStats(a: MockRunSide, b: MockRunSide): Attribution | null {
  const ma = a.summary.mean_ms;
  const mb = b.summary.mean_ms;
  if (ma === null || mb === null) return null;
  return attributeDifference(
    attributionRunFromStats(a.name, a.stats, {
      requests: a.summary.successes,
      meanMs: ma,
      maxInFlight: a.maxInFlight,
    }),
    attributionRunFromStats(b.name, b.stats, {
      requests: b.summary.successes,
      meanMs: mb,
      maxInFlight: b.maxInFlight,
    }),
  );
}

/** The mock stats of both runs of a suite report, as `compare --mock-stats` reads them. */
export interface MockStatsPair {
  a: unknown;
  b: unknown;
  /** The suite's concurrency, when known. */
  concurrency: number | null;
}

/**
 * The mock stats of a suite's `comparison_report.json`, or `null` when the
 * document has no `mock.baseline` and `mock.optimized`.
 *
 * @example
 * ```ts
 * import { mockStatsOfReport } from "./mock_stats.ts";
 * mockStatsOfReport({ mock: { baseline: {}, optimized: {} }, config: { concurrency: 20 } })?.concurrency; // 20
 * ```
 */
export function mockStatsOfReport(doc: unknown): MockStatsPair | null {
  const d = doc as {
    mock?: { baseline?: unknown; optimized?: unknown };
    config?: { concurrency?: unknown };
  } | null;
  if (!d?.mock?.baseline || !d.mock.optimized) return null;
  const c = d.config?.concurrency;
  return { a: d.mock.baseline, b: d.mock.optimized, concurrency: typeof c === "number" ? c : null };
}
