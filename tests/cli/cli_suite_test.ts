import assert from "node:assert/strict";
import { FAST_MOCK_FLAGS, runCli, SUMMARY_KEYS } from "../_cli.ts";
import { CSV_HEADER } from "../../lib/record.ts";

Deno.test("suite exits 0 when the SLA holds and writes the report contract", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli(
      ["suite", "-n", "60", "-c", "6", "--out-dir", dir, ...FAST_MOCK_FLAGS],
      { writeDirs: [dir] },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.trim().split("\n");
    assert.ok(lines.length <= 15, `the verdict in at most 15 lines:\n${r.stdout}`);
    assert.match(
      lines[1]!,
      /^SLA {2}PASS {2}p95<=800ms on optimized: P95 \S+, 95% upper bound \S+ <= 800ms \(n=60\)$/,
    );
    assert.match(
      lines[2]!,
      /^A\/B {2}(optimized is (faster|slower) than baseline by|no significant difference at P95)/,
    );
    assert.match(
      r.stdout,
      /^connections opened \(counted by the mock\): baseline \d+, optimized 1$/m,
    );
    assert.match(r.stdout, /^requests: identical \(server-side digest\)$/m);
    assert.doesNotMatch(
      r.stdout,
      /p99\.9|bootstrap over time|attribution \(tailgate mock model\)/,
      "details only with --verbose",
    );
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    for (const side of ["baseline", "optimized"]) {
      for (const k of SUMMARY_KEYS) assert.ok(k in report[side], `${side}.${k}`);
      assert.equal(report[side].count, 60);
    }
    assert.equal(report.sla.rule, "p95<=800ms");
    assert.equal(report.sla.passed, true);
    assert.ok("p95_ms" in report.improvement);
    assert.equal(report.request_consistency.identical, true);
    assert.equal(report.mock.optimized.connections.opened, 1);
    assert.ok(report.mock.baseline.connections.opened >= 1);
    for (const p of ["baseline", "optimized"]) {
      const lines = (await Deno.readTextFile(`${dir}/latency_${p}.csv`)).trim().split("\n");
      assert.equal(lines[0], CSV_HEADER);
      assert.equal(lines.length, 61);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("suite exits 1 when the SLA fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli(
      ["suite", "-n", "20", "-c", "4", "--out-dir", dir, "--sla", "p95<=1ms", ...FAST_MOCK_FLAGS],
      { writeDirs: [dir] },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^SLA {2}FAIL {2}p95<=1ms on optimized: P95 \S+, 95% lower bound \S+ breaks <= 1\.0ms/m,
    );
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.sla.passed, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report --json and compare --json read saved runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = await runCli([
      "suite",
      "-n",
      "30",
      "-c",
      "3",
      "--out-dir",
      dir,
      "-q",
      // 30 requests are too few for a 95% bound on P95 (59 needed): gate on the point value.
      "--confidence",
      "off",
      ...FAST_MOCK_FLAGS,
    ], {
      writeDirs: [dir],
    });
    assert.equal(s.code, 0, s.stderr);
    const rep = await runCli(["report", `${dir}/latency_optimized.csv`, "--json"]);
    assert.equal(rep.code, 0, rep.stderr);
    const summary = JSON.parse(rep.stdout);
    assert.deepEqual(Object.keys(summary).slice(0, 12), SUMMARY_KEYS);
    assert.equal(summary.count, 30);
    const cmp = await runCli([
      "compare",
      `${dir}/latency_baseline.csv`,
      `${dir}/latency_optimized.csv`,
      "--json",
    ]);
    assert.equal(cmp.code, 0, cmp.stderr);
    const c = JSON.parse(cmp.stdout);
    assert.equal(c.baseline.count, 30);
    assert.ok("p95_ms" in c.improvement);
    const gate = await runCli(["report", `${dir}/latency_optimized.csv`, "--sla", "p50<=1us"]);
    assert.equal(gate.code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI answers bad input with one line and exit code 2", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /Usage: tailgate/],
    ["unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["unknown flag", ["suite", "--bogus"], /Unknown option --bogus/],
    ["bad SLA rule", ["suite", "--sla", "p95<=800"], /Invalid SLA rule/],
    ["bad count", ["suite", "-n", "-3"], /--requests|Option|-n/],
    ["report missing file", ["report", "/nonexistent/x.csv"], /file not found/],
    ["report no file", ["report"], /exactly one CSV/],
    ["compare one file", ["compare", "a.csv"], /two CSV files/],
    ["bad mock flag", ["suite", "--slow-rate", "2"], /--slow-rate/],
    [
      "request flag without a URL",
      ["suite", "--max-body", "1MiB"],
      /--max-body applies to suite <url> only \(the mock's requests are fixed\)/,
    ],
    ["header without a URL", ["suite", "-H", "A: b"], /--header applies to suite <url> only/],
  ];
  for (const [name, args, re] of cases) {
    await t.step(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      const text = r.stderr || r.stdout;
      assert.match(text, re);
      assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
      if (args.length) assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }
});

Deno.test("every command answers --help with exit 0", async () => {
  for (const c of ["suite", "serve", "bench", "report", "compare"]) {
    const r = await runCli([c, "--help"]);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`Usage: tailgate ${c}`));
  }
});

Deno.test("suite reports confidence, the bootstrap verdict and attribution, and writes report.html", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli(
      ["suite", "-n", "80", "-c", "4", "--out-dir", dir, "--verbose", ...FAST_MOCK_FLAGS],
      { writeDirs: [dir] },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /== summary \(sequential\) ==/);
    assert.match(r.stdout, /^p95 +\S+ +\S+$/m);
    assert.match(r.stdout, /^95% CI +\[.+\] +\[.+\]$/m);
    assert.match(
      r.stdout,
      /verdict \(\* above\): (optimized is (faster|slower) than baseline|no significant difference)/,
    );
    assert.match(r.stdout, /attribution \(tailgate mock model\)/);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    for (const k of ["baseline", "optimized", "improvement", "sla", "mock"]) assert.ok(k in report);
    assert.equal(report.sla.verdict, "pass");
    assert.equal(report.sla.rules[0].confidence.n, 80);
    assert.equal(report.confidence.sla, 0.95);
    const ci = report.confidence.p95_intervals.optimized;
    assert.ok(ci.lower <= ci.point && ci.point <= ci.upper);
    assert.equal(report.bootstrap.n.a, 80);
    assert.equal(report.verdict, report.bootstrap.verdict);
    assert.equal(report.attribution.candidate.connections_opened, 1);
    assert.equal(report.config.mode, "sequential");
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    // The SLA limit is drawn on the percentile curve ("<" is escaped inside the JSON).
    assert.ok(html.includes('"slaLines":[{"label":"p95\\u003c=800ms","limitMs":800}]'));
    assert.match(html, /"name":"baseline"/);
    assert.match(html, /"name":"optimized"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("suite exits 3 when the sample is too small to decide, and 0 with --confidence off", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli(
      ["suite", "-n", "20", "-c", "4", "--out-dir", dir, ...FAST_MOCK_FLAGS],
      { writeDirs: [dir] },
    );
    assert.equal(r.code, 3, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      /^SLA {2}INCONCLUSIVE {2}p95<=800ms on optimized: .*\(n=20; needs n>=59\)$/m,
    );
    const report = JSON.parse(await Deno.readTextFile(`${dir}/comparison_report.json`));
    assert.equal(report.sla.passed, false);
    assert.equal(report.sla.verdict, "inconclusive");
    const off = await runCli(
      ["suite", "-n", "20", "-c", "4", "--out-dir", dir, "--confidence", "off", ...FAST_MOCK_FLAGS],
      { writeDirs: [dir] },
    );
    assert.equal(off.code, 0, off.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
