import assert from "node:assert/strict";
import { MOCK_SCENARIOS, SCENARIO_NAMES, scenarioConfig } from "../../mock/scenarios.ts";
import { DEFAULT_MOCK_CONFIG, mockConfigFromFlags } from "../../mock/app.ts";

Deno.test("scenarioConfig() returns a preset's network fields and names the known ones otherwise", () => {
  assert.deepEqual(scenarioConfig("same-region"), { rttMs: 2, setupRtts: 2 });
  assert.deepEqual(scenarioConfig("cross-region"), { rttMs: 80, setupRtts: 2 });
  assert.deepEqual(scenarioConfig("cross-region-tls12"), { rttMs: 80, setupRtts: 3 });
  assert.throws(
    () => scenarioConfig("moon"),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message === `Unknown scenario "moon": use one of ${SCENARIO_NAMES.join(", ")}`,
  );
  assert.throws(() => scenarioConfig("toString"), TypeError, "no inherited names");
});

Deno.test("scenarios set only the network, and `default` is the mock's defaults", () => {
  const d = scenarioConfig("default");
  assert.equal(d.rttMs, DEFAULT_MOCK_CONFIG.rttMs);
  assert.equal(d.setupRtts, DEFAULT_MOCK_CONFIG.setupRtts);
  for (const [name, s] of Object.entries(MOCK_SCENARIOS)) {
    assert.deepEqual(Object.keys(s.config).sort(), ["rttMs", "setupRtts"], name);
    assert.ok(s.source.length > 0 && s.summary.length > 0, name);
  }
});

Deno.test("mockConfigFromFlags() starts from a scenario and lets explicit flags override it", () => {
  const c = mockConfigFromFlags({}, scenarioConfig("cross-region"));
  assert.equal(c.rttMs, 80);
  assert.equal(c.setupRtts, 2);
  assert.equal(c.serviceMedianMs, DEFAULT_MOCK_CONFIG.serviceMedianMs, "service time untouched");
  const o = mockConfigFromFlags({ "setup-rtts": "4" }, scenarioConfig("cross-region"));
  assert.equal(o.rttMs, 80);
  assert.equal(o.setupRtts, 4);
});
