import assert from "node:assert/strict";
import {
  attributeDifference,
  type AttributionRun,
  maxInFlight,
} from "../../lib/stats/attribution.ts";
import { attributionRunFromStats } from "../../lib/stats/mock_stats.ts";

const run = (over: Partial<AttributionRun>): AttributionRun => ({
  name: "A",
  requests: 400,
  meanMs: 200,
  opened: 20,
  openedHttp2: 0,
  maxWaiters: 20,
  setupMs: 120,
  ...over,
});

Deno.test("attributeDifference() charges HTTP/1.1 setup exactly and splits off the rest", () => {
  // B opens 19 fewer HTTP/1.1 connections and is 7 ms faster on average:
  // 400 × 7 = 2800 ms less total time, 19 × 120 = 2280 ms of it from setup.
  const attr = attributeDifference(
    run({ name: "A" }),
    run({ name: "B", meanMs: 193, opened: 1 }),
  );
  assert.equal(attr.mean_delta_ms, -7);
  assert.equal(attr.total_delta_ms, -2800);
  assert.deepEqual(attr.baseline.setup_paid_ms, { min: 2400, max: 2400 });
  assert.deepEqual(attr.candidate.setup_paid_ms, { min: 120, max: 120 });
  assert.deepEqual(attr.setup_delta_ms, { min: -2280, max: -2280 });
  assert.deepEqual(attr.other_delta_ms, { min: -520, max: -520 });
  assert.ok(attr.exact);
  assert.ok(Math.abs(attr.setup_share!.min - 2280 / 2800) < 1e-12);
  assert.equal(attr.share_note, null);
});

Deno.test("attributeDifference() gives a range when an HTTP/2 connection can have many waiters", () => {
  // One HTTP/2 connection: between 1 and 20 requests waited for its 120 ms setup.
  const attr = attributeDifference(
    run({ name: "A" }),
    run({ name: "B", meanMs: 200, opened: 1, openedHttp2: 1 }),
  );
  assert.deepEqual(attr.candidate.setup_paid_ms, { min: 120, max: 2400 });
  assert.deepEqual(attr.setup_delta_ms, { min: -2280, max: 0 });
  assert.deepEqual(attr.other_delta_ms, { min: 0, max: 2280 });
  assert.equal(attr.exact, false);
  assert.equal(attr.total_delta_ms, 0);
  assert.equal(attr.setup_share, null, "no share of a zero difference");
  assert.match(attr.notes.join(" "), /range/);
});

Deno.test("attributeDifference() scales runs of different sizes to the candidate's count", () => {
  // A: 200 requests, 2400 ms of setup = 12 ms per request; B: 400 requests, none opened.
  const attr = attributeDifference(
    run({ name: "A", requests: 200, meanMs: 220 }),
    run({ name: "B", requests: 400, meanMs: 208, opened: 0 }),
  );
  assert.equal(attr.requests, 400);
  assert.equal(attr.total_delta_ms, -12 * 400);
  assert.deepEqual(attr.setup_delta_ms, { min: -4800, max: -4800 });
  assert.deepEqual(attr.other_delta_ms, { min: 0, max: 0 });
});

Deno.test("attributeDifference() says so when setup predicts the wrong direction", () => {
  // Setup saves 2280 ms, but B is slower overall.
  const attr = attributeDifference(run({}), run({ name: "B", meanMs: 201, opened: 1 }));
  assert.ok(attr.setup_share!.max < 0);
  assert.match(attr.share_note!, /outside 0–100%/);
  assert.deepEqual(attr.other_delta_ms, { min: 2680, max: 2680 });
});

Deno.test("attributeDifference() rejects out-of-range runs", () => {
  assert.throws(() => attributeDifference(run({ requests: 0 }), run({})), RangeError);
  assert.throws(() => attributeDifference(run({ openedHttp2: 21 }), run({})), RangeError);
  assert.throws(() => attributeDifference(run({}), run({ maxWaiters: 0 })), RangeError);
});

Deno.test("attributionRunFromStats() reads the mock's /stats and bounds the waiters", () => {
  const stats = {
    config: { rttMs: 40, setupRtts: 3 },
    connections: {
      opened: 1,
      by_http_version: { "HTTP/1.1": 0, "HTTP/2": 1 },
      requests_per_connection: { max: 400 },
    },
  };
  const r = attributionRunFromStats("B", stats, { requests: 400, meanMs: 190, maxInFlight: 20 });
  assert.deepEqual(r, {
    name: "B",
    requests: 400,
    meanMs: 190,
    opened: 1,
    openedHttp2: 1,
    maxWaiters: 20,
    setupMs: 120,
  });
  // Without the client's concurrency, the mock's most requests per connection bound it.
  const loose = attributionRunFromStats("B", stats, {
    requests: 400,
    meanMs: 190,
    maxInFlight: null,
  });
  assert.equal(loose.maxWaiters, 400);
  // Without per-version counts every opened connection may be HTTP/2 (the safe, wider range).
  const noVersions = attributionRunFromStats("A", {
    config: { rttMs: 10, setupRtts: 2 },
    connections: { opened: 5 },
  }, { requests: 50, meanMs: 30, maxInFlight: 4 });
  assert.equal(noVersions.openedHttp2, 5);
  assert.equal(noVersions.setupMs, 20);
  assert.throws(
    () =>
      attributionRunFromStats("A", { connections: {} }, { requests: 1, meanMs: 1, maxInFlight: 1 }),
    TypeError,
  );
});

Deno.test("maxInFlight() counts overlapping requests, touching ends not overlapping", () => {
  assert.equal(maxInFlight([], []), 0);
  assert.equal(maxInFlight([0, 1, 5], [3, 3, 1]), 2);
  assert.equal(maxInFlight([0, 10, 20], [10, 10, 10]), 1);
  assert.equal(maxInFlight([5, 0, 0, 0], [1, 10, 10, 10]), 4);
});
