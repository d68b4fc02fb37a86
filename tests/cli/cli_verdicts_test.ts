/**
 * CLI tests of the verdicts of `report` and `compare`: detected formats,
 * SLA confidence and exit code 3, the block-bootstrap verdict and
 * --fail-on-regression, and the HTML and JUnit files.
 */
import assert from "node:assert/strict";
import { runCli, SUMMARY_KEYS } from "../_cli.ts";
import { CSV_HEADER, recordToCsvLine, type RequestRecord } from "../../lib/record.ts";
import { createRng } from "../../lib/rng.ts";
import { assertWellFormed as assertXmlWellFormed } from "../_xml.ts";
import { withTempDir } from "../_temp_dir.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** A tailgate CSV of `n` lognormal latencies (median `medianMs`), one request every 10 ms. */
function runCsv(seed: number, n: number, medianMs: number): string {
  const rng = createRng(seed);
  const t0 = 1_764_150_000_000;
  const lines = [CSV_HEADER];
  for (let i = 0; i < n; i++) {
    const latencyMs = Number((medianMs * Math.exp(0.3 * rng.normal())).toFixed(3));
    const r: RequestRecord = {
      id: i,
      scheduledMs: t0 + i * 10,
      startedMs: t0 + i * 10,
      latencyMs,
      ttfbMs: latencyMs,
      status: 200,
      bytes: 10,
      error: "",
      warmup: false,
      worker: 0,
      connectMs: null,
      tlsMs: null,
      firstBodyMs: null,
      conn: null,
      target: "",
    };
    lines.push(recordToCsvLine(r));
  }
  return lines.join("\n") + "\n";
}

const withDir = (fn: (dir: string) => Promise<void>) =>
  withTempDir(fn, { prefix: "tailgate_verdicts_" });

/** The XML declaration, then the shared well-formedness check. */
function assertWellFormed(xml: string): void {
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
  assertXmlWellFormed(xml);
}

Deno.test("report detects each fixture's format and says so", async (t) => {
  const cases: [string, string, number][] = [
    ["tailgate.csv", "tailgate", 18],
    ["hey.csv", "hey", 50],
    ["vegeta.csv", "vegeta", 20],
    ["oha.csv", "oha", 20],
    ["k6.csv", "k6", 16],
  ];
  for (const [file, format, count] of cases) {
    await t.step(format, async () => {
      const human = await runCli(["report", `${FIXTURES}${file}`]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`${file}: ${format} CSV \\(detected\\)`));
      const json = await runCli(["report", `${FIXTURES}${file}`, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout);
      assert.deepEqual(Object.keys(doc).slice(0, 12), SUMMARY_KEYS);
      assert.equal(doc.source.format, format);
      assert.equal(doc.count, count);
      if (format === "hey") assert.match(doc.source.notes.join(" "), /transport errors/);
    });
  }
});

Deno.test("report gives pass, fail and inconclusive (exit 3) with the sample size", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/few.csv`, runCsv(1, 20, 100));
    await Deno.writeTextFile(`${dir}/many.csv`, runCsv(2, 500, 100));
    const few = await runCli(["report", `${dir}/few.csv`, "--sla", "p95<=800ms"]);
    assert.equal(few.code, 3, few.stdout + few.stderr);
    assert.match(few.stdout, /p95<=800ms .*n=20, needs n>=59 .*INCONCLUSIVE/);
    const off = await runCli([
      "report",
      `${dir}/few.csv`,
      "--sla",
      "p95<=800ms",
      "--confidence",
      "off",
    ]);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /p95<=800ms .*PASS/);

    const pass = await runCli(["report", `${dir}/many.csv`, "--sla", "p95<=800ms", "--json"]);
    assert.equal(pass.code, 0, pass.stderr);
    const rule = JSON.parse(pass.stdout).sla[0];
    assert.equal(rule.verdict, "pass");
    assert.equal(rule.confidence.n, 500);
    assert.ok(rule.confidence.upper <= 800 && rule.confidence.lower <= rule.value);
    // A limit equal to the measured P95 lies between the bounds: not decidable.
    const tight = await runCli([
      "report",
      `${dir}/many.csv`,
      "--sla",
      `p95<=${rule.value}ms`,
    ]);
    assert.equal(tight.code, 3, tight.stdout);
    const fail = await runCli(["report", `${dir}/many.csv`, "--sla", "p95<=50ms"]);
    assert.equal(fail.code, 1, fail.stdout);
    assert.match(fail.stdout, /p95<=50ms .*FAIL/);
    const bad = await runCli(["report", `${dir}/many.csv`, "--confidence", "120%"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid value for --confidence/);
  });
});

Deno.test("compare gives a reproducible bootstrap verdict and --fail-on-regression exits 1", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.csv`, runCsv(11, 400, 100));
    await Deno.writeTextFile(`${dir}/b_slow.csv`, runCsv(12, 400, 130));
    await Deno.writeTextFile(`${dir}/b_fast.csv`, runCsv(13, 400, 75));
    await Deno.writeTextFile(`${dir}/a2.csv`, runCsv(14, 400, 100));

    const slow = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/b_slow.csv`,
      "--fail-on-regression",
      "--json",
      "--seed",
      "7",
      "--resamples",
      "500",
    ]);
    assert.equal(slow.code, 1, slow.stderr);
    const doc = JSON.parse(slow.stdout);
    for (const k of ["baseline", "candidate", "improvement", "bootstrap", "verdict"]) {
      assert.ok(k in doc, k);
    }
    assert.ok("p95_ms" in doc.improvement);
    assert.equal(doc.verdict, "regressed");
    assert.equal(doc.bootstrap.seed, 7);
    assert.equal(doc.bootstrap.resamples, 500);
    assert.deepEqual(doc.bootstrap.metrics.map((m: { metric: string }) => m.metric), [
      "p50",
      "p95",
      "p99",
      "mean",
    ]);
    const p95 = doc.bootstrap.metrics[1];
    assert.ok(p95.lower > 0 && p95.lower <= p95.delta && p95.delta <= p95.upper);
    // Same seed, same numbers.
    const again = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/b_slow.csv`,
      "--json",
      "--seed",
      "7",
      "--resamples",
      "500",
    ]);
    assert.equal(again.code, 0, "without --fail-on-regression a regression exits 0");
    assert.deepEqual(JSON.parse(again.stdout).bootstrap, doc.bootstrap);

    const fast = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/b_fast.csv`,
      "--fail-on-regression",
    ]);
    assert.equal(fast.code, 0, fast.stderr);
    assert.match(
      fast.stdout,
      /verdict \(\* above\): B is faster than A by \S+ at P95, 95% CI \[\S+, \S+\]$/m,
    );

    const same = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/a2.csv`,
      "--fail-on-regression",
      "--json",
    ]);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(JSON.parse(same.stdout).verdict, "no significant difference");
  });
});

Deno.test("compare reads two different tools' CSVs and names both formats", async () => {
  const r = await runCli(["compare", `${FIXTURES}hey.csv`, `${FIXTURES}oha.csv`, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.sources.baseline.format, "hey");
  assert.equal(doc.sources.candidate.format, "oha");
  assert.equal(doc.bootstrap.n.a, 48);
  const text = await runCli(["compare", `${FIXTURES}vegeta.csv`, `${FIXTURES}k6.csv`]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /A = .*vegeta\.csv: vegeta CSV \(detected\)/);
  assert.match(text.stdout, /B = .*k6\.csv: k6 CSV \(detected\); k6 http_req_duration excludes/);
});

Deno.test("compare with too few successes cannot decide: exit 3 with --fail-on-regression", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/one.csv`, runCsv(1, 1, 100));
    await Deno.writeTextFile(`${dir}/a.csv`, runCsv(2, 50, 100));
    const r = await runCli(["compare", `${dir}/a.csv`, `${dir}/one.csv`, "--fail-on-regression"]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /no verdict: too few successful requests/);
  });
});

Deno.test("report and compare --html write one self-contained page", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.csv`, runCsv(21, 300, 100));
    await Deno.writeTextFile(`${dir}/b.csv`, runCsv(22, 300, 80));
    const c = await runCli(
      ["compare", `${dir}/a.csv`, `${dir}/b.csv`, "--html", `${dir}/cmp.html`],
      { writeDirs: [dir] },
    );
    assert.equal(c.code, 0, c.stderr);
    const r = await runCli(
      ["report", `${FIXTURES}hey.csv`, "--sla", "p95<=800ms", "--html", `${dir}/rep.html`],
      { writeDirs: [dir] },
    );
    assert.equal(r.code, 3, r.stderr); // 48 samples: inconclusive
    for (const file of ["cmp.html", "rep.html"]) {
      const html = await Deno.readTextFile(`${dir}/${file}`);
      assert.ok(html.startsWith("<!DOCTYPE html>"), file);
      // Self-contained: uPlot inlined, no external script, style or image.
      assert.match(html, /uPlot/);
      assert.doesNotMatch(html, /<script[^>]+src=/i);
      assert.doesNotMatch(html, /<link[^>]+href=/i);
      assert.doesNotMatch(html, /<img[^>]+src="?https?:/i);
      for (const id of ["chart-percentiles", "chart-histogram", "chart-time"]) {
        assert.ok(html.includes(`id="${id}"`), `${file}: ${id}`);
      }
    }
    const cmp = await Deno.readTextFile(`${dir}/cmp.html`);
    assert.match(cmp, /<table id="comparison">/);
    assert.match(cmp, /Comparison: B vs A — improved/);
    // The banner answers the question first, in words.
    assert.match(cmp, /id="headline"[^]*class="v-improved"[^]*A\/B: B is faster than A by/);
    const rep = await Deno.readTextFile(`${dir}/rep.html`);
    assert.match(rep, /<table id="sla">/);
    assert.match(rep, /id="headline"[^]*class="v-inconclusive"[^]*SLA: /);
    assert.match(rep, /needs ≥ 59 samples/);
    assert.match(rep, /hey writes only requests that got a response/);
  });
});

Deno.test("--junit writes valid XML with one test case per rule and per comparison", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.csv`, runCsv(31, 300, 100));
    await Deno.writeTextFile(`${dir}/b.csv`, runCsv(32, 300, 140));
    const r = await runCli([
      "report",
      `${dir}/a.csv`,
      "--sla",
      "p95<=800ms",
      "--sla",
      "p99<=100ms",
      "--sla",
      "error_rate<=1%",
      "--junit",
      `${dir}/report.xml`,
    ], { writeDirs: [dir] });
    assert.equal(r.code, 1, r.stdout);
    const xml = await Deno.readTextFile(`${dir}/report.xml`);
    assertWellFormed(xml);
    assert.equal(xml.match(/<testcase /g)?.length, 3);
    assert.match(xml, /<testsuites name="tailgate" tests="3" failures="1" errors="0" skipped="0"/);
    assert.match(xml, /name="p99&lt;=100ms"[^>]*>\s*<failure type="sla_fail"/);
    assert.match(xml, /name="error_rate&lt;=1% \(measured 0\.00%\)"/);

    const c = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/b.csv`,
      "--fail-on-regression",
      "--junit",
      `${dir}/compare.xml`,
    ], { writeDirs: [dir] });
    assert.equal(c.code, 1, c.stdout);
    const cx = await Deno.readTextFile(`${dir}/compare.xml`);
    assertWellFormed(cx);
    assert.equal(cx.match(/<testcase /g)?.length, 1);
    assert.match(cx, /<failure type="regressed"/);
    assert.match(cx, /p95: .*interval \[/);
  });
});

Deno.test("compare --mock-stats attributes the difference to connection setup", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.csv`, runCsv(41, 200, 100));
    await Deno.writeTextFile(`${dir}/b.csv`, runCsv(41, 200, 100)); // same latencies: Δ = 0
    const stats = (opened: number, h2: number) => ({
      config: { rttMs: 40, setupRtts: 3 },
      connections: {
        opened,
        by_http_version: { "HTTP/1.1": opened - h2, "HTTP/2": h2 },
        requests_per_connection: { max: 200 },
      },
    });
    await Deno.writeTextFile(`${dir}/sa.json`, JSON.stringify(stats(10, 0)));
    await Deno.writeTextFile(`${dir}/sb.json`, JSON.stringify(stats(2, 0)));
    const r = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/b.csv`,
      "--mock-stats",
      `${dir}/sa.json`,
      "--mock-stats",
      `${dir}/sb.json`,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const attr = JSON.parse(r.stdout).attribution;
    // 8 fewer HTTP/1.1 connections × 120 ms, exactly.
    assert.deepEqual(attr.setup_delta_ms, { min: -960, max: -960 });
    assert.equal(attr.total_delta_ms, 0);
    assert.equal(attr.exact, true);
    const one = await runCli([
      "compare",
      `${dir}/a.csv`,
      `${dir}/b.csv`,
      "--mock-stats",
      `${dir}/sa.json`,
    ]);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /no mock\.baseline and mock\.optimized/);
  });
});
