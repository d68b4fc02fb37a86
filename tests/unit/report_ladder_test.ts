import assert from "node:assert/strict";
import { type HtmlLadder, renderHtmlReport } from "../../lib/report/html.ts";
import { formatLadder } from "../../lib/report/text.ts";
import { computeLadder } from "../../lib/stats/ladder.ts";
import { parseSlaRule } from "../../lib/stats/sla.ts";
import type { RequestRecord } from "../../lib/record.ts";
import { reportInput } from "../_report_fixture.ts";
import { okRecord } from "../_record.ts";

const rec = (id: number, latencyMs: number): RequestRecord => okRecord(id, id, latencyMs);

function ladderOf(bases: number[]) {
  return computeLadder(
    bases.map((base, k) => ({
      name: `r${k}`,
      records: Array.from({ length: 200 }, (_, i) => rec(i, base + ((i * 37) % 50))),
    })),
    { rules: [parseSlaRule("p95<=800ms")], confidence: 0.95, bootstrap: { resamples: 200 } },
  );
}

const LADDER: HtmlLadder = {
  rungs: [
    {
      name: "no-reuse",
      settings: "fast, a new connection per request",
      connections: 400,
      p50Ms: 300,
      p95Ms: 430,
      p95LowerMs: 400,
      p95UpperMs: 530,
      slaVerdict: "pass",
    },
    {
      name: "http2",
      settings: "fast-h2, one connection",
      connections: 1,
      p50Ms: 180,
      p95Ms: 900,
      p95LowerMs: 850,
      p95UpperMs: null,
      slaVerdict: "fail",
    },
  ],
  steps: [{
    from: "no-reuse",
    to: "http2",
    deltaP50Ms: -120,
    deltaP95Ms: 470,
    ciP95Ms: [400, 520],
    verdict: "regressed",
  }],
  slaLine: { label: "p95<=800ms", limitMs: 800 },
  confidence: 0.95,
};

Deno.test("renderHtmlReport() draws the ladder: a row per rung, P95 whiskers and the SLA line", () => {
  const html = renderHtmlReport({ ...reportInput(), ladder: LADDER });
  assert.match(html, /<table id="ladder">/);
  assert.match(html, /<div class="chart" id="chart-ladder"><svg /);
  assert.match(html, /1\. no-reuse<\/th><td>fast, a new connection per request<\/td><td>400<\/td>/);
  assert.match(html, /<tr class="v-regressed"><th scope="row">2\. http2/);
  assert.match(html, /regressed \(ΔP95 470 ms, \[400 ms, 520 ms\]\)/);
  assert.equal(html.match(/<circle class="p95"/g)?.length, 2, "one P95 point per rung");
  assert.equal(html.match(/<line class="ci"/g)?.length, 2, "one interval per rung");
  assert.equal(html.match(/<line class="sla-line"/g)?.length, 1);
  assert.match(html, /SLA p95&#60;=800ms/);
  // An unbounded upper end is drawn to the top of the chart, with no cap there.
  assert.match(html, /P95 900 ms \[850 ms, –\]/);
  // Without a ladder, none of it.
  const plain = renderHtmlReport(reportInput());
  assert.doesNotMatch(plain, /id="ladder"|chart-ladder/);
});

Deno.test("renderHtmlReport() places the SLA line and each P95 on one linear scale", () => {
  const html = renderHtmlReport({ ...reportInput(), ladder: LADDER });
  const y = (re: RegExp) => Number(re.exec(html)?.[1]);
  const sla = y(/<line class="sla-line" x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"/);
  const [p1, p2] = [...html.matchAll(/<circle class="p95" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) =>
    Number(m[1])
  );
  assert.ok(p1 !== undefined && p2 !== undefined);
  // SVG y grows downwards: 430 ms sits below the 800 ms line, 900 ms above it.
  assert.ok(p1 > sla && sla > p2, `${p1} ${sla} ${p2}`);
  // Linear: the SLA line sits between the points in proportion (800 − 430) / (900 − 430).
  assert.ok(Math.abs((p1 - sla) / (p1 - p2) - 370 / 470) < 0.01);
});

Deno.test("formatLadder() prints one row per rung with its step and the SLA verdict", () => {
  const text = formatLadder(ladderOf([300, 150, 150]), {
    settings: ["a", "b", "c"],
    connections: [200, 20, null],
  }, { color: false });
  const lines = text.split("\n");
  assert.equal(lines.length, 4, text);
  assert.match(lines[0]!, /^rung +client +conns +p50 +p95 \[95% CI\] +sla +step/);
  assert.match(lines[1]!, /^1\. r0 +a +200 +324ms +\S+ \[\S+, \S+\] +PASS +-$/);
  assert.match(lines[2]!, /^2\. r1 +b +20 +174ms .* PASS +-150ms, -150ms \[.*\], improved$/);
  assert.match(
    lines[3]!,
    /^3\. r2 +c +\? .* PASS +0\.0ms, 0\.0ms \[.*\], no significant difference$/,
  );
});
