import assert from "node:assert/strict";
import {
  connectionsOpened,
  hasSetupPhases,
  setupOf,
  splitSetup,
} from "../../lib/stats/setup_split.ts";
import { createRng } from "../../lib/rng.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { computeLadder } from "../../lib/stats/ladder.ts";
import { formatLadder } from "../../lib/report/text.ts";
import { okRecord } from "../_record.ts";

/**
 * A run of 400 requests with the same seeded service times: `opens(i)` says
 * whether request i opened a connection, which costs 3 ms connect + 30 ms TLS.
 */
function run(seed: number, opens: (i: number) => boolean): RequestRecord[] {
  const rng = createRng(seed);
  let conn = 0;
  return Array.from({ length: 400 }, (_, i) => {
    const service = 100 * Math.exp(0.3 * rng.normal());
    const open = opens(i);
    if (open) conn++;
    return okRecord(i, 1000 + i * 5, service + (open ? 33 : 0), {
      connectMs: open ? 3 : null,
      tlsMs: open ? 30 : null,
      conn: open ? conn : Math.max(1, conn),
    });
  });
}

Deno.test("setupOf() adds connect and TLS, an empty phase being no setup", () => {
  assert.equal(setupOf({ connectMs: 2, tlsMs: 5 }), 7);
  assert.equal(setupOf({ connectMs: 2, tlsMs: null }), 2);
  assert.equal(setupOf({ connectMs: null, tlsMs: null }), 0);
});

Deno.test("splitSetup() splits the mean exactly: setup part = the runs' mean setup difference", () => {
  const a = run(1, () => true); // no reuse: every request opens a connection
  const b = run(2, (i) => i % 10 === 0); // a pool: one in ten
  const split = splitSetup({ name: "no-reuse", records: a }, { name: "pool", records: b }, {
    resamples: 300,
  })!;
  const mean = split.metrics.find((m) => m.metric === "mean")!;
  assert.ok(Math.abs(mean.setup.delta_ms - (3.3 - 33)) < 1e-9, String(mean.setup.delta_ms));
  assert.ok(Math.abs(split.setup_mean_ms.a - 33) < 1e-9);
  assert.ok(Math.abs(split.setup_mean_ms.b - 3.3) < 1e-9);
  assert.deepEqual(split.with_setup, { a: 400, b: 40 });
  for (const m of split.metrics) {
    assert.ok(
      Math.abs(m.total.delta_ms - (m.setup.delta_ms + m.rest.delta_ms)) < 1e-9,
      `${m.metric}: total = setup + rest`,
    );
    for (const part of [m.total, m.setup, m.rest]) {
      assert.ok(part.ci_ms[0] <= part.delta_ms && part.delta_ms <= part.ci_ms[1], m.metric);
    }
  }
});

Deno.test("splitSetup() puts a difference made only of setup in the setup part, at P50 and P95", () => {
  // Same service times in both runs (same seed); A pays 33 ms on every request, B on none.
  const a = run(7, () => true);
  const b = run(7, () => false).map((r) => ({ ...r, conn: 1 }));
  const split = splitSetup({ name: "a", records: a }, { name: "b", records: b }, {
    resamples: 300,
  })!;
  for (const metric of ["p50", "p95"] as const) {
    const m = split.metrics.find((x) => x.metric === metric)!;
    assert.ok(Math.abs(m.total.delta_ms + 33) < 1e-9, `${metric} total ${m.total.delta_ms}`);
    assert.ok(Math.abs(m.setup.delta_ms + 33) < 1e-9, `${metric} setup ${m.setup.delta_ms}`);
    assert.ok(Math.abs(m.rest.delta_ms) < 1e-9, `${metric} rest ${m.rest.delta_ms}`);
    assert.ok(m.setup.ci_ms[1] < 0, `${metric}: setup interval below 0`);
  }
});

Deno.test("splitSetup() finds a difference in the rest when setup is the same", () => {
  const a = run(3, (i) => i % 20 === 0);
  const b = run(3, (i) => i % 20 === 0).map((r) => ({ ...r, latencyMs: r.latencyMs - 20 }));
  const split = splitSetup({ name: "a", records: a }, { name: "b", records: b }, {
    resamples: 300,
  })!;
  const p95 = split.metrics.find((m) => m.metric === "p95")!;
  assert.ok(Math.abs(p95.rest.delta_ms + 20) < 1.5, String(p95.rest.delta_ms));
  assert.ok(p95.rest.ci_ms[1] < 0);
  assert.ok(p95.setup.ci_ms[0] <= 0 && p95.setup.ci_ms[1] >= 0, "setup explains none of it");
});

Deno.test("splitSetup() is null without phases or with too few requests, and reproducible by seed", () => {
  const plain = Array.from({ length: 50 }, (_, i) => okRecord(i, i, 10));
  const phased = run(1, () => true);
  assert.equal(hasSetupPhases(plain), false);
  assert.equal(splitSetup({ name: "a", records: plain }, { name: "b", records: phased }), null);
  assert.equal(
    splitSetup({ name: "a", records: phased.slice(0, 1) }, { name: "b", records: phased }),
    null,
  );
  const opts = { resamples: 200, seed: 9 };
  assert.deepEqual(
    splitSetup({ name: "a", records: phased }, { name: "b", records: run(2, () => false) }, opts),
    splitSetup({ name: "a", records: phased }, { name: "b", records: run(2, () => false) }, opts),
  );
});

Deno.test("connectionsOpened() counts distinct connection numbers per worker, null when unknown", () => {
  const r = (worker: number, conn: number | null) => okRecord(0, 0, 1, { worker, conn });
  assert.equal(connectionsOpened([r(0, 1), r(0, 1), r(0, 2), r(1, 1)]), 3);
  assert.equal(connectionsOpened([r(0, null)]), null);
  assert.equal(connectionsOpened(run(1, (i) => i % 10 === 0)), 40);
});

Deno.test("computeLadder() splits each step by the client's phases and formatLadder() prints it", () => {
  const rungs = [
    { name: "no-reuse", records: run(5, () => true) },
    { name: "small-pool", records: run(5, (i) => i % 10 === 0) },
    { name: "plain", records: run(5, () => false).map((r) => ({ ...r, conn: null })) },
  ];
  const ladder = computeLadder(rungs, {
    rules: [],
    confidence: 0.95,
    bootstrap: { resamples: 200 },
    interleaveBlock: 50,
  });
  const split = ladder.steps[0]!.setup_split!;
  assert.equal(split.from, "no-reuse");
  assert.equal(split.block_length.a, 50, "the step's block length");
  const mean = split.metrics.find((m) => m.metric === "mean")!;
  assert.ok(Math.abs(mean.setup.delta_ms - (3.3 - 33)) < 1e-9);
  assert.equal(ladder.steps[1]!.setup_split, null, "a rung without phases: no split");
  const text = formatLadder(ladder, { settings: ["", "", ""], connections: [400, 40, null] }, {
    color: false,
  });
  assert.match(
    text,
    /^no-reuse -> small-pool, split by the client's connect and TLS times \(95% CI; requests that paid setup 400\/400 -> 40\/400\):$/m,
  );
  assert.match(text, /^ {2}mean {2}-\S+ = connection setup -29\.7ms \[/m);
});
