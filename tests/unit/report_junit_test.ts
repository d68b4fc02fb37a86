import assert from "node:assert/strict";
import { blockBootstrapCompare } from "../../lib/stats/bootstrap.ts";
import { slaVerdict } from "../../lib/stats/confidence.ts";
import {
  type JunitComparisonCase,
  type JunitSlaCase,
  renderJunitReport,
} from "../../lib/report/junit.ts";
import { assertWellFormed } from "../_xml.ts";

const xs = Array.from({ length: 200 }, (_, i) => i + 1); // P95 = 190, bounds [185, 196]
const sla = (rule: string, limit: number, n = 200): JunitSlaCase => ({
  rule,
  run: "optimized",
  ...slaVerdict(xs.slice(0, n), { quantile: 95, op: "<=", limit }, 0.95),
});

function comparison(shift: number): JunitComparisonCase {
  const a = Array.from({ length: 300 }, (_, i) => 100 + ((i * 37) % 50));
  const b = a.map((x) => x + shift);
  return {
    ...blockBootstrapCompare(a, b, { resamples: 200 }),
    baseline: "base<1>",
    candidate: "opt&2",
  };
}

Deno.test("renderJunitReport() maps pass, fail and inconclusive SLA verdicts", () => {
  const xml = renderJunitReport({
    timestamp: "2026-11-26T10:00:00Z",
    sla: [
      sla("p95<=200ms", 200),
      sla("p95<=150ms", 150),
      sla("p95<=190ms", 190),
      sla("p95<=1s", 1000, 20),
    ],
  });
  assertWellFormed(xml);
  assert.match(
    xml,
    /<testsuites name="tailgate" tests="4" failures="1" errors="0" skipped="2" time="0">/,
  );
  assert.match(
    xml,
    /<testsuite name="tailgate SLA" tests="4" failures="1" errors="0" skipped="2" time="0" timestamp="2026-11-26T10:00:00Z">/,
  );
  const cases = xml.split("<testcase").slice(1);
  assert.equal(cases.length, 4);
  assert.match(cases[0]!, /name="p95&lt;=200ms"/);
  assert.doesNotMatch(cases[0]!, /<failure|<skipped/);
  assert.match(
    cases[1]!,
    /<failure type="sla_fail" message="p95&lt;=150ms failed: point 190 ms, lower bound 185 ms/,
  );
  assert.match(
    cases[2]!,
    /<skipped message="p95&lt;=190ms inconclusive: the limit lies between the confidence bounds/,
  );
  assert.match(
    cases[3]!,
    /<skipped message="p95&lt;=1s inconclusive: too few samples for a bound: 20 measured, 59 needed/,
  );
});

Deno.test("renderJunitReport() makes a regression a failure and escapes names", () => {
  const xml = renderJunitReport({ comparisons: [comparison(-30), comparison(0), comparison(30)] });
  assertWellFormed(xml);
  const cases = xml.split("<testcase").slice(1);
  assert.equal(cases.length, 3);
  assert.match(cases[0]!, /classname="tailgate.compare" name="opt&amp;2 vs base&lt;1&gt; \(p95\)"/);
  assert.doesNotMatch(cases[0]!, /<failure/);
  assert.match(cases[0]!, /on p95: improved/);
  assert.doesNotMatch(cases[1]!, /<failure/);
  assert.match(cases[1]!, /no significant difference/);
  assert.match(
    cases[2]!,
    /<failure type="regressed" message="opt&amp;2 vs base&lt;1&gt; on p95: regressed/,
  );
  assert.match(cases[2]!, /mean: /);
  assert.match(xml, /<testsuites name="tailgate" tests="3" failures="1" errors="0" skipped="0"/);
  const lenient = renderJunitReport({ comparisons: [comparison(30)], regressionIsFailure: false });
  assert.doesNotMatch(lenient, /<failure/);
});

Deno.test("renderJunitReport() writes an empty but valid document without cases", () => {
  const xml = renderJunitReport({});
  assertWellFormed(xml);
  assert.match(xml, /tests="0" failures="0"/);
});
