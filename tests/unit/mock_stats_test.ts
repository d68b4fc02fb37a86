import assert from "node:assert/strict";
import { attributeDifference } from "../../lib/stats/attribution.ts";
import {
  attributeFromMockStats,
  attributionRunFromStats,
  diffMockStats,
  type MockStats,
  mockStatsOfReport,
  openedConnections,
  requestConsistency,
  sumMockStats,
} from "../../lib/stats/mock_stats.ts";

const hex = (v: bigint) => v.toString(16).padStart(64, "0");
const TOP = (1n << 256n) - 5n; // near the modulus: the sums wrap

/** A cumulative snapshot after `n` requests on `opened` connections, digest sum `sum`. */
const snap = (n: number, opened: number, sum: bigint): MockStats => ({
  config: { rttMs: 40, setupRtts: 3 },
  requests: { total: n, by_route: { "/api": n }, by_status: { "200": n } },
  connections: {
    opened,
    seen: opened,
    by_http_version: { "HTTP/1.1": opened },
    requests_by_http_version: { "HTTP/1.1": n },
    requests_per_connection: { max: n },
  },
  digest: { count: n, bytes: 10 * n, sha256_sum: hex(sum) },
  faults: { stall: 0 },
});

Deno.test("diffMockStats() and sumMockStats() give back the whole run from its blocks", () => {
  const s0 = snap(0, 0, 0n);
  const s1 = snap(50, 20, TOP);
  const s2 = snap(100, 21, (TOP + 9n) % (1n << 256n));
  const blocks = [diffMockStats(s0, s1), diffMockStats(s1, s2)];
  assert.equal(blocks[1]!.requests!.total, 50);
  assert.equal(blocks[1]!.connections!.opened, 1);
  assert.equal(blocks[1]!.digest!.sha256_sum, hex(9n), "the digest difference wraps modulo 2^256");
  const sum = sumMockStats(blocks);
  assert.equal(sum.blocks, 2);
  assert.deepEqual(sum.requests, s2.requests);
  assert.equal(sum.connections!.opened, 21);
  assert.deepEqual(sum.connections!.by_http_version, { "HTTP/1.1": 21 });
  assert.deepEqual(sum.digest, s2.digest);
  assert.deepEqual(sum.config, s1.config);
});

Deno.test("requestConsistency() needs equal digests, and equal blocks when interleaved", () => {
  const a = snap(100, 20, 7n);
  assert.equal(requestConsistency(a, snap(100, 1, 7n)).identical, true);
  assert.equal(requestConsistency(a, snap(100, 1, 8n)).identical, false);
  assert.equal(requestConsistency(a, null).identical, false);
  // Same totals, but block 1 of each profile carried different requests.
  const blocks = {
    baseline: [snap(50, 1, 3n), snap(50, 1, 4n)],
    optimized: [snap(50, 1, 3n), snap(50, 1, 5n)],
  };
  const c = requestConsistency(a, snap(100, 1, 7n), blocks);
  assert.equal(c.identical, false);
  assert.deepEqual(c.blocks_differing, [1]);
  assert.equal(requestConsistency(a, a, { baseline: [], optimized: [] }).identical, true);
});

Deno.test("openedConnections() reads the count or says it is missing", () => {
  assert.equal(openedConnections(snap(1, 3, 0n)), 3);
  assert.equal(openedConnections({}), null);
  assert.equal(openedConnections(null), null);
});

Deno.test("attributeFromMockStats() is attributeDifference() over the mock's stats", () => {
  const side = (name: string, mean: number | null, opened: number) => ({
    name,
    summary: { successes: 400, mean_ms: mean },
    stats: snap(400, opened, 0n),
    maxInFlight: 20,
  });
  const got = attributeFromMockStats(side("A", 200, 20), side("B", 193, 1));
  const client = (meanMs: number) => ({ requests: 400, meanMs, maxInFlight: 20 });
  const want = attributeDifference(
    attributionRunFromStats("A", snap(400, 20, 0n), client(200)),
    attributionRunFromStats("B", snap(400, 1, 0n), client(193)),
  );
  assert.deepEqual(got, want);
  assert.deepEqual(got!.setup_delta_ms, { min: -2280, max: -2280 });
  assert.equal(attributeFromMockStats(side("A", null, 20), side("B", 193, 1)), null);
  assert.throws(
    () => attributeFromMockStats({ ...side("A", 200, 20), stats: {} }, side("B", 193, 1)),
    TypeError,
  );
});

Deno.test("mockStatsOfReport() reads a suite report's mock stats and concurrency", () => {
  const doc = { mock: { baseline: { a: 1 }, optimized: { b: 2 } }, config: { concurrency: 20 } };
  assert.deepEqual(mockStatsOfReport(doc), { a: { a: 1 }, b: { b: 2 }, concurrency: 20 });
  assert.equal(mockStatsOfReport({ mock: { baseline: {} }, config: {} }), null);
  assert.equal(mockStatsOfReport({ mock: { baseline: {}, optimized: {} } })?.concurrency, null);
  assert.equal(mockStatsOfReport(null), null);
});
