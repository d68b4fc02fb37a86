import assert from "node:assert/strict";
import { StartLagStats } from "../../lib/load/start_lag.ts";

Deno.test("StartLagStats summarizes exactly to the microsecond below 1 ms", () => {
  const s = new StartLagStats();
  for (let i = 1; i <= 100; i++) s.add(i / 1000); // 0.001 .. 0.100 ms
  assert.deepEqual(s.summary(), { count: 100, p50_ms: 0.05, p99_ms: 0.099, max_ms: 0.1 });
});

Deno.test("StartLagStats keeps 1.1% resolution above 1 ms and the exact maximum", () => {
  const s = new StartLagStats();
  for (let i = 0; i < 98; i++) s.add(0.002);
  s.add(7.3);
  s.add(250.123456);
  const sum = s.summary();
  assert.equal(sum.p50_ms, 0.002);
  const p99 = sum.p99_ms!;
  assert.ok(p99 >= 7.3 && p99 <= 7.3 * 1.016, `p99 ${p99}`);
  assert.equal(sum.max_ms, 250.123456);
  assert.equal(s.percentile(100), 250.123456);
});

Deno.test("StartLagStats counts a send a hair early as 0 and is empty without samples", () => {
  const s = new StartLagStats();
  assert.deepEqual(s.summary(), { count: 0, p50_ms: null, p99_ms: null, max_ms: null });
  s.add(-0.0004);
  assert.deepEqual(JSON.parse(JSON.stringify(s)), { count: 1, p50_ms: 0, p99_ms: 0, max_ms: 0 });
});
