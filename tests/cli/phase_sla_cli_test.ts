/**
 * CLI tests of SLA rules on request phases, over a saved run with its phase
 * columns filled (`tests/fixtures/tailgate_phases.csv`: 120 streamed
 * responses, first body around 120 ms, 7 requests that opened a TLS
 * connection): verdicts and exit codes, the per-phase summary in text and
 * JSON, and the one-line refusals.
 */
import assert from "node:assert/strict";
import { runCli } from "../_cli.ts";

const FIXTURE = new URL("../fixtures/tailgate_phases.csv", import.meta.url).pathname;

Deno.test("report --sla first_body.p95<=50ms fails (exit 1) and <=2s passes (exit 0)", async () => {
  const fail = await runCli(["report", FIXTURE, "--sla", "first_body.p95<=50ms"]);
  assert.equal(fail.code, 1, fail.stderr);
  assert.match(fail.stdout, /first_body\.p95<=50ms\s+202ms\s+\[188ms, 247ms\] 95% n=120.*FAIL/);
  const pass = await runCli(["report", FIXTURE, "--sla", "ttft.p95<=2s"]);
  assert.equal(pass.code, 0, pass.stderr);
  assert.match(pass.stdout, /ttft\.p95<=2s\s+202ms.*PASS/);
});

Deno.test("report shows P50/P95/P99 per phase, in text and in --json", async () => {
  const text = await runCli(["report", FIXTURE]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^phase\s+n\s+p50\s+p95\s+p99$/m);
  assert.match(text.stdout, /^connect\s+7\s/m);
  assert.match(text.stdout, /^first_body\s+120\s+124ms\s+202ms\s+247ms$/m);
  const json = await runCli(["report", FIXTURE, "--json", "--sla", "tls.p95<=80ms"]);
  const doc = JSON.parse(json.stdout);
  assert.deepEqual(Object.keys(doc.phases), ["connect", "tls", "ttfb", "first_body"]);
  assert.equal(doc.phases.tls.count, 7);
  assert.equal(doc.phases.first_body.p95_ms, 201.814);
  assert.equal(doc.sla[0].phase, "tls");
  assert.equal(doc.sla[0].confidence.n, 7);
});

Deno.test("a phase no request has is inconclusive: exit 3 and one line saying why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_phase_sla_" });
  try {
    // The same run without the TLS column's values: a plain http:// run.
    const rows = (await Deno.readTextFile(FIXTURE)).trimEnd().split("\n");
    const plain = rows.map((line, i) => {
      if (i === 0) return line;
      const f = line.split(",");
      f[11] = "";
      return f.join(",");
    });
    const path = `${dir}/plain.csv`;
    await Deno.writeTextFile(path, plain.join("\n") + "\n");
    const r = await runCli(["report", path, "--sla", "tls.p95<=80ms", "--sla", "p95<=2s"]);
    assert.equal(r.code, 3, r.stderr);
    const why = r.stdout.split("\n").filter((l) => l.startsWith("tls.p95<=80ms: "));
    assert.equal(why.length, 1, r.stdout);
    assert.match(why[0]!, /no request of the run has a tls phase: .*plain http:\/\//);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad phase input is one line and exit 2: unknown phase, non-percentile, malformed column", async () => {
  const unknown = await runCli(["report", FIXTURE, "--sla", "dns.p95<=5ms"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim().split("\n").length, 1, unknown.stderr);
  assert.match(unknown.stderr, /unknown phase "dns"; use one of connect, tls, ttfb, first_body/);
  const mean = await runCli(["report", FIXTURE, "--sla", "ttfb.mean<=5ms"]);
  assert.equal(mean.code, 2);
  assert.match(mean.stderr, /a phase rule takes a percentile, not "mean"/);
  const dir = await Deno.makeTempDir({ prefix: "tailgate_phase_bad_" });
  try {
    const rows = (await Deno.readTextFile(FIXTURE)).split("\n");
    const f = rows[4]!.split(",");
    f[12] = "soon";
    rows[4] = f.join(",");
    const path = `${dir}/bad.csv`;
    await Deno.writeTextFile(path, rows.join("\n"));
    const bad = await runCli(["report", path]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assert.match(bad.stderr, /CSV line 5: column first_body_ms is not a number: "soon"/);
    assert.ok(bad.stderr.includes(path), bad.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compare gives each phase's deltas with intervals, in text and --json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tailgate_phase_compare_" });
  try {
    // B: the same run with its first body (and so its latency) 30 ms sooner.
    const rows = (await Deno.readTextFile(FIXTURE)).trimEnd().split("\n");
    const faster = rows.map((line, i) => {
      if (i === 0) return line;
      const f = line.split(",");
      f[2] = (Number(f[2]) - 30).toFixed(3);
      f[12] = (Number(f[12]) - 30).toFixed(3);
      return f.join(",");
    });
    const b = `${dir}/b.csv`;
    await Deno.writeTextFile(b, faster.join("\n") + "\n");
    const text = await runCli(["compare", FIXTURE, b, "--resamples", "500"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^first_body\s+120\/120\s+-30\.0ms \[/m);
    assert.match(text.stdout, /^tls\s+7\/7\s+0\.0ms/m);
    const json = await runCli(["compare", FIXTURE, b, "--json", "--resamples", "500"]);
    const doc = JSON.parse(json.stdout);
    assert.deepEqual(doc.phases.map((p: { phase: string }) => p.phase), [
      "connect",
      "tls",
      "ttfb",
      "first_body",
    ]);
    const fb = doc.phases[3].comparison.metrics.find((m: { metric: string }) => m.metric === "p50");
    assert.ok(Math.abs(fb.delta + 30) < 1e-6, String(fb.delta));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
