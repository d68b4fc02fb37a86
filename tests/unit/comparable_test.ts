import assert from "node:assert/strict";
import { failedRunLine, requestDifferences } from "../../lib/cli/_comparable.ts";
import type { RunMeta } from "../../lib/records/run_meta.ts";

function meta(config: Record<string, unknown>): RunMeta {
  return {
    run_id: "r",
    config_digest: "0".repeat(64),
    worker: 0,
    workers: 1,
    tool: "tailgate 0.1.0",
    started_at: "2026-01-01T00:00:00Z",
    config,
  };
}

Deno.test("requestDifferences() names a different target, method or request digest", async (t) => {
  const base = { url: "http://127.0.0.2:8081/", method: "GET", request_digest: "a".repeat(64) };
  await t.step("same requests", () => {
    assert.deepEqual(requestDifferences(meta(base), meta({ ...base, client: "fast" })), []);
  });
  await t.step("target", () => {
    assert.deepEqual(
      requestDifferences(meta(base), meta({ ...base, url: "http://127.0.0.1:1/api" })),
      [
        "the targets differ: A http://127.0.0.2:8081/, B http://127.0.0.1:1/api",
      ],
    );
  });
  await t.step("method", () => {
    assert.match(
      requestDifferences(meta(base), meta({ ...base, method: "POST" }))[0]!,
      /methods differ/,
    );
  });
  await t.step("digest", () => {
    assert.match(
      requestDifferences(meta(base), meta({ ...base, request_digest: "b".repeat(64) }))[0]!,
      /requests differ \(headers or body\)/,
    );
  });
  await t.step("a sidecar missing: nothing to check", () => {
    assert.deepEqual(requestDifferences(null, meta(base)), []);
  });
});

Deno.test("failedRunLine() names each run with no success, and nothing when both have some", () => {
  const ok = { count: 100, successes: 100, error_kinds: {} };
  const bad = { count: 100, successes: 0, error_kinds: { connect_refused: 100 } };
  assert.equal(failedRunLine(["A", "a.csv"], ok, ["B", "b.csv"], ok), null);
  assert.equal(
    failedRunLine(["A", "a.csv"], ok, ["B", "b.csv"], bad),
    "Run B (b.csv) failed: none of its 100 requests succeeded (connect_refused 100); no latency or throughput verdict",
  );
  assert.match(failedRunLine(["A", "a.csv"], bad, ["B", "b.csv"], bad)!, /^Run A .*; Run B /);
});
