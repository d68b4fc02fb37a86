import assert from "node:assert/strict";
import { evaluateSla, parseSlaRule, slaExitCode } from "../../lib/stats/sla.ts";
import { SummaryBuilder } from "../../lib/stats/summary.ts";
import { PhaseBuilder, phaseSeries } from "../../lib/stats/phase_summary.ts";
import { formatRuleTable, formatSummary } from "../../lib/report/text.ts";
import { slaSentence } from "../../lib/report/verdict.ts";
import { okRecord } from "../_record.ts";

/** 200 successful requests: first body at 100 + i/2 ms, headers at 1 ms; every 20th opened a connection. */
function streamed(over: (i: number) => Partial<Parameters<typeof okRecord>[3]> = () => ({})) {
  return Array.from({ length: 200 }, (_, i) =>
    okRecord(i, 1000 + i, 150 + i, {
      ttfbMs: 1,
      firstBodyMs: 100 + i / 2,
      connectMs: i % 20 === 0 ? 0.5 : null,
      conn: 1 + Math.floor(i / 20),
      ...over(i),
    }));
}

function built(records: ReturnType<typeof streamed>): SummaryBuilder {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b;
}

Deno.test("parseSlaRule() reads a phase prefix, with ttft as first_body", () => {
  const cases: [string, string, number, number][] = [
    ["ttfb.p95<=300ms", "ttfb", 95, 300],
    ["first_body.p95<=500ms", "first_body", 95, 500],
    ["ttft.p95<=0.5s", "first_body", 95, 500],
    ["connect.p99<=50ms", "connect", 99, 50],
    ["tls.p99<=80ms", "tls", 99, 80],
    ["TTFB.p(99.9) <= 1s", "ttfb", 99.9, 1000],
    ["ttfb.med<=10ms", "ttfb", 50, 10],
  ];
  for (const [text, phase, quantile, limit] of cases) {
    const r = parseSlaRule(text);
    assert.equal(r.phase, phase, text);
    assert.equal(r.quantile, quantile, text);
    assert.equal(r.limit, limit, text);
    assert.equal(r.kind, "latency", text);
  }
  assert.equal(parseSlaRule("p95<=800ms").phase, null, "plain p95 is the total");
  assert.equal(parseSlaRule("p99.9<=2s").phase, null, "p99.9 is not a phase");
});

Deno.test("parseSlaRule() names the known phases and refuses non-percentile phase rules", () => {
  assert.throws(
    () => parseSlaRule("dns.p95<=5ms"),
    (e: Error) =>
      e instanceof SyntaxError && e.message.includes('unknown phase "dns"') &&
      e.message.includes("connect, tls, ttfb, first_body (or ttft)") && !e.message.includes("\n"),
  );
  for (const text of ["ttfb.mean<=5ms", "tls.max<1s", "connect.error_rate<1%"]) {
    assert.throws(
      () => parseSlaRule(text),
      (e: Error) => e instanceof SyntaxError && e.message.includes("takes a percentile"),
      text,
    );
  }
});

Deno.test("a phase rule is judged on the requests that have the phase, with confidence bounds", () => {
  const b = built(streamed());
  const summary = b.summary();
  const pass = evaluateSla(
    parseSlaRule("first_body.p95<=2s"),
    summary,
    b.sortedLatencies(),
    0.95,
    b.phases,
  );
  assert.equal(pass.verdict, "pass");
  assert.equal(pass.phase, "first_body");
  assert.equal(pass.value, 100 + 189 / 2); // nearest rank 190 of 200
  assert.equal(pass.confidence?.n, 200);
  const fail = evaluateSla(
    parseSlaRule("ttft.p95<=50ms"),
    summary,
    b.sortedLatencies(),
    0.95,
    b.phases,
  );
  assert.equal(fail.verdict, "fail");
  // connect: only the 10 requests that opened a connection; n counts them, not 200 zeros.
  const connect = evaluateSla(
    parseSlaRule("connect.p50<=1ms"),
    summary,
    b.sortedLatencies(),
    "off",
    b.phases,
  );
  assert.equal(connect.value, 0.5);
  assert.equal(connect.verdict, "pass");
  const c95 = evaluateSla(parseSlaRule("connect.p99<=1ms"), summary, undefined, 0.95, b.phases);
  assert.equal(c95.confidence?.n, 10);
  assert.equal(c95.verdict, "inconclusive", "10 samples cannot bound a P99");
  // The plain rule stays the total latency.
  const total = evaluateSla(parseSlaRule("p95<=300ms"), summary, b.sortedLatencies(), "off");
  assert.equal(total.value, 150 + 189);
  assert.equal(total.phase, undefined);
});

Deno.test("a phase no request has is inconclusive (exit 3) with one line saying why", () => {
  const b = built(streamed());
  const r = evaluateSla(parseSlaRule("tls.p95<=80ms"), b.summary(), undefined, 0.95, b.phases);
  assert.equal(r.verdict, "inconclusive");
  assert.equal(r.value, null);
  assert.match(r.note ?? "", /no request of the run has a tls phase: .*plain http:\/\//);
  assert.equal(slaExitCode([r]), 3);
  const table = formatRuleTable([r], { color: false });
  assert.ok(table.split("\n").some((l) => l.startsWith("tls.p95<=80ms: no request")), table);
  assert.match(slaSentence(r, "run"), /^INCONCLUSIVE {2}tls\.p95<=80ms on run: no request/);
  // A fetch profile reads a small body with a Content-Length whole: the note says so.
  const whole = built(streamed(() => ({ firstBodyMs: null })));
  const fb = evaluateSla(
    parseSlaRule("first_body.p95<=1s"),
    whole.summary(),
    undefined,
    0.95,
    whole.phases,
  );
  assert.equal(fb.verdict, "inconclusive");
  assert.match(fb.note ?? "", /fetch profiles time it only for streamed bodies.*fast and fast-h2/);
});

Deno.test("phase values of failed and warm-up requests are not counted", () => {
  const records = streamed((i) =>
    i < 50 ? { status: 500, error: "http_5xx" } : i < 60 ? { warmup: true } : {}
  );
  const b = new PhaseBuilder();
  for (const r of records) b.add(r);
  assert.equal(b.summary().first_body?.count, 140);
  assert.equal(built(records).summary().phases?.first_body?.count, 140);
  assert.equal(phaseSeries(records, "ttfb").length, 140);
});

Deno.test("the summary shows P50/P95/P99 only for the phases the run has", () => {
  const s = built(streamed()).summary();
  assert.deepEqual(Object.keys(s.phases ?? {}), ["connect", "ttfb", "first_body"]);
  assert.deepEqual(s.phases?.first_body, {
    count: 200,
    p50_ms: 100 + 99 / 2,
    p95_ms: 100 + 189 / 2,
    p99_ms: 100 + 197 / 2,
  });
  const text = formatSummary("run", s, { color: false });
  assert.match(text, /^first_body\s+200\s+150ms\s+195ms\s+199ms$/m);
  assert.doesNotMatch(text, /^tls/m);
  const none = built(Array.from({ length: 5 }, (_, i) => okRecord(i, i, 10))).summary();
  assert.equal(none.phases, undefined, "no phase: no key");
  assert.doesNotMatch(formatSummary("run", none, { color: false }), /phase/);
});

Deno.test("past 65,536 values a phase keeps counts per microsecond, with the same nearest-rank percentiles", () => {
  const b = new PhaseBuilder();
  const values: number[] = [];
  let x = 1;
  for (let i = 0; i < 200_000; i++) {
    x = (x * 48271) % 2147483647; // a seeded spread over 0–400 ms, microsecond values
    const v = (x % 400_000) / 1000 + (i % 3 === 0 ? 2000 : 0);
    values.push(v);
    b.add(okRecord(i, i, 500, { firstBodyMs: v }));
  }
  values.sort((p, q) => p - q);
  const sorted = b.sorted("first_body");
  assert.equal(sorted.length, 200_000);
  for (const rank of [0, 1, 99_999, 190_000, 199_999]) assert.equal(sorted[rank], values[rank]);
  const stats = b.summary().first_body!;
  assert.equal(stats.count, 200_000);
  assert.equal(stats.p50_ms, values[99_999]);
  assert.equal(stats.p95_ms, values[189_999]);
  assert.equal(stats.p99_ms, values[197_999]);
  const rule = evaluateSla(parseSlaRule("ttft.p95<=3s"), built([]).summary(), undefined, 0.95, b);
  assert.equal(rule.verdict, "pass");
  assert.equal(rule.confidence?.n, 200_000);
});
