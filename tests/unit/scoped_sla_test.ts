import assert from "node:assert/strict";
import type { RequestRecord } from "../../lib/record.ts";
import { okRecord } from "../_record.ts";
import { TargetBuilders } from "../../lib/stats/by_target.ts";
import {
  checkScopes,
  evaluateScoped,
  judgedOf,
  parseScopedRule,
} from "../../lib/stats/scoped_sla.ts";
import { parseSlaRule } from "../../lib/stats/sla.ts";
import { SummaryBuilder } from "../../lib/stats/summary.ts";

/** A successful record of `target`, started at 1000 + id. */
function rec(id: number, target: string, latencyMs: number): RequestRecord {
  return okRecord(id, 1000 + id, latencyMs, { bytes: 2, target });
}

Deno.test("parseScopedRule() splits the scope off and hands the rest to the rule parser", () => {
  const r = parseScopedRule("infer:p95<=800ms");
  assert.equal(r.scope, "infer");
  assert.equal(r.text, "infer:p95<=800ms");
  const plain = parseSlaRule("p95<=800ms");
  assert.deepEqual({ ...r, scope: undefined, text: plain.text }, { ...plain, scope: undefined });
  assert.equal(parseScopedRule("p95<=800ms").scope, null);
  assert.equal(parseScopedRule("GET /health : error_rate<1%").scope, "GET /health");
});

Deno.test("parseScopedRule() reports the rule parser's own error for the rule part, and an empty scope", () => {
  assert.throws(() => parseScopedRule("infer:p95<=800xs"), /"800xs" is not a duration/);
  assert.throws(() => parseScopedRule(":p95<=1s"), /nothing before ":"/);
});

Deno.test("checkScopes() names an unknown scope and lists the targets", () => {
  assert.throws(
    () => checkScopes([parseScopedRule("infr:p95<=1s")], ["infer", "health"]),
    (e) =>
      e instanceof RangeError && /names no target "infr"/.test(e.message) &&
      /"infer", "health"/.test(e.message),
  );
  assert.throws(() => checkScopes([parseScopedRule("a:p95<=1s")], []), /no --targets file/);
  checkScopes([parseScopedRule("p95<=1s"), parseScopedRule("infer:p95<=1s")], ["infer"]);
});

Deno.test("evaluateScoped() judges a scoped rule on its target alone, a plain rule pooled", () => {
  // 90 fast requests at 1 ms, 10 slow at 100 ms: pooled p50 is 1 ms, slow's p50 is 100 ms.
  const records = [
    ...Array.from({ length: 90 }, (_, i) => rec(i, "fast", 1)),
    ...Array.from({ length: 10 }, (_, i) => rec(90 + i, "slow", 100)),
  ];
  const pooled = new SummaryBuilder();
  const by = new TargetBuilders(["fast", "slow"]);
  for (const r of records) {
    pooled.add(r);
    by.add(r);
  }
  const rules = ["p50<=50ms", "slow:p50<=50ms", "fast:p50<=50ms"].map(parseScopedRule);
  const results = evaluateScoped(rules, { summary: pooled.summary() }, (name) => {
    const b = by.builder(name);
    return b && { summary: b.summary(), sorted: b.sortedLatencies() };
  }, "off");
  assert.deepEqual(results.map((r) => [r.rule, r.target, r.verdict, r.value]), [
    ["p50<=50ms", null, "pass", 1],
    ["slow:p50<=50ms", "slow", "fail", 100],
    ["fast:p50<=50ms", "fast", "pass", 1],
  ]);
});

Deno.test("evaluateScoped() gives no verdict for a target that sent nothing", () => {
  const empty = new SummaryBuilder().summary();
  const [r] = evaluateScoped(
    [parseScopedRule("idle:p95<=1s")],
    { summary: empty },
    () => undefined,
  );
  assert.equal(r?.verdict, "inconclusive");
});

Deno.test("evaluateScoped() judges a scoped phase rule on its target's phase alone", () => {
  // infer streams its first token at 300 ms, health answers at once: pooled first_body P50 is
  // health's 1 ms, infer's is 300 ms; the phase is no data where a request has none.
  const records = [
    ...Array.from({ length: 60 }, (_, i) => ({ ...rec(i, "health", 1), firstBodyMs: 1 })),
    ...Array.from({ length: 40 }, (_, i) => ({ ...rec(60 + i, "infer", 400), firstBodyMs: 300 })),
    ...Array.from({ length: 5 }, (_, i) => rec(100 + i, "infer", 400)),
  ];
  const pooled = new SummaryBuilder();
  const by = new TargetBuilders(["health", "infer"]);
  for (const r of records) {
    pooled.add(r);
    by.add(r);
  }
  const rules = ["first_body.p50<=50ms", "infer:first_body.p50<=50ms", "infer:ttft.p50<=500ms"]
    .map(parseScopedRule);
  const results = evaluateScoped(
    rules,
    { summary: pooled.summary(), phases: pooled.phases },
    (n) => {
      const b = by.builder(n);
      return b && { summary: b.summary(), sorted: b.sortedLatencies(), phases: b.phases };
    },
    "off",
  );
  assert.deepEqual(results.map((r) => [r.target, r.verdict, r.value]), [
    [null, "pass", 1],
    ["infer", "fail", 300],
    ["infer", "pass", 300],
  ]);
});

Deno.test("evaluateScoped() judges any percentile of a target that sent nothing as no data", () => {
  const pooled = new SummaryBuilder();
  const [r] = evaluateScoped(
    [parseScopedRule("a:p97<=1s")],
    judgedOf(pooled),
    () => undefined,
    0.95,
  );
  assert.equal(r?.target, "a");
  assert.equal(r?.verdict, "inconclusive");
  assert.equal(r?.value, null);
});
